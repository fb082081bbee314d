"""The page with business hours set, in headless Chromium: every business-time figure the API sends is on the page,
in the page's words (KPI, conversation effectiveness, customer load, agent productivity), and nothing else
changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from pantau.business_settings.service import change_settings
from pantau.migrations.runner import upgrade
from tests.conftest import make_settings
from tests.support.builders import Dataset
from tests.support.databases import dispose_database, engine_for, new_database_url
from tests.web.browsing import phrases
from tests.web.server import serving
from tests.web.shop import plant_shop
from tests.web.test_dashboard_browser import assert_every_panel_shows_its_answer, dashboard

pytestmark = pytest.mark.browser

# Every day, so that the shop's conversations of today and of the week have business time to show.
HOURS = "mon-sun 07:00-19:00"


@pytest.fixture
def shop_with_business_hours(tmp_path) -> Iterator[str]:
    url = new_database_url("sqlite", tmp_path)
    engine = engine_for(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        plant_shop(Dataset(connection), now)
    with Session(engine) as session:
        change_settings(session, make_settings(url), {"business_hours": HOURS}, user_id=None, address="test", now=now)
    engine.dispose()
    try:
        with serving(url) as base_url:
            yield base_url
    finally:
        dispose_database(url)


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_page_shows_every_business_time_figure(browser, shop_with_business_hours, language):
    with dashboard(browser, shop_with_business_hours) as board:
        board.sign_in("owner")
        board.page.evaluate(
            f"localStorage.setItem('pantau.lang', '{language}'); document.cookie = 'pantau_lang={language}; path=/'"
        )
        board.page.goto(f"{shop_with_business_hours}/?dateRange=7d")
        board.wait_until_drawn()
        panels = assert_every_panel_shows_its_answer(board, language)
        sent = {name: board.answer_shown(panels[name])[1] for name in ("kpi", "conversation-effectiveness")}
        assert "businessTime" in sent["kpi"]["avgResponseTime"]
        assert all("businessTime" in row for row in sent["conversation-effectiveness"]["conversationsPerAgent"])
        assert board.console_errors == []


def test_a_figures_list_shows_the_first_response_in_business_hours_beside_the_first_response(
    browser, shop_with_business_hours
):
    with dashboard(browser, shop_with_business_hours) as board:
        board.sign_in("owner")
        page = board.page
        page.goto(f"{shop_with_business_hours}/?dateRange=7d&drill=conversation-effectiveness:totals.value")
        page.wait_for_selector("#drill-table")
        answer = page.request.get(
            f"{shop_with_business_hours}/api/dashboard/conversation-effectiveness/conversations",
            params={"dateRange": "7d", "figure": "totals.value", "limit": "50"},
        ).json()
        headers = [text.strip() for text in page.locator("#drill-table thead th").all_text_contents()]
        words = phrases("id")
        at = headers.index(words["drill.column.businessDelay"])
        assert headers[at - 1] == words["column.delay"]
        shown = page.locator(f"#drill-table tbody tr td:nth-child({at + 1})").all_text_contents()
        given = [item["businessTime"]["firstResponseSeconds"] for item in answer["items"]]
        # In the page's own words for a duration; a dash where the conversation has no business-time response.
        expected = page.evaluate(
            "async (values) => { const format = await import('/static/js/core/format.js');"
            " return values.map((value) => (value === null ? '–' : format.formatValue('duration', value))); }",
            given,
        )
        assert [text.strip() for text in shown] == [text.strip() for text in expected]
        plain = [item["firstResponseSeconds"] for item in answer["items"]]
        assert any(value is not None and value != other for value, other in zip(given, plain, strict=True))
        assert board.console_errors == []
