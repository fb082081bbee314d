"""The page's layout in headless Chromium, from a phone to a wide screen: no table cuts a value (wide values from
tests/web/wide.py), tables that scroll sideways say so, the tiles fill the width, and a phone gets one readable
column. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.web.browsing import CUT_VALUES, Dashboard, assert_shows_the_api_s_figures

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

PHONE = {"width": 390, "height": 844}


@contextmanager
def opened(browser, base_url: str, width: int, language: str = "id") -> Iterator[Dashboard]:
    """A signed-in owner's dashboard `width` px wide, in `language`, fully drawn."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme="light")
    context.add_init_script(f"localStorage.setItem('pantau.lang', '{language}')")
    try:
        board = Dashboard(page=context.new_page(), base_url=base_url)
        board.watch()
        board.sign_in("owner")
        board.wait_until_drawn()
        yield board
    finally:
        context.close()


@pytest.mark.parametrize(("width", "language"), [(1440, "id"), (1024, "en"), (820, "id"), (390, "id"), (390, "en")])
def test_no_table_cuts_a_value_and_wide_tables_say_they_scroll(browser, wide_shop_url, width, language):
    with opened(browser, wide_shop_url, width, language) as board:
        for panel in board.panels().values():
            assert panel["state"] == "ready", panel["name"]
            assert_shows_the_api_s_figures(panel, board.answer_shown(panel)[1], language)

        assert board.page.evaluate(CUT_VALUES) == []
        ARTIFACTS.mkdir(exist_ok=True)
        board.page.screenshot(path=ARTIFACTS / f"dashboard-wide-values-{width}-{language}.png", full_page=True)
        assert board.console_errors == []


TILE_ROWS = """() => [...document.querySelectorAll("main .tiles, main .kpis")].map((tiles) => {
  const right = tiles.getBoundingClientRect().right;
  const rows = new Map();
  for (const tile of tiles.children) {
    const box = tile.getBoundingClientRect();
    const top = Math.round(box.top);
    rows.set(top, Math.max(rows.get(top) ?? -Infinity, box.right));
  }
  return { section: tiles.closest("section").dataset.section, gaps: [...rows.values()].map((end) => right - end) };
})"""


@pytest.mark.parametrize("width", [1440, 1024, 820])
def test_every_row_of_tiles_and_cards_uses_the_whole_width(browser, shop_url, width):
    with opened(browser, shop_url, width) as board:
        for section in board.page.evaluate(TILE_ROWS):
            assert max(section["gaps"]) < 2, section


PHONE_LAYOUT = """() => {
  const column = document.querySelector("main").getBoundingClientRect();
  const inner = column.width - 2 * parseFloat(getComputedStyle(document.querySelector("main")).paddingLeft);
  const narrow = [...document.querySelectorAll(".kpi, .tile")]
    .filter((card) => card.getBoundingClientRect().width < inner * 0.8)
    .map((card) => card.querySelector("h3").textContent);
  const overflowing = [...document.querySelectorAll(".kpi, .tile, .figures, .panel-head")]
    .filter((box) => box.scrollWidth > box.clientWidth)
    .map((box) => box.querySelector("h2, h3, dt")?.textContent ?? box.className);
  const charts = [...document.querySelectorAll("[data-chart] .main-svg")].map((svg) => svg.getBoundingClientRect());
  const smallest = Math.min(...[...document.querySelectorAll("main [data-field]")].map(
    (figure) => parseFloat(getComputedStyle(figure).fontSize)));
  return {
    narrow,
    overflowing,
    chartsWiderThanTheScreen: charts.filter((box) => box.left < 0 || box.right > innerWidth).length,
    chartsTallerThanTheScreen: charts.filter((box) => box.height > innerHeight * 0.6).length,
    smallestFigure: smallest,
  };
}"""


def test_a_phone_gets_one_readable_column_with_the_filters_in_reach(browser, shop_url):
    context = browser.new_context(viewport=PHONE, color_scheme="light", is_mobile=True, has_touch=True)
    try:
        board = Dashboard(page=context.new_page(), base_url=shop_url)
        board.watch()
        board.sign_in("owner")
        board.wait_until_drawn()
        page = board.page

        layout = page.evaluate(PHONE_LAYOUT)
        assert layout["narrow"] == [], "cards narrower than the column"
        assert layout["overflowing"] == []
        assert layout["chartsWiderThanTheScreen"] == 0
        assert layout["chartsTallerThanTheScreen"] == 0
        assert layout["smallestFigure"] >= 12
        assert page.evaluate(CUT_VALUES) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "dashboard-owner-phone.png", full_page=True)

        # Far down the page the header has scrolled away instead of covering the screen.
        page.locator("#ap-agents").scroll_into_view_if_needed()
        assert page.evaluate("document.querySelector('.topbar').getBoundingClientRect().bottom") <= 0
        page.evaluate("window.scrollTo(0, 0)")
        for control in ("#range", "#team"):
            box = page.locator(control).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], control
        page.locator("#range").select_option("7d")
        board.settle()
        assert board.answer_shown(board.panels()["customer-load"])[0] == {"dateRange": ["7d"]}
        assert board.console_errors == []
    finally:
        context.close()
