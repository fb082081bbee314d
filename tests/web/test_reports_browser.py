"""The reports page in headless Chromium: the banner while mail is not configured, a schedule made through the form,
a supervisor refused another team, and the way there from the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from pantau.migrations.runner import upgrade
from tests.reports.smtp import MailBox, smtp_server
from tests.support.builders import Dataset
from tests.support.databases import engine_for, new_database_url
from tests.web.browsing import DESKTOP, Dashboard, phrases
from tests.web.server import serving
from tests.web.shop import plant_shop

pytestmark = pytest.mark.browser
ENGLISH = phrases("en")


def open_reports(browser, shop_url: str, role: str) -> tuple[object, Dashboard]:
    context = browser.new_context(viewport=DESKTOP, color_scheme="light", locale="en-US")
    board = Dashboard(page=context.new_page(), base_url=shop_url)
    board.watch(keep_answers=False)
    board.sign_in(role)
    board.page.evaluate("localStorage.setItem('pantau.lang', 'en'); document.cookie = 'pantau_lang=en; path=/'")
    board.page.click("a[href='/reports']")
    board.page.wait_for_selector("body[data-ready=true]")
    return context, board


def test_an_owner_makes_a_weekly_schedule_and_is_told_nothing_will_be_sent(browser, shop_url, tmp_path):
    context, board = open_reports(browser, shop_url, "owner")
    try:
        page = board.page
        expect(page.locator("#smtp-banner")).to_have_text(ENGLISH["reports.noSmtp"])
        page.fill("#recipients", "olivia@example.test, sri@example.test")
        page.select_option("#cadence", "weekly")
        page.select_option("#weekday", "fri")
        page.fill("#at", "07:30")
        page.select_option("#format", "html")
        page.uncheck("input[name=section][value=whatsapp]")
        page.uncheck("input[name=section][value=automation]")
        page.click("#schedule-form button[type=submit]")
        row = page.locator("#schedules tbody tr").last
        expect(row).to_contain_text("weekly on fri at 07:30")
        expect(row).to_contain_text("olivia@example.test, sri@example.test")
        expect(row).to_contain_text(ENGLISH["reports.format.html"])
        expect(row).to_contain_text("Today at a glance, Conversations, Agents, Business")
        page.screenshot(path=tmp_path / "reports.png", full_page=True)

        expect(row.get_by_role("button", name=ENGLISH["reports.sendNow"])).to_have_count(0)  # nothing can be sent
        row.get_by_role("button", name=ENGLISH["reports.delete"]).click()
        expect(page.locator("#schedules tbody tr[data-schedule]")).to_have_count(0)
        assert board.console_errors == []
    finally:
        context.close()


def test_a_supervisor_cannot_schedule_another_teams_report(browser, shop_url):
    context, board = open_reports(browser, shop_url, "supervisor")
    try:
        page = board.page
        options = page.eval_on_selector_all("#report-team option", "options => options.map(o => o.value)")
        assert options == ["", "sales"]  # only their own team is offered
        page.fill("#recipients", "sri@example.test")
        page.click("#schedule-form button[type=submit]")
        expect(page.locator("#schedules tbody tr[data-schedule]")).to_have_count(1)
        page.fill("#recipients", "someone@elsewhere.test")
        page.click("#schedule-form button[type=submit]")
        expect(page.locator("#schedule-error")).to_contain_text("recipients: someone@elsewhere.test")
        page.locator("#schedules tbody tr").first.get_by_role("button", name=ENGLISH["reports.delete"]).click()
        expect(page.locator("#schedules tbody tr[data-schedule]")).to_have_count(0)
    finally:
        context.close()


@pytest.fixture
def shop_with_mail(tmp_path) -> Iterator[tuple[str, MailBox]]:
    """The shop served with SMTP pointing at a real SMTP server of the test's own."""
    url = new_database_url("sqlite", tmp_path)
    engine = engine_for(url)
    upgrade(engine)
    with engine.begin() as connection:
        plant_shop(Dataset(connection), datetime.now(UTC))
    engine.dispose()
    with smtp_server() as (box, port), serving(url, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False) as base:
        yield base, box


def test_send_now_mails_the_report_and_the_history_shows_it_sent(browser, shop_with_mail):
    base_url, box = shop_with_mail
    context, board = open_reports(browser, base_url, "owner")
    try:
        page = board.page
        expect(page.locator("#smtp-banner")).to_have_count(0)
        page.fill("#recipients", "olivia@example.test")
        page.select_option("#format", "pdf")
        page.click("#schedule-form button[type=submit]")
        row = page.locator("#schedules tbody tr[data-schedule]")
        expect(row).to_have_count(1)
        row.get_by_role("button", name=ENGLISH["reports.sendNow"]).click()
        run = page.locator("#runs tbody tr[data-run]")
        expect(run).to_have_count(1)
        expect(run).to_have_attribute("data-state", "sent")
        expect(run).to_contain_text(ENGLISH["reports.state.sent"])
        assert [message["To"] for message in box.received] == ["olivia@example.test"]
        (attachment,) = list(box.received[0].iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert board.console_errors == []
    finally:
        context.close()
