"""The firing-alerts banner in headless Chromium: at the top of the dashboard for the people whose scope covers the
rule, in both languages, on a wide screen and a tablet; hidden when nothing they may see is firing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert

from pantau.migrations.runner import upgrade
from pantau.models import AlertRule
from tests.support.builders import Dataset
from tests.support.databases import engine_for, new_database_url
from tests.web.browsing import Dashboard, phrases
from tests.web.server import serving
from tests.web.shop import CARE, SALES, plant_shop

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENGLISH = phrases("en")
INDONESIAN = phrases("id")
WIDE = {"width": 1440, "height": 900}
TABLET = {"width": 820, "height": 1180}


def _rule(metric: str, team: str | None, comparison: str, threshold: float, state: str, value: float, since):
    return {
        "metric": metric,
        "team_id": team,
        "comparison": comparison,
        "threshold": threshold,
        "window_seconds": 3600,
        "for_seconds": 300,
        "cooldown_seconds": 1800,
        "email_recipients": ["ops@example.test"],
        "webhook_format": "pantau",
        "created_at": since - timedelta(hours=1),
        "enabled": True,
        "state": state,
        "since": since,
        "last_value": value,
    }


@pytest.fixture(scope="module")
def alerting_shop(tmp_path_factory) -> Iterator[str]:
    """The shop with three rules: the organisation's delivery rate firing, Sales' longest wait firing, Customer
    care's SLA compliance ok."""
    url = new_database_url("sqlite", tmp_path_factory.mktemp("alerts-page"))
    engine = engine_for(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        plant_shop(Dataset(connection), now)
        connection.execute(
            insert(AlertRule.__table__),
            [
                _rule("delivery_rate", None, "below", 90, "firing", 62.5, now - timedelta(minutes=12)),
                _rule("longest_wait_seconds", SALES, "above", 900, "firing", 1830.0, now - timedelta(minutes=4)),
                _rule("sla_compliance", CARE, "below", 80, "ok", 95.0, now - timedelta(hours=2)),
            ],
        )
    engine.dispose()
    with serving(url) as base_url:
        yield base_url


def open_dashboard(browser, base_url: str, role: str, language: str, viewport: dict) -> tuple[object, Dashboard]:
    context = browser.new_context(viewport=viewport, color_scheme="light", locale="en-US")
    board = Dashboard(page=context.new_page(), base_url=base_url)
    board.watch(keep_answers=False)
    board.page.goto(f"{base_url}/login")
    board.page.evaluate(
        f"localStorage.setItem('pantau.lang', '{language}'); document.cookie = 'pantau_lang={language}; path=/'"
    )
    board.sign_in(role)
    return context, board


@pytest.mark.parametrize("viewport", [WIDE, TABLET], ids=["1440", "820"])
def test_an_owner_sees_every_firing_alert_above_the_filters(browser, alerting_shop, viewport):
    context, board = open_dashboard(browser, alerting_shop, "owner", "en", viewport)
    try:
        page = board.page
        banner = page.locator("#alert-banner")
        expect(banner).to_be_visible()
        expect(banner.locator(".alert-title")).to_have_text(ENGLISH["alerts.title"].replace("{count}", "2"))
        items = banner.locator("li")
        expect(items).to_have_count(2)
        # The longest firing first: the organisation's delivery rate, then Sales' waiting customer.
        expect(items.nth(0)).to_have_attribute("data-metric", "delivery_rate")
        expect(items.nth(0)).to_contain_text(ENGLISH["alerts.metric.delivery_rate"])
        expect(items.nth(0)).to_contain_text("62.5%")
        expect(items.nth(0)).to_contain_text("below 90%")
        expect(items.nth(0)).to_contain_text(ENGLISH["alerts.organisation"])
        expect(items.nth(1)).to_contain_text(ENGLISH["alerts.metric.longest_wait_seconds"])
        expect(items.nth(1)).to_contain_text("30m 30s")
        expect(items.nth(1)).to_contain_text("above 15m 0s")
        expect(items.nth(1)).to_contain_text("team Sales")
        # At the top: above the filters, and nothing runs off the side of the screen.
        banner_box, filters_box = banner.bounding_box(), page.locator("#filters").bounding_box()
        assert banner_box["y"] + banner_box["height"] <= filters_box["y"] + 1
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"alerts-owner-{viewport['width']}.png")
        assert board.console_errors == []
    finally:
        context.close()


def test_a_supervisor_sees_their_team_s_alert_in_indonesian_and_an_agent_sees_none(browser, alerting_shop):
    context, board = open_dashboard(browser, alerting_shop, "supervisor", "id", TABLET)
    try:
        banner = board.page.locator("#alert-banner")
        expect(banner.locator(".alert-title")).to_have_text(INDONESIAN["alerts.title"].replace("{count}", "1"))
        items = banner.locator("li")
        expect(items).to_have_count(1)
        expect(items.nth(0)).to_contain_text(INDONESIAN["alerts.metric.longest_wait_seconds"])
        expect(items.nth(0)).to_contain_text("di atas")
        expect(items.nth(0)).to_contain_text("tim Sales")
        ARTIFACTS.mkdir(exist_ok=True)
        board.page.screenshot(path=ARTIFACTS / "alerts-supervisor-id-820.png")
        assert board.console_errors == []
    finally:
        context.close()

    context, board = open_dashboard(browser, alerting_shop, "agent", "en", WIDE)
    try:
        board.wait_until_drawn()
        expect(board.page.locator("#alert-banner")).to_be_hidden()
        assert board.console_errors == []
    finally:
        context.close()
