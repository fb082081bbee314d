"""The settings page in headless Chromium: reached from the dashboard by an owner (not offered to a supervisor),
filled from the settings in force, a refusal shown as the API words it with nothing saved, a change saved and put back,
the page in both languages; and the dashboard saying so when snapshots made under the old SLA target and without
business hours are left aside."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from pantau.aggregation.jobs import backfill
from pantau.core.windows import local_date
from pantau.migrations.runner import upgrade
from tests.conftest import make_settings
from tests.support.builders import Dataset
from tests.support.databases import engine_for, new_database_url
from tests.web.browsing import DESKTOP, Dashboard, phrases
from tests.web.server import serving
from tests.web.shop import plant_shop

pytestmark = pytest.mark.browser
ENGLISH = phrases("en")
INDONESIAN = phrases("id")


@pytest.fixture
def snapshotted_shop(tmp_path) -> Iterator[str]:
    """The shop, with snapshots of its last week made under the environment's SLA target (300 s), served."""
    url = new_database_url("sqlite", tmp_path)
    engine = engine_for(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        plant_shop(Dataset(connection), now)
    settings = make_settings(url)
    today = local_date(now, settings.zone)
    backfill(engine, settings, today - timedelta(days=8), today, now=now)
    engine.dispose()
    with serving(url) as base_url:
        yield base_url


def open_page(browser, base_url: str, role: str, language: str = "en") -> tuple[object, Dashboard]:
    context = browser.new_context(viewport=DESKTOP, color_scheme="light", locale="en-US")
    board = Dashboard(page=context.new_page(), base_url=base_url)
    board.watch(keep_answers=False)
    board.sign_in(role)
    board.page.evaluate(
        f"localStorage.setItem('pantau.lang', '{language}'); document.cookie = 'pantau_lang={language}; path=/'"
    )
    return context, board


def test_an_owner_changes_the_sla_target_and_the_dashboard_says_its_snapshots_are_left_aside(
    browser, snapshotted_shop, tmp_path
):
    context, board = open_page(browser, snapshotted_shop, "owner")
    try:
        page = board.page
        page.click("a[href='/settings']")
        page.wait_for_selector("body[data-ready=true]")
        sla = page.locator("#setting-sla_first_response_seconds")
        expect(sla).to_have_value("300")
        expect(page.locator("#setting-peak_hours")).to_have_value("09:00-12:00,14:00-17:00")
        row = page.locator(".setting[data-key=sla_first_response_seconds]")
        expect(row.locator("[data-role=source]")).to_have_text(ENGLISH["settings.fromEnvironment"])

        # A refused value: the API's words, and nothing saved.
        sla.fill("soon")
        page.fill("#setting-business_hours", "mon-fri 08:00-17:00")
        page.click("#settings-form button[type=submit]")
        # Beside the field it names, which is marked invalid and focused; not under the form.
        expect(row.locator("[data-role=error]")).to_contain_text("sla_first_response_seconds:")
        expect(sla).to_have_attribute("aria-invalid", "true")
        expect(sla).to_be_focused()
        expect(page.locator("#settings-error")).to_be_hidden()
        expect(page.locator("#settings-saved")).to_be_hidden()

        sla.fill("600")
        page.click("#settings-form button[type=submit]")
        saved = page.locator("#settings-saved")
        expect(saved).to_contain_text(ENGLISH["settings.key.sla_first_response_seconds"])
        expect(saved).to_contain_text(ENGLISH["settings.key.business_hours"])
        expect(row.locator("[data-role=error]")).to_be_hidden()
        expect(sla).not_to_have_attribute("aria-invalid", "true")
        expect(row).to_have_attribute("data-source", "database")
        expect(row.locator("[data-role=source]")).to_contain_text("olivia@example.test")
        expect(page.locator("#setting-business_hours")).to_have_value("mon-fri 08:00-17:00")
        page.screenshot(path=tmp_path / "settings.png", full_page=True)

        # The dashboard over the last week: its days were snapshotted under 300 s and without business hours, so it
        # says they are left aside, for both reasons.
        page.goto(f"{snapshotted_shop}/?dateRange=7d")
        board.settle()
        note = page.locator("section[data-section=conversation-effectiveness] [data-role=outdated-snapshots]")
        expect(note).to_have_text(
            ENGLISH["state.outdatedSnapshots"].replace("{target}", "600").replace("{previous}", "300")
            + " "
            + ENGLISH["state.outdatedBusinessHours"]
        )

        # Back to the environment's value.
        page.goto(f"{snapshotted_shop}/settings")
        page.wait_for_selector("body[data-ready=true]")
        # An edit not yet saved in another field survives the reset.
        page.fill("#setting-holidays", "2026-12-25")
        row.get_by_role("button", name=ENGLISH["settings.reset"]).click()
        expect(sla).to_have_value("300")
        expect(row).to_have_attribute("data-source", "environment")
        expect(page.locator("#setting-holidays")).to_have_value("2026-12-25")
        # The browser logs the refused save's answer; nothing else went wrong.
        assert board.console_errors == [
            "Failed to load resource: the server responded with a status of 400 (Bad Request)"
        ]
    finally:
        context.close()


def test_the_page_in_indonesian(browser, shop_url):
    context, board = open_page(browser, shop_url, "owner", language="id")
    try:
        page = board.page
        page.goto(f"{shop_url}/settings")
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#settings-heading")).to_have_text(INDONESIAN["settings.heading"])
        expect(page.locator("label[for=setting-holidays]")).to_have_text(INDONESIAN["settings.key.holidays"])
        assert board.console_errors == []
    finally:
        context.close()


def test_a_supervisor_is_not_offered_the_settings_and_is_sent_back_to_the_dashboard(browser, shop_url):
    context, board = open_page(browser, shop_url, "supervisor")
    try:
        page = board.page
        expect(page.locator("a[href='/settings']")).to_have_count(0)
        page.goto(f"{shop_url}/settings")
        board.settle()
        assert page.url == f"{shop_url}/"
    finally:
        context.close()
