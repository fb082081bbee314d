"""The dashboard in headless Chromium against a real server on the planted shop: what each role sees, that every
figure is the API's, the filters in the URL, a failing section, languages, dark mode, refresh, tablets, keyboards.

Screenshots of each role's page go to test-artifacts/ (and, with PANTAU_UPDATE_SCREENSHOTS=1, the README's to
docs/screenshots/); the browser's paint and load timings are printed and written to test-artifacts/page-timings.json
(`python -m tests.web.page_timings` measures the same on a demo database).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support.auth import PASSWORD
from tests.support.builders import DEFAULT_ZONE
from tests.support.sections import AGENT_SECTIONS, EVERY_SECTION
from tests.web.browsing import (
    DESKTOP,
    SECTION_API,
    Dashboard,
    assert_shows_the_api_s_figures,
    phrases,
    timed_visits,
)
from tests.web.shop import SIGN_INS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
README_SCREENSHOT = ROOT / "docs" / "screenshots" / "dashboard-owner.png"
TABLET = {"width": 768, "height": 1024}

SECTIONS_OF = {
    "owner": EVERY_SECTION,
    "supervisor": EVERY_SECTION,
    "agent": AGENT_SECTIONS,
}
# The rows of the agent table: everyone for the owner, the Sales team for its supervisor, herself for Ana.
PEOPLE_OF = {
    "owner": {"Ana Putri", "Budi Santoso", "Citra Lestari", "Dewi Anggraini", "Sri Wahyuni"},
    "supervisor": {"Ana Putri", "Budi Santoso", "Sri Wahyuni"},
    "agent": {"Ana Putri"},
}
# The panels that may say "nothing in this range" instead of figures, and when.
EMPTY_WHEN = {
    "conversation-effectiveness": lambda answer: answer["totals"]["value"] == 0,
    "automation-impact": lambda answer: (
        sum(answer["chatbotVsHuman"][kind] for kind in ("chatbot", "hybrid", "human")) == 0
    ),
}
INDONESIAN = phrases("id")
ENGLISH = phrases("en")


@contextmanager
def dashboard(browser, base_url: str, *, viewport=DESKTOP) -> Iterator[Dashboard]:
    context = browser.new_context(viewport=viewport, color_scheme="light")
    try:
        board = Dashboard(page=context.new_page(), base_url=base_url)
        board.watch()
        yield board
    finally:
        context.close()


def requested_sections(board: Dashboard) -> set[str]:
    return {match.group(1) for url in board.requests if (match := SECTION_API.search(url.split("?")[0] + "?"))}


def assert_shows_its_answer(board: Dashboard, panel: dict, language: str) -> None:
    """The panel shows its answer's figures, or says there are none when its answer is empty (the shop's "today" is
    empty for a while once the tests run past local midnight)."""
    name = panel["name"]
    answer = board.answer_shown(panel)[1]
    if panel["state"] == "empty":
        assert phrases(language)["state.emptySection"] in panel["text"]
        assert EMPTY_WHEN[name](answer), f"{name} says it is empty, but the API answered figures"
    else:
        assert panel["state"] == "ready", f"{name} is {panel['state']}: {panel['text'][:200]}"
        assert_shows_the_api_s_figures(panel, answer, language)


def assert_every_panel_shows_its_answer(board: Dashboard, language: str) -> dict[str, dict]:
    panels = board.panels()
    for panel in panels.values():
        assert_shows_its_answer(board, panel, language)
    return panels


def screenshot(board: Dashboard, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    board.page.screenshot(path=ARTIFACTS / name, full_page=full_page)


def report_timings(label: str, timings: dict, capsys) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "page-timings.json"
    recorded = json.loads(path.read_text()) if path.exists() else {}
    recorded[label] = timings
    path.write_text(json.dumps(recorded, indent=2) + "\n")
    with capsys.disabled():
        units = {"requests": "", "transferKiB": " KiB"}
        shown = ", ".join(
            f"{name} {value:.0f}{units.get(name, ' ms')}" for name, value in timings.items() if value is not None
        )
        print(f"\npage timings ({label}): {shown}")


@pytest.mark.parametrize("role", ["owner", "supervisor", "agent"])
def test_each_role_sees_its_sections_each_showing_the_api_s_numbers(browser, shop_url, role, capsys):
    if role == "owner":
        for visit, timings in timed_visits(browser, shop_url, f"{SIGN_INS[role]}@example.test", PASSWORD).items():
            report_timings(f"shop, owner, {visit}", timings, capsys)
    with dashboard(browser, shop_url) as board:
        board.sign_in(role)
        board.wait_until_drawn()

        panels = assert_every_panel_shows_its_answer(board, "id")

        assert list(panels) == SECTIONS_OF[role]
        assert requested_sections(board) == {*SECTIONS_OF[role], "filters"}
        productivity = board.answer_shown(panels["agent-productivity"])[1]
        assert {row["agentName"] for row in productivity["agentMetrics"]} == PEOPLE_OF[role]
        assert board.page.is_visible("#team-field") is (role != "agent")
        assert board.page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        assert board.console_errors == []
        assert board.foreign_requests() == []
        screenshot(board, f"dashboard-{role}.png")


def test_the_range_and_the_team_go_into_the_url_and_change_the_figures_or_say_there_are_none(browser, shop_url):
    with dashboard(browser, shop_url) as board:
        board.sign_in("owner")
        page = board.page
        today = board.answer_shown(board.panels()["conversation-effectiveness"])[1]

        page.select_option("#range", "30d")
        page.wait_for_url(re.compile(r"/\?dateRange=30d$"))
        board.settle()
        panels = assert_every_panel_shows_its_answer(board, "id")
        query, month = board.answer_shown(panels["conversation-effectiveness"])
        assert query == {"dateRange": ["30d"]}
        assert month["totals"]["value"] > today["totals"]["value"]
        assert board.answer_shown(panels["kpi"])[0] == {}, "the KPI strip always covers today"

        page.select_option("#team", "care")
        page.wait_for_url(re.compile(r"/\?dateRange=30d&teamId=care$"))
        board.settle()
        panels = assert_every_panel_shows_its_answer(board, "id")
        query, care = board.answer_shown(panels["conversation-effectiveness"])
        assert query == {"dateRange": ["30d"], "teamId": ["care"]}
        assert 0 < care["totals"]["value"] < month["totals"]["value"]
        assert {row["agentName"] for row in care["conversationsPerAgent"]} == {"Citra Lestari", "Dewi Anggraini"}
        assert page.eval_on_selector_all("#agent option", "options => options.map(o => o.textContent)") == [
            INDONESIAN["filters.everyone"],
            "Citra Lestari",
            "Dewi Anggraini",
        ]

        page.reload()
        board.settle()
        assert page.input_value("#range") == "30d"
        assert page.input_value("#team") == "care"
        reopened = board.answer_shown(board.panels()["conversation-effectiveness"])[1]
        assert reopened["totals"]["value"] == care["totals"]["value"]

        # Dates with nothing in them: "no data", never zeros dressed up as figures.
        page.select_option("#range", "custom")
        page.fill("#start-date", "2020-01-01")
        page.fill("#end-date", "2020-01-07")
        page.click("#custom-range button[type=submit]")
        page.wait_for_url(re.compile(r"/\?startDate=2020-01-01&endDate=2020-01-07&teamId=care$"))
        board.settle()
        panels = board.panels()
        for name in ("conversation-effectiveness", "automation-impact"):
            assert panels[name]["state"] == "empty"
            assert INDONESIAN["state.emptySection"] in panels[name]["text"]
        # Customer load still forecasts the next peak from the last weeks, whatever the range.
        load = board.answer_shown(panels["customer-load"])[1]
        assert load["peakHour"] is None
        assert load["nextPeakForecast"] is not None
        assert INDONESIAN["state.noDataRange"] in panels["customer-load"]["text"]
        assert_shows_the_api_s_figures(panels["customer-load"], load, "id")
        business = board.answer_shown(panels["business-impact"])[1]
        assert business["costPerConversation"]["amount"] is None
        assert_shows_the_api_s_figures(panels["business-impact"], business, "id")
        assert panels["kpi"]["state"] == "ready"
        assert board.console_errors == []


def _silent_socket(socket) -> None:
    """A live socket that acknowledges each subscription and pushes nothing."""
    socket.on_message(lambda _message: socket.send('{"type": "subscribed", "sections": []}'))


def test_a_section_whose_api_fails_shows_its_error_while_the_others_render(
    browser, breakable_shop_url, failing_sections
):
    """The failure is real: customer-load raises inside the app, whose 500 handler answers {error, detail}."""
    failing_sections.names.add("customer-load")
    with dashboard(browser, breakable_shop_url) as board:
        page = board.page
        # The live socket subscribes but pushes nothing here: the panels show what their loads answered.
        page.route_web_socket(re.compile(r".*/api/dashboard/realtime$"), _silent_socket)
        board.sign_in("supervisor")

        panels = board.panels()
        failed = panels.pop("customer-load")
        assert failed["state"] == "error"
        assert INDONESIAN["state.error"] in failed["text"]
        assert "the request failed; the error is logged on the server (HTTP 500)" in failed["text"]
        assert "broke inside the app" not in failed["text"]
        for panel in panels.values():
            assert_shows_its_answer(board, panel, "id")
        expect(page.locator("#live")).to_have_attribute("data-state", "stale")

        failing_sections.names.discard("customer-load")
        page.click("#section-customer-load .section-error button")
        board.settle()
        assert_shows_its_answer(board, board.panels()["customer-load"], "id")
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
        assert [error for error in board.console_errors if "status of 500" not in error] == []


def test_the_language_and_dark_mode_switch_the_page_and_are_remembered_on_the_sign_in_form(browser, shop_url):
    with dashboard(browser, shop_url) as board:
        board.sign_in("owner")
        board.wait_until_drawn()
        page = board.page
        assert page.get_attribute("html", "lang") == "id"
        assert page.text_content("#title-business-impact") == "Dampak bisnis"

        page.select_option("#language", "en")
        page.wait_for_function(
            "() => document.getElementById('title-business-impact').textContent === 'Business impact'"
        )
        assert page.get_attribute("html", "lang") == "en"
        assert page.title() == ENGLISH["page.dashboard"]
        assert_every_panel_shows_its_answer(board, "en")
        if os.environ.get("PANTAU_UPDATE_SCREENSHOTS") == "1":
            README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=README_SCREENSHOT, clip={"x": 0, "y": 0, "width": 1366, "height": 1500}, full_page=True
            )

        page.click("[data-preference=theme]")
        assert page.get_attribute("html", "data-theme") == "dark"
        assert page.get_attribute("[data-preference=theme]", "aria-pressed") == "true"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(14, 19, 24)"

        reopened = page.reload()
        assert '<html lang="en">' in reopened.text()
        board.settle()
        assert page.get_attribute("html", "data-theme") == "dark"
        assert page.text_content("#title-business-impact") == "Business impact"
        screenshot(board, "dashboard-owner-english-dark.png", full_page=False)

        page.click("form[action='/logout'] button")
        page.wait_for_url(re.compile(r"/login\?signedOut=1$"))
        assert page.get_attribute("html", "lang") == "en"
        assert page.get_attribute("html", "data-theme") == "dark"
        assert page.text_content("p.notice") == ENGLISH["signIn.signedOut"]
        assert page.text_content("button[type=submit].primary") == ENGLISH["signIn.submit"]
        assert board.console_errors == []


def test_without_the_live_socket_the_page_polls_every_30_seconds_and_says_when_it_last_did(browser, shop_url):
    with dashboard(browser, shop_url) as board:
        page = board.page
        page.clock.install()
        # A proxy that does not pass the WebSocket upgrade: every socket closes at once.
        page.route_web_socket(re.compile(r".*/api/dashboard/realtime$"), lambda socket: socket.close())
        board.sign_in("agent")
        page.clock.run_for(60_000)  # every reconnection attempt of the back-off, whatever its jitter
        expect(page.locator("#live")).to_have_attribute("data-state", "polling")
        assert page.text_content("#live-state") == INDONESIAN["live.polling"]
        board.settle()
        updated = page.text_content("#last-updated")
        answers = {section: len(board.answers(section)) for section in SECTIONS_OF["agent"]}

        page.clock.run_for(30_000)

        expect(page.locator("#last-updated")).not_to_have_text(updated)
        expected = {section: count + 1 for section, count in answers.items()}
        _until(page, lambda: {section: len(board.answers(section)) for section in SECTIONS_OF["agent"]} == expected)
        assert_every_panel_shows_its_answer(board, "id")
        assert board.console_errors == []


def _until(page, condition, attempts: int = 300) -> None:
    """Wait for `condition` (a check on what the test recorded), letting the page's events through between checks."""
    for _ in range(attempts):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def test_a_tablet_gets_every_section_without_sideways_scrolling(browser, shop_url):
    with dashboard(browser, shop_url, viewport=TABLET) as board:
        board.sign_in("supervisor")
        board.wait_until_drawn()

        assert_every_panel_shows_its_answer(board, "id")
        assert board.page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
        screenshot(board, "dashboard-supervisor-tablet.png")
        assert board.console_errors == []


def test_keyboards_and_screen_readers_reach_every_control_definition_and_number(browser, shop_url):
    with dashboard(browser, shop_url) as board:
        board.sign_in("supervisor")
        board.wait_until_drawn()
        page = board.page

        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == INDONESIAN["dashboard.skip"]
        for control in ("range", "team", "agent", "language", "start-date", "end-date"):
            assert page.locator(f"label[for='{control}']").count() == 1, control

        info = page.locator("#section-agent-productivity .info-button").first
        info.focus()
        tip = page.locator(f"#{info.get_attribute('aria-describedby')}")
        assert tip.is_visible()
        assert tip.text_content() == INDONESIAN["definition.ap.status"]
        page.keyboard.press("Escape")
        assert tip.is_hidden()

        score = page.locator("#ap-agents th[data-key='productivityScore'] button")
        score.focus()
        page.keyboard.press("Enter")
        assert page.get_attribute("#ap-agents th[data-key='productivityScore']", "aria-sort") == "ascending"
        shown = [int(text) for text in page.locator("#ap-agents td:nth-child(3)").all_text_contents()]
        assert shown == sorted(shown)

        charts = page.locator("[data-chart]")
        assert charts.count() > 0
        for index in range(charts.count()):
            assert charts.nth(index).get_attribute("role") == "img"
            assert charts.nth(index).get_attribute("aria-label")
        assert page.locator("table:not(:has(caption))").count() == 0
        assert board.console_errors == []


def test_custom_dates_refused_for_their_order_apply_once_corrected(browser, shop_url):
    with dashboard(browser, shop_url) as board:
        board.sign_in("owner")
        page = board.page
        before = board.answer_shown(board.panels()["conversation-effectiveness"])[1]["range"]

        page.select_option("#range", "custom")
        page.fill("#start-date", "2020-01-07")
        page.fill("#end-date", "2020-01-01")
        page.click("#custom-range button[type=submit]")
        expect(page.locator("#range-error")).to_have_text(INDONESIAN["filters.order"])
        assert page.get_attribute("#end-date", "aria-invalid") == "true"
        assert "startDate" not in page.url
        assert board.answer_shown(board.panels()["conversation-effectiveness"])[1]["range"] == before

        page.fill("#end-date", "2020-01-10")
        page.click("#custom-range button[type=submit]")
        page.wait_for_url(re.compile(r"/\?startDate=2020-01-07&endDate=2020-01-10$"))
        board.settle()
        expect(page.locator("#range-error")).to_be_hidden()
        for name, panel in board.panels().items():
            query, answer = board.answer_shown(panel)
            if name == "kpi":
                continue
            assert query == {"startDate": ["2020-01-07"], "endDate": ["2020-01-10"]}, name
            assert answer["range"]["start"] == "2020-01-07T00:00:00+07:00", name
            assert answer["range"]["end"] == "2020-01-11T00:00:00+07:00", name
            shown = page.get_attribute(f"#section-{name} [data-field='range.start']", "datetime")
            assert shown == "2020-01-07T00:00:00+07:00", name

        # A date left out is refused the same way, and clears as soon as it is filled in.
        page.fill("#start-date", "")
        page.click("#custom-range button[type=submit]")
        expect(page.locator("#range-error")).to_have_text(INDONESIAN["filters.bothDates"])
        page.fill("#start-date", "2020-01-08")
        expect(page.locator("#range-error")).to_be_hidden()
        assert board.console_errors == []


def test_each_figure_says_which_window_it_covers_and_arrows_need_a_comparison(browser, shop_url):
    with dashboard(browser, shop_url) as board:
        board.sign_in("owner")
        page = board.page
        window = "[data-role='window']"
        assert page.text_content(f"[data-kpi='whatsappDeliveryRate'] {window}") == INDONESIAN["range.today"]
        assert page.text_content(f"[data-kpi='activeConversations'] {window}") == INDONESIAN["window.now"]
        query, whatsapp = board.answer_shown(board.panels()["whatsapp-performance"])
        assert query == {}
        assert page.text_content(f".delivery-alert {window}") == INDONESIAN["range.24h"]
        assert page.text_content(f"#section-whatsapp-performance .panel-range {window}") == INDONESIAN["range.24h"]

        page.select_option("#range", "7d")
        board.settle()
        assert page.text_content(f".delivery-alert {window}") == INDONESIAN["range.7d"]
        assert page.text_content(f"[data-kpi='whatsappDeliveryRate'] {window}") == INDONESIAN["range.today"]

        # The shop's history begins 34 days ago: three days around its start have conversations, the three before none.
        # Against 0 there is no change to give, and no arrow.
        today = datetime.now(ZoneInfo(DEFAULT_ZONE)).date()
        start, end = today - timedelta(days=35), today - timedelta(days=33)
        page.select_option("#range", "custom")
        page.fill("#start-date", start.isoformat())
        page.fill("#end-date", end.isoformat())
        page.click("#custom-range button[type=submit]")
        page.wait_for_url(re.compile(r"startDate="))
        board.settle()
        panel = board.panels()["conversation-effectiveness"]
        totals = board.answer_shown(panel)[1]["totals"]
        assert totals["value"] > 0
        assert (totals["previous"], totals["change"], totals["trend"]) == (0, None, "up")
        assert page.locator("#section-conversation-effectiveness [data-field='totals.trend']").count() == 0
        assert INDONESIAN["change.none"] in panel["text"]
        assert "▲" not in panel["text"]
        assert_every_panel_shows_its_answer(board, "id")
        assert board.console_errors == []


def test_workload_is_labelled_only_with_enough_chats_to_judge(browser, shop_url):
    with dashboard(browser, shop_url) as board:
        board.sign_in("owner")
        page = board.page
        section = "#section-agent-productivity"
        # Today the shop's five people share a handful of chats: nobody is labelled, and the page says why.
        today = board.answer_shown(board.panels()["agent-productivity"])[1]
        assert {row["workload"] for row in today["agentMetrics"]} == {None}
        expect(page.locator(f"{section} [data-role='workload-not-judged']")).to_have_text(
            INDONESIAN["ap.workloadNotJudged"]
        )
        assert page.locator(f"{section} td .badge[data-field$='.workload']").count() == 0

        page.select_option("#range", "30d")
        board.settle()
        month = board.answer_shown(board.panels()["agent-productivity"])[1]
        assert None not in {row["workload"] for row in month["agentMetrics"]}
        assert page.locator(f"{section} [data-role='workload-not-judged']").count() == 0
        assert page.locator(f"{section} td .badge[data-field$='.workload']").count() == len(month["agentMetrics"])
        assert_every_panel_shows_its_answer(board, "id")


def test_a_single_agent_s_bar_keeps_a_bar_s_width(browser, shop_url):
    with dashboard(browser, shop_url) as board:
        board.sign_in("agent")
        board.wait_until_drawn()
        panel = board.panels()["conversation-effectiveness"]
        assert len(board.answer_shown(panel)[1]["conversationsPerAgent"]) == 1
        bars = board.page.locator("[data-chart='per-agent'] .trace.bars .point path")
        assert bars.count() == 1
        assert 20 <= bars.bounding_box()["width"] <= 80
        assert board.console_errors == []


# The traces scripts/plotly/entry.js puts in the page's plotly.js (scatter comes with the core).
BUNDLED_TRACES = ["bar", "funnel", "heatmap", "indicator", "pie", "scatter"]


def test_every_chart_is_drawn_by_a_trace_the_page_s_plotly_js_holds(browser, shop_url):
    """plotly.js quietly draws a trace of a type it does not hold as another kind (its debug log alone says so): every
    trace the owner's page asks for must be drawn as its own type, and the partial bundle holds no other types."""
    with dashboard(browser, shop_url) as board:
        board.sign_in("owner")
        board.wait_until_drawn()

        traces = board.page.evaluate(
            """() => ({
                registered: Object.keys(Plotly.PlotSchema.get().traces).sort(),
                drawn: [...document.querySelectorAll(".js-plotly-plot")].flatMap((plot) =>
                    plot.data.map((trace, index) => ({
                        chart: plot.closest("[data-chart]").dataset.chart,
                        asked: trace.type ?? "scatter",
                        drawn: plot._fullData.find((full) => full.index === index)?.type,
                    })),
                ),
            })"""
        )

        assert traces["drawn"]
        assert [trace for trace in traces["drawn"] if trace["drawn"] != trace["asked"]] == []
        assert sorted({trace["asked"] for trace in traces["drawn"]}) == BUNDLED_TRACES
        assert traces["registered"] == BUNDLED_TRACES
        assert board.console_errors == []
