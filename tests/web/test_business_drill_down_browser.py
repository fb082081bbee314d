"""Behind business impact's campaign responders and repeat customers, their conversations: a cell of the campaign
table and the repeat customers' count open the list in a dialog, one conversation per customer, its total the
figure the panel shows; by mouse and by keyboard."""

from __future__ import annotations

import re

import pytest

from tests.web.browsing import downloading, phrases

pytestmark = pytest.mark.browser

SECTION = "#section-business-impact"
API = "/api/dashboard/business-impact"


def shown_contacts(page) -> list[str]:
    return page.locator("#drill-table tbody tr td:nth-child(2)").all_text_contents()


def contact_names(answer: dict) -> list[str]:
    return [(item["contact"] or {}).get("name") or "–" for item in answer["items"]]


def test_a_campaigns_responded_cell_opens_its_responders(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#range", "30d")
        page.wait_for_url(re.compile(r"/\?dateRange=30d$"))
        board.settle()
        section = page.request.get(f"{shop_url}{API}?dateRange=30d").json()
        (campaign,) = [item for item in section["campaignConversion"] if item["campaignId"] == "bc-ramadan"]
        assert campaign["responded"] > 0
        cell = page.locator(
            f"{SECTION} #bi-campaigns [data-drill='campaignConversion.responded'][data-drill-bucket='bc-ramadan']"
        )
        cell.click()
        page.wait_for_selector("#drill-table")

        words = phrases("id")
        assert page.text_content("#drill-title") == f"Percakapan: Ramadan promo: {words['bi.responded']}"
        total = campaign["responded"]
        assert page.text_content(".drill-count") == f"{total} dari {total} percakapan ditampilkan"
        expected = page.request.get(
            f"{shop_url}{API}/conversations",
            params={"dateRange": "30d", "figure": "campaignConversion.responded", "bucket": "bc-ramadan"},
        ).json()
        assert expected["total"] == total
        assert shown_contacts(page) == contact_names(expected)
        assert "drill=business-impact%3AcampaignConversion.responded" in page.url


def test_from_the_keyboard_the_repeat_customers_count_opens_one_conversation_each(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#language", "en")
        page.select_option("#range", "30d")
        board.settle()
        section = page.request.get(f"{shop_url}{API}?dateRange=30d").json()
        total = section["repeatCustomerRate"]["repeatCustomers"]
        assert total > 0
        count = page.locator(f"{SECTION} [data-drill='repeatCustomerRate.repeatCustomers']")
        assert count.text_content() == str(total)
        count.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#drill-table")

        words = phrases("en")
        assert page.text_content("#drill-title") == f"Conversations: {words['bi.repeat']}"
        assert page.text_content(".drill-count") == f"{min(total, 50)} of {total} conversations shown"
        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.getElementById('drill').open")
        assert page.evaluate("document.activeElement.dataset.drill") == "repeatCustomerRate.repeatCustomers"
