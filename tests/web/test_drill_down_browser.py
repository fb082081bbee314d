"""Behind a count, a bar or a table cell of conversation effectiveness, its conversations: the list opens in a dialog
with the rows the drill-down API gives for the filters shown, pages on, closes with Escape back to the figure, downloads
as CSV, and reopens from its link; by mouse and by keyboard, in both languages."""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.browsing import downloading, phrases

pytestmark = pytest.mark.browser

SECTION = "#section-conversation-effectiveness"
LIST_API = "/api/dashboard/conversation-effectiveness/conversations"


def listed(page, base_url: str, **parameters) -> dict:
    """The whole list from the API, every page."""
    query = {**parameters, "limit": "500"}
    return page.request.get(f"{base_url}{LIST_API}", params=query).json()


def contact_names(answer: dict) -> list[str]:
    """The contact column as the table shows it: a dash where there is no contact or no name."""
    return [(item["contact"] or {}).get("name") or "–" for item in answer["items"]]


def shown_contacts(page) -> list[str]:
    return page.locator("#drill-table tbody tr td:nth-child(2)").all_text_contents()


def test_a_count_opens_its_conversations_and_escape_returns_to_it(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        board.settle()
        button = page.locator(f"{SECTION} [data-drill='slaCompliance.nonCompliant']")
        button.click()
        page.wait_for_selector("#drill-table")
        expected = listed(page, shop_url, dateRange="today", figure="slaCompliance.nonCompliant")
        words = phrases("id")

        assert page.text_content("#drill-title") == f"Percakapan: {words['ce.nonCompliant']}"
        total = expected["total"]
        assert page.text_content(".drill-count") == f"{total} dari {total} percakapan ditampilkan"
        assert shown_contacts(page) == contact_names(expected)
        assert button.text_content() == str(total)
        assert "drill=conversation-effectiveness%3AslaCompliance.nonCompliant" in page.url
        headers = page.locator("#drill-table thead th").all_text_contents()
        assert not any(words["drill.column.businessDelay"] in header for header in headers)  # no business hours set

        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.getElementById('drill').open")
        assert page.evaluate("document.activeElement.dataset.drill") == "slaCompliance.nonCompliant"
        assert "drill=" not in page.url


def test_a_bar_of_an_agent_opens_that_agents_conversations(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#range", "30d")
        page.wait_for_url(re.compile(r"/\?dateRange=30d$"))
        board.settle()
        section = page.request.get(f"{shop_url}/api/dashboard/conversation-effectiveness?dateRange=30d").json()
        first = section["conversationsPerAgent"][0]
        bar = page.locator(f"{SECTION} [data-chart='per-agent'] .trace.bars .point path").first
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("#drill-table")

        assert page.text_content("#drill-title") == f"Percakapan: {first['agentName']}"
        shown = min(first["count"], 50)
        assert page.text_content(".drill-count") == f"{shown} dari {first['count']} percakapan ditampilkan"
        expected = listed(page, shop_url, dateRange="30d", figure="conversationsPerAgent", bucket=first["agentId"])
        assert expected["total"] == first["count"]
        assert shown_contacts(page) == contact_names(expected)[:50]


def test_show_more_pages_on_until_every_conversation_is_listed(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#range", "30d")
        page.wait_for_url(re.compile(r"/\?dateRange=30d$"))
        board.settle()
        expected = listed(page, shop_url, dateRange="30d", figure="totals.value")
        total = expected["total"]
        assert total > 100  # three pages of fifty
        page.click(f"{SECTION} [data-drill='totals.value']")
        page.wait_for_selector("#drill-table")
        more = page.locator("#drill footer button")
        for shown in (50, 100):
            assert page.text_content(".drill-count") == f"{shown} dari {total} percakapan ditampilkan"
            more.click()
            page.wait_for_function(f"() => document.querySelectorAll('#drill-table tbody tr').length > {shown}")
        assert page.text_content(".drill-count") == f"{total} dari {total} percakapan ditampilkan"
        assert more.is_hidden()
        assert shown_contacts(page) == contact_names(expected)


def test_from_the_keyboard_in_english_a_table_cell_opens_its_list_and_its_csv_holds_it(browser, shop_url, tmp_path):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#language", "en")
        page.select_option("#range", "30d")
        board.settle()
        section = page.request.get(f"{shop_url}/api/dashboard/conversation-effectiveness?dateRange=30d").json()
        bucket = next(item for item in section["firstResponseDistribution"] if item["count"] > 0)
        page.click(f"{SECTION} details.data:has(#ce-distribution) summary")
        named = f"[data-drill='firstResponseDistribution'][data-drill-bucket='{bucket['bucket']}']"
        cell = page.locator(f"#ce-distribution {named}")
        cell.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#drill-table")
        words = phrases("en")
        assert page.text_content("#drill-title") == (
            f"Conversations: {words['column.delay']}: {words['frt.' + bucket['bucket']]}"
        )
        assert page.evaluate("document.activeElement.textContent") == words["drill.close"]

        link = page.locator("#drill a[data-export=csv]")
        assert link.get_attribute("aria-label") == words["drill.csv"]
        with page.expect_download() as download_info:
            link.click()
        download = download_info.value
        query = parse_qs(urlsplit(download.url).query)
        assert query == {
            "dateRange": ["30d"],
            "figure": ["firstResponseDistribution"],
            "bucket": [bucket["bucket"]],
            "format": ["csv"],
            "lang": ["en"],
        }
        saved = tmp_path / "list.csv"
        download.save_as(saved)
        with saved.open(encoding="utf-8-sig", newline="") as file:
            header, *rows = list(csv.reader(file))
        assert header[0] == "Conversation id"
        assert len(rows) == bucket["count"]


def test_the_link_to_a_list_opens_it_on_arrival(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        board.settle()
        page.click(f"{SECTION} [data-drill='resolvedVsOpen.resolved']")
        page.wait_for_selector("#drill-table")
        address = page.get_attribute("#drill a[data-role=drill-link]", "href")
        assert address == "/?drill=conversation-effectiveness%3AresolvedVsOpen.resolved"
        contacts = shown_contacts(page)

        page.goto(f"{shop_url}{address}")
        page.wait_for_selector("#drill-table")
        assert page.evaluate("document.getElementById('drill').open")
        assert shown_contacts(page) == contacts
