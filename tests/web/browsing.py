"""Driving the dashboard in the browser and reading it back: who is signed in, what the page asked the API, what it
shows, and whether every figure it shows is the API's.

Every figure on the page carries `data-field` (its path in the section's JSON) and `data-format`; `expected_text`
says how the page writes a value in a format, per language (the Intl rules of id-ID and en-US), so a test compares
what is shown with the JSON the page received.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Error as PlaywrightError

from pantau.dashboard.router import SECTIONS
from pantau.web.i18n import DICTIONARIES
from tests.support.auth import PASSWORD
from tests.web.shop import SIGN_INS

# The page is built for 1366 px screens first.
DESKTOP = {"width": 1366, "height": 900}
SECTION_API = re.compile(r"/api/dashboard/([a-z-]+)(\?|$)")
# JSON leaves the page does not show as figures: ids (they name rows, the names are shown), the currency (it is part
# of every money figure), the heatmap's coordinates (its table's row and column headers), and the snapshots left
# aside after an SLA target change (a note above the figures says so: tests/web/test_settings_browser.py).
NOT_SHOWN = re.compile(
    r"(^|\.)(agentId|teamId|broadcastId|sessionId|campaignId|id|currency)$|^heatmap\.\d+\.(dayOfWeek|hour)$"
    r"|^outdatedSnapshots(\.|$)"
)

SEPARATORS = {"en": (",", "."), "id": (".", ",")}
UNITS = {"en": ("{}s", "{}m", "{}h"), "id": ("{} dtk", "{} mnt", "{} j")}
# Money per currency and language: rupiah whole with the narrow symbol, dollars with cents (Intl's own patterns).
MONEY = {("IDR", "en"): "Rp\xa0{}", ("IDR", "id"): "Rp\xa0{}", ("USD", "en"): "${}", ("USD", "id"): "US${}"}


def phrases(language: str) -> dict[str, str]:
    return json.loads((DICTIONARIES / f"{language}.json").read_text(encoding="utf-8"))


def _localised(number_text: str, language: str) -> str:
    group, decimal = SEPARATORS[language]
    return number_text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def _decimal(value: float, language: str) -> str:
    text = f"{Decimal(str(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,.1f}".removesuffix(".0")
    return _localised(text, language)


def _duration(seconds: float, language: str) -> str:
    total = math.floor(seconds + 0.5)
    second, minute, hour = UNITS[language]
    if total < 60:
        return second.format(total)
    if total < 3600:
        return f"{minute.format(total // 60)} {second.format(total % 60)}"
    hours = _localised(f"{total // 3600:,}", language)
    return f"{hour.format(hours)} {minute.format(total % 3600 // 60)}"


def expected_text(format_: str, value, language: str, currency: str | None = None) -> str:
    """How the page writes a non-null `value` in `format_` (see `figure` in static/js/core/dom.js)."""
    if format_ == "count":
        return _localised(f"{int(value):,}", language)
    if format_ == "decimal":
        return _decimal(value, language)
    if format_ == "percent":
        return f"{_decimal(value, language)}%"
    if format_ == "duration":
        return _duration(value, language)
    if format_ == "money":
        amount = Decimal(str(value))
        if currency == "IDR":
            number = f"{amount.quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}"
        else:
            number = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
        return MONEY[currency, language].format(_localised(number, language))
    if format_ == "hour":
        return f"{value:02d}:00"
    if format_ in ("code", "text"):
        return str(value)
    raise AssertionError(f"no expectation for format {format_}")


def json_leaves(value, path: str = "") -> dict[str, object]:
    """Every leaf of a JSON document by its dotted path (list items by index); null objects are leaves."""
    if isinstance(value, dict):
        leaves = {}
        for key, item in value.items():
            leaves.update(json_leaves(item, f"{path}.{key}" if path else key))
        return leaves
    if isinstance(value, list):
        leaves = {}
        for index, item in enumerate(value):
            leaves.update(json_leaves(item, f"{path}.{index}"))
        return leaves
    return {path: value}


READ_PAGE = """() => [...document.querySelectorAll('section[data-section]')].map(section => ({
  name: section.dataset.section,
  state: section.dataset.state,
  generatedAt: section.dataset.generatedAt ?? null,
  text: section.querySelector('[data-role="body"]').textContent,
  figures: [...section.querySelectorAll('[data-field]')].map(element => ({
    field: element.dataset.field,
    format: element.dataset.format,
    text: element.textContent,
    datetime: element.getAttribute('datetime'),
    currency: element.dataset.currency ?? null,
    nullKey: element.dataset.null ?? null,
    noData: element.classList.contains('no-data'),
  })),
}))"""

TIMINGS = """() => {
  const navigation = performance.getEntriesByType('navigation')[0];
  const paint = Object.fromEntries(performance.getEntriesByType('paint').map(entry => [entry.name, entry.startTime]));
  const complete = performance.getEntriesByName('pantau:dashboard-complete')[0];
  return {
    firstPaint: paint['first-paint'] ?? null,
    firstContentfulPaint: paint['first-contentful-paint'] ?? null,
    domContentLoaded: navigation.domContentLoadedEventEnd,
    load: navigation.loadEventEnd,
    complete: complete ? complete.startTime : null,
  };
}"""


@dataclass
class Dashboard:
    """One signed-in browser tab on the dashboard, and everything it did."""

    page: object
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    section_answers: list[tuple[str, dict]] = field(default_factory=list)

    def watch(self, *, keep_answers: bool = True) -> None:
        """Record console errors and requests; with `keep_answers`, also every section answer, on its way to the page
        (so an answer is on record before the page can show it)."""
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        self.page.on("request", lambda request: self.requests.append(request.url))
        if keep_answers:
            self.page.route(SECTION_API, self._keep_answer)
            self.page.on("websocket", self._keep_pushed_answers)

    def _keep_answer(self, route) -> None:
        try:
            response = route.fetch()
        except PlaywrightError as error:
            # Playwright's fetch reuses kept-alive connections, and the server closes one that idled past its
            # keep-alive; a GET sent on it as it closes is reset. A browser sends such a GET again on a new
            # connection, and so does this (only for the reset: any other failure is the test's to see).
            if "ECONNRESET" not in str(error):
                raise
            response = route.fetch()
        if response.ok:
            self.section_answers.append((route.request.url, response.json()))
        route.fulfill(response=response)

    def _keep_pushed_answers(self, socket) -> None:
        """Answers pushed over the live socket are answers of the API too: each is kept as the HTTP answer to the
        same section and filters would be (the filters of the socket's last subscribe; kpi takes no range)."""
        filters: dict[str, str] = {}

        def sent(payload) -> None:
            message = json.loads(payload) if isinstance(payload, str) else {}
            if message.get("type") == "subscribe":
                filters.clear()
                filters.update({name: value for name, value in (message.get("filters") or {}).items() if value})

        def received(payload) -> None:
            message = json.loads(payload) if isinstance(payload, str) else {}
            if message.get("type") != "section":
                return
            section = message["section"]
            ranged = SECTIONS[section].ranged
            query = {name: value for name, value in filters.items() if ranged or name in ("teamId", "agentId")}
            self.section_answers.append(
                (f"{self.base_url}/api/dashboard/{section}?{urlencode(query)}", message["data"])
            )

        socket.on("framesent", sent)
        socket.on("framereceived", received)

    def sign_in(self, role: str) -> None:
        """Sign the shop's user of `role` in through the form, and wait for the dashboard it lands on."""
        self.page.goto(f"{self.base_url}/login")
        self.page.fill("#email", f"{SIGN_INS[role]}@example.test")
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.settle()

    def settle(self, timeout: float = 30_000) -> None:
        """Wait until no panel is loading and no refresh is running (a quiet one shows no panel loading)."""
        self.page.wait_for_function(
            "() => document.querySelectorAll('section[data-section]').length > 0 && "
            "[...document.querySelectorAll('section[data-section]')].every(s => s.dataset.state !== 'loading') && "
            "document.getElementById('live')?.getAttribute('aria-busy') !== 'true'",
            polling=100,
            timeout=timeout,
        )

    def wait_until_drawn(self, timeout: float = 30_000) -> None:
        self.page.wait_for_function(
            "() => performance.getEntriesByName('pantau:dashboard-complete').length > 0", polling=100, timeout=timeout
        )

    def panels(self) -> dict[str, dict]:
        return {panel["name"]: panel for panel in self.page.evaluate(READ_PAGE)}

    def answers(self, section: str) -> list[tuple[dict[str, list[str]], dict]]:
        """What the API answered the page for `section`, in order: (query parameters, JSON)."""
        found = []
        for url, body in self.section_answers:
            parts = urlsplit(url)
            if SECTION_API.search(parts.path + "?").group(1) == section:
                found.append((parse_qs(parts.query), body))
        return found

    def answer_shown(self, panel: dict) -> tuple[dict[str, list[str]], dict]:
        """The API's answer the panel shows (the one whose generatedAt it carries)."""
        matching = [
            answer for answer in self.answers(panel["name"]) if answer[1]["generatedAt"] == panel["generatedAt"]
        ]
        assert matching, f"{panel['name']}: the page shows an answer the API never gave"
        return matching[-1]

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith((self.base_url + "/", "data:", "blob:"))]

    def timings(self) -> dict[str, float | None]:
        return self.page.evaluate(TIMINGS)


def trends_without_comparison(leaves: dict[str, object]) -> set[str]:
    """The trends the page must not draw: those whose previous value is null or whose change is null (no arrow
    without a comparison)."""
    hidden = set()
    for path in leaves:
        if path == "trend" or path.endswith(".trend"):
            stem = path.removesuffix("trend")
            if leaves.get(f"{stem}previous") is None or leaves.get(f"{stem}change", 0) is None:
                hidden.add(path)
    return hidden


def assert_shows_the_api_s_figures(panel: dict, answer: dict, language: str) -> None:
    """Every figure of the panel is the API's value in the page's words, and every value of the API is shown (but a
    trend without a comparison, which must not be)."""
    words = phrases(language)
    leaves = json_leaves(answer)
    shown = {figure["field"] for figure in panel["figures"]}
    hidden = trends_without_comparison(leaves)
    assert not shown & hidden, f"{panel['name']}: trend arrows without a comparison: {sorted(shown & hidden)}"
    missing = sorted(path for path in leaves if path not in shown | hidden and not NOT_SHOWN.search(path))
    assert not missing, f"{panel['name']}: figures of the API the page does not show: {missing}"
    for figure in panel["figures"]:
        path = figure["field"]
        assert path in leaves, f"{panel['name']}: the page shows {path}, which the API did not send"
        value = leaves[path]
        context = f"{panel['name']} {path} = {value!r} as {figure['format']}"
        if value is None:
            assert figure["noData"], context
            assert figure["text"] == words[figure["nullKey"] or "state.noData"], context
        elif figure["format"] in ("datetime", "bucket-hour", "bucket-day", "month"):
            assert figure["datetime"] == value, context
            assert figure["text"].strip(), context
        elif figure["format"].startswith("enum:"):
            phrase = words[f"{figure['format'][5:]}.{str(value).lower() if isinstance(value, bool) else value}"]
            assert figure["text"].endswith(phrase), f"{context}: {figure['text']!r}"
        else:
            assert figure["text"] == expected_text(figure["format"], value, language, figure["currency"]), (
                f"{context}: {figure['text']!r}"
            )


def timed_visits(browser, base_url: str, email: str, password: str, timeout: float = 30_000) -> dict[str, dict]:
    """Sign in with a plain form post (no page computes anything yet), open the dashboard in that fresh browser (empty
    cache, and no section answer in the server's 30-second cache), then open it once more: the browser's paint and
    navigation timings of each visit, and when the page marked every panel and chart drawn; with the requests that
    reached the server (`requests`: not answered from the browser's cache) and the kibibytes they carried over the
    wire (`transferKiB`), counted by Chromium's DevTools protocol."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        signed_in = context.request.post(
            f"{base_url}/login", form={"email": email, "password": password}, max_redirects=0
        )
        assert signed_in.status == 303
        board = Dashboard(page=context.new_page(), base_url=base_url)
        board.watch(keep_answers=False)
        network = context.new_cdp_session(board.page)
        network.send("Network.enable")
        sent: dict[str, float] = {}  # request id -> bytes over the wire, for requests that reached the server
        cached: set[str] = set()
        network.on("Network.responseReceived", lambda event: sent.setdefault(event["requestId"], 0.0))
        network.on("Network.requestServedFromCache", lambda event: cached.add(event["requestId"]))
        network.on(
            "Network.loadingFinished", lambda event: sent.__setitem__(event["requestId"], event["encodedDataLength"])
        )
        timings = {}
        for visit in ("first visit", "return visit"):
            sent.clear()
            cached.clear()
            board.page.goto(f"{base_url}/")
            board.settle(timeout)
            board.wait_until_drawn(timeout)
            timings[visit] = board.timings()
            served = [size for request, size in sent.items() if request not in cached and size > 0]
            timings[visit] |= {"requests": len(served), "transferKiB": sum(served) / 1024}
        assert all(panel["state"] in ("ready", "empty") for panel in board.panels().values())
        assert board.console_errors == []
        return timings
    finally:
        context.close()


# Every table cell of the page with text (the tables behind "show the numbers" opened), and whether its text is in
# view: not cut by its own cell, nor by any box around it, unless that box scrolls sideways and its table shows the
# scroll cue. A cue shows exactly when its table scrolls. Waits two frames first, so size observers have run.
CUT_VALUES = """async () => {
  for (const details of document.querySelectorAll("main details")) details.open = true;
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const problems = [];
  const where = (cell) =>
    `${cell.closest("table").id || cell.closest("section").dataset.section} "${cell.textContent.trim()}"`;
  const scrollsSideways = (box, style) =>
    ["auto", "scroll"].includes(style.overflowX) && box.scrollWidth > box.clientWidth;
  for (const cell of document.querySelectorAll("main table th, main table td")) {
    if (!cell.textContent.trim()) continue;
    if (cell.scrollWidth > cell.clientWidth) {
      problems.push(`${where(cell)} overflows its cell`);
      continue;
    }
    const range = document.createRange();
    range.selectNodeContents(cell);
    const text = range.getBoundingClientRect();
    for (let box = cell.parentElement; box !== document.documentElement; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX === "visible") continue;
      const left = box.getBoundingClientRect().left + box.clientLeft;
      if (text.left >= left - 0.5 && text.right <= left + box.clientWidth + 0.5) continue;
      if (scrollsSideways(box, style)) {
        const hint = box.closest(".table-frame")?.querySelector(".scroll-hint");
        if (!hint?.checkVisibility()) problems.push(`${where(cell)} is out of view and nothing says to scroll`);
        continue;
      }
      problems.push(`${where(cell)} is cut by ${box.tagName.toLowerCase()}.${box.className}`);
      break;
    }
  }
  for (const wrap of document.querySelectorAll("main .table-wrap")) {
    const hint = wrap.closest(".table-frame")?.querySelector(".scroll-hint");
    const scrolls = wrap.scrollWidth > wrap.clientWidth;
    if (Boolean(hint?.checkVisibility()) !== scrolls) {
      problems.push(`${wrap.querySelector("table").id || "a table"}: scrolls ${scrolls}, cue shown ${!scrolls}`);
    }
  }
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) {
    const beyond = [...document.body.querySelectorAll("*")]
      .filter((element) => element.getBoundingClientRect().right > width + 0.5 && !element.closest(".table-wrap"))
      .filter((element) => ![...element.children].some((child) => child.getBoundingClientRect().right > width + 0.5))
      .slice(0, 3)
      .map((element) => `${element.tagName.toLowerCase()}.${element.getAttribute("class")} "${element.textContent}"`);
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px, past the edge: ${beyond}`);
  }
  return problems;
}"""


@contextmanager
def downloading(browser, base_url: str, role: str = "owner") -> Iterator[Dashboard]:
    """The shop's user of `role` signed in on a desktop page that accepts downloads (each test its own context)."""
    context = browser.new_context(viewport=DESKTOP, color_scheme="light", accept_downloads=True)
    try:
        board = Dashboard(page=context.new_page(), base_url=base_url)
        board.watch(keep_answers=False)
        board.sign_in(role)
        yield board
    finally:
        context.close()
