"""The reports page in headless Chromium: the banner while mail is not configured, a schedule made through the form,
a supervisor refused another team, and the way there from the dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.browsing import DESKTOP, Dashboard, phrases

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
