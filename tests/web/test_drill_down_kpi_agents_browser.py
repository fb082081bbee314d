"""Behind a KPI card's count and a cell of the agent table, their conversations: the dialog opens with the total the
card or the cell shows and the rows the drill-down API gives, by mouse and by keyboard."""

from __future__ import annotations

import re

import pytest

from tests.web.browsing import downloading, phrases

pytestmark = pytest.mark.browser


def listed(page, base_url: str, section: str, **parameters) -> dict:
    query = {**parameters, "limit": "500"}
    return page.request.get(f"{base_url}/api/dashboard/{section}/conversations", params=query).json()


def shown_ids_count(page) -> int:
    return page.locator("#drill-table tbody tr").count()


def test_the_active_conversations_count_opens_the_conversations_open_now(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        board.settle()
        kpi = page.request.get(f"{shop_url}/api/dashboard/kpi").json()
        active = kpi["activeConversations"]["value"]
        assert active > 0
        button = page.locator("#section-kpi [data-drill='activeConversations.value']")
        assert button.text_content() == str(active)
        button.click()
        page.wait_for_selector("#drill-table")

        words = phrases("id")
        assert page.text_content("#drill-title") == words["kpi.activeConversations"]
        assert page.text_content(".drill-count") == f"{active} dari {active} percakapan ditampilkan"
        expected = listed(page, shop_url, "kpi", figure="activeConversations.value")
        assert expected["total"] == active == shown_ids_count(page)
        assert "drill=kpi%3AactiveConversations.value" in page.url

        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.getElementById('drill').open")
        assert page.evaluate("document.activeElement.dataset.drill") == "activeConversations.value"


def test_from_the_keyboard_an_agents_chats_cell_opens_their_conversations(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#language", "en")
        page.select_option("#range", "30d")
        page.wait_for_url(re.compile(r"dateRange=30d"))
        board.settle()
        rows = page.request.get(f"{shop_url}/api/dashboard/agent-productivity?dateRange=30d").json()["agentMetrics"]
        agent = next(row for row in rows if row["chatsHandled"] > 0)
        # Sorting the table draws its rows anew: their counts still open their lists, each a button once.
        buttons = page.locator("#ap-agents button.drill-open").count()
        for _ in range(2):
            page.locator("#ap-agents thead button.sort", has_text=phrases("en")["column.chats"]).click()
        assert page.locator("#ap-agents button.drill-open").count() == buttons > 0
        assert page.locator("#ap-agents button.drill-open button.drill-open").count() == 0
        cell = page.locator(
            f"#ap-agents [data-drill='agentMetrics.chatsHandled'][data-drill-bucket='{agent['agentId']}']"
        )
        assert cell.text_content() == str(agent["chatsHandled"])
        cell.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#drill-table")

        words = phrases("en")
        assert page.text_content("#drill-title") == f"Conversations: {agent['agentName']}: {words['column.chats']}"
        shown = min(agent["chatsHandled"], 50)
        assert page.text_content(".drill-count") == f"{shown} of {agent['chatsHandled']} conversations shown"
        expected = listed(
            page,
            shop_url,
            "agent-productivity",
            dateRange="30d",
            figure="agentMetrics.chatsHandled",
            bucket=agent["agentId"],
        )
        assert expected["total"] == agent["chatsHandled"]
        assert shown_ids_count(page) == shown
        assert page.evaluate("document.activeElement.textContent") == words["drill.close"]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_open_tickets_count_opens_its_tickets(browser, shop_url, language):
    """The card counts tickets, and its list shows one row per ticket, with the tickets' columns, in either language."""
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#language", language)
        board.settle()
        tickets = page.request.get(f"{shop_url}/api/dashboard/kpi").json()["openTickets"]
        value = tickets["value"]
        assert value > 0
        page.locator("#section-kpi [data-drill='openTickets.value']").click()
        page.wait_for_selector("#drill-table")

        words = phrases(language)
        assert page.text_content("#drill-title") == words["drill.openTickets"]
        count = words["drill.tickets.count"].replace("{shown}", str(value)).replace("{total}", str(value))
        assert page.text_content(".drill-count") == count
        headers = [text.strip() for text in page.locator("#drill-table thead th").all_text_contents()]
        expected_headers = [
            words[key]
            for key in (
                "drill.column.created",
                "drill.column.priority",
                "column.status",
                "filters.team",
                "column.agent",
                "drill.column.contact",
                "drill.column.phone",
                "drill.column.conversation",
                "drill.column.conversationCreated",
            )
        ]
        assert headers == expected_headers
        listed_tickets = listed(page, shop_url, "kpi", figure="openTickets.value")
        assert listed_tickets["total"] == value == shown_ids_count(page)
        assert page.locator(".drill-note").text_content() == words["drill.ticketsNote"]
