"""How long the dashboard takes to paint and to draw completely in headless Chromium, on a database of your choice
(typically one loaded by `pantau demo --size M`): a benchmark, not a test.

    .venv/bin/python -m tests.web.page_timings postgresql+psycopg://postgres@127.0.0.1/pantau_demo_m --repeat 5

Each repetition starts a fresh server (empty section cache) and a fresh browser context (empty HTTP cache), signs in,
opens the page (first visit), then opens it again (return visit: the browser's cache is warm and the section answers
come from the server's 30-second cache). Prints the median of each timing per visit, in milliseconds, and of the
requests that reached the server and the kibibytes they carried.
"""

from __future__ import annotations

import argparse
import statistics

from pantau.demo.catalog import DEMO_PASSWORD
from tests.web.browsing import timed_visits
from tests.web.chromium import launched
from tests.web.server import serving


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.web.page_timings", description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", help="SQLAlchemy URL of a migrated database with demo data")
    parser.add_argument("--email", default="owner@demo.pantau.id", help="the demo sign-in to use")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--repeat", type=int, default=3, help="fresh server and browser per repetition")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for the page to be drawn")
    options = parser.parse_args()

    runs: dict[str, list[dict]] = {}
    with launched() as browser:
        for _ in range(options.repeat):
            with serving(options.database_url) as base_url:
                visits = timed_visits(browser, base_url, options.email, options.password, options.timeout * 1000)
            for visit, timings in visits.items():
                runs.setdefault(visit, []).append(timings)

    print(f"page timings, median of {options.repeat}, {options.email}: milliseconds; requests reaching the server, KiB")
    for visit, timings in runs.items():
        shown = []
        for name in timings[0]:
            values = [run[name] for run in timings if run[name] is not None]
            shown.append(f"{name} {statistics.median(values):.0f}" if values else f"{name} -")
        print(f"  {visit:<13} " + "  ".join(shown))


if __name__ == "__main__":
    main()
