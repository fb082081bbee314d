"""Behind automation impact's bars and counts, their conversations: a bar of the top intents opens that intent's
list, a count opens its list from the keyboard, each in a dialog whose total is the figure, in both languages."""

from __future__ import annotations

import re

import pytest

from tests.web.browsing import downloading, phrases

pytestmark = pytest.mark.browser

SECTION = "#section-automation-impact"
SECTION_API = "/api/dashboard/automation-impact"


def over_30_days(board) -> dict:
    """The page on 30 days, drawn, and the section's JSON for it."""
    page = board.page
    page.select_option("#range", "30d")
    page.wait_for_url(re.compile(r"/\?dateRange=30d$"))
    board.settle()
    return page.request.get(f"{board.base_url}{SECTION_API}?dateRange=30d").json()


def listed(page, base_url: str, **parameters) -> dict:
    query = {"dateRange": "30d", **parameters, "limit": "500"}
    return page.request.get(f"{base_url}{SECTION_API}/conversations", params=query).json()


def test_a_bar_of_an_intent_opens_that_intents_conversations(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        section = over_30_days(board)
        first = section["topIntents"][0]
        bar = page.locator(f"{SECTION} [data-chart='intents'] .trace.bars .point path").first
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("#drill-table")

        words = phrases("id")
        assert page.text_content("#drill-title") == f"Percakapan: {words['column.intent']}: {first['intent']}"
        shown = min(first["count"], 50)
        assert page.text_content(".drill-count") == f"{shown} dari {first['count']} percakapan ditampilkan"
        expected = listed(page, shop_url, figure="topIntents", bucket=first["intent"])
        assert expected["total"] == first["count"]
        assert page.locator("#drill-table tbody tr").count() == shown
        assert "drill=automation-impact%3AtopIntents" in page.url


def test_from_the_keyboard_in_english_a_count_opens_its_list(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#language", "en")
        section = over_30_days(board)
        successful = section["autoReplySuccess"]["successful"]
        assert successful > 0
        button = page.locator(f"{SECTION} [data-drill='autoReplySuccess.successful']")
        button.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#drill-table")

        words = phrases("en")
        assert page.text_content("#drill-title") == f"Conversations: {words['ai.successful']}"
        shown = min(successful, 50)
        assert page.text_content(".drill-count") == f"{shown} of {successful} conversations shown"
        assert listed(page, shop_url, figure="autoReplySuccess.successful")["total"] == successful

        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.getElementById('drill').open")
        assert page.evaluate("document.activeElement.dataset.drill") == "autoReplySuccess.successful"
