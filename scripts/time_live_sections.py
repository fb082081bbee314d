"""Time sections computed live from the raw tables, for an owner, at a pinned `now`: wall time, this process's CPU
time and (on PostgreSQL) the server backend's CPU time, medians over the runs after a first one left out. On a busy
machine the CPU times say more than the wall time; run two source trees side by side, alternating, to compare them:

    PYTHONPATH=/path/to/tree/src .venv/bin/python scripts/time_live_sections.py DATABASE_URL 2026-12-06T04:52:00+00:00 \
        3 conversation-effectiveness:7d agent-productivity:7d

Prints one JSON object: `section:range` -> [wall s, process CPU s, backend CPU s].
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pantau.auth.scope import resolve_scope
from pantau.core.config import load_settings
from pantau.core.database import make_engine
from pantau.core.windows import resolve_window
from pantau.dashboard.context import SectionContext
from pantau.dashboard.router import SECTIONS
from pantau.models import User
from pantau.models.enums import Role

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(pid: int | None) -> float:
    """User plus system CPU of a PostgreSQL backend on this machine (0 without one: SQLite runs in this process)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main(url: str, now_text: str, repeat: str, *wanted: str) -> None:
    now = datetime.fromisoformat(now_text)
    settings = load_settings(database_url=url)
    engine = make_engine(url)
    with Session(engine) as session:
        owner = session.scalars(select(User).where(User.role == Role.owner, User.is_active.is_(True))).first()
        if owner is None:
            raise SystemExit("no active owner: load demo data first (pantau demo)")
        session.expunge(owner)
    scope = resolve_scope(owner)
    on_postgresql = url.startswith("postgres")
    found = {}
    for item in wanted:
        name, preset = item.split(":")
        section = SECTIONS[name]
        runs = []
        for run in range(int(repeat) + 1):
            with engine.connect() as connection:
                pid = connection.execute(text("SELECT pg_backend_pid()")).scalar() if on_postgresql else None
                window = resolve_window(now=now, zone=settings.zone, preset=preset)
                backend, wall, cpu = backend_cpu_seconds(pid), time.perf_counter(), time.process_time()
                section.compute(SectionContext(connection, scope, window, settings, use_snapshots=False))
                measured = (time.perf_counter() - wall, time.process_time() - cpu, backend_cpu_seconds(pid) - backend)
            if run:  # the first run warms the caches
                runs.append(measured)
        found[item] = [round(statistics.median(run[index] for run in runs), 3) for index in range(3)]
    print(json.dumps(found))


if __name__ == "__main__":
    main(*sys.argv[1:])
