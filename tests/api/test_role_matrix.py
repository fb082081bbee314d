"""SPEC §4 over HTTP: every role reads every section of the organisation in `tests.api.organisation` and sees exactly
the rows of its scope, or is refused with {error, detail}; on SQLite and PostgreSQL.

The expected numbers follow from the organisation's table of conversations (its module docstring): Ani's own scope
holds 3 conversations, team A 7, team B 4, Nina's own 1, the organisation 12. The manager (Maya) is in team A and sees
what supervisor A sees; the admin sees what the owner sees. The agent is refused the three management sections, so
their tables have no row for her.
"""

from __future__ import annotations

import pytest

from tests.api.organisation import (
    BROADCAST,
    FAILED_IN_TEAM_A,
    FAILED_IN_TEAM_B,
    FAILING_CUSTOMER_PHONE,
    FAILING_CUSTOMER_PHONE_MASKED,
    MASKED,
    SESSION_PHONE,
    SESSION_PHONE_MASKED,
    TEAM_A,
    TEAM_B,
    TEAM_B_CUSTOMER_PHONE,
    TEAM_B_CUSTOMER_PHONE_MASKED,
)
from tests.api.responses import answer, assert_refused, replace_strings, without_clock
from tests.support.sections import EVERY_SECTION as SECTIONS
from tests.support.sections import MANAGEMENT_SECTIONS

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

TEAM_A_VIEW = ("supervisor A", "manager")
ORGANISATION_VIEW = ("owner", "admin")


def by_role(table: dict[str | tuple[str, ...], object]) -> dict[str, object]:
    """A table keyed by role, from one whose keys may name several roles that see alike."""
    return {
        role: expected
        for roles, expected in table.items()
        for role in (roles if isinstance(roles, tuple) else (roles,))
    }


# --- What each caller sees -------------------------------------------------------------------------------------------


def kpi_figures(body: dict) -> dict:
    return {
        "active": body["activeConversations"]["value"],
        "activeByStatus": body["activeConversations"]["byStatus"],
        "openTickets": body["openTickets"]["value"],
        "ticketsByPriority": body["openTickets"]["byPriority"],
        "messagesToday": body["messagesToday"]["value"],
        "deliveryRate": body["whatsappDeliveryRate"]["value"],
    }


KPI = by_role(
    {
        # Active: ani-waiting, b-for-ani. Tickets: the urgent one (her low one is resolved). Messages: 3 + 1 + 2.
        # Delivered or read: all 3 of her replies.
        "agent": {
            "active": 2,
            "activeByStatus": {"open": 2, "pending": 0},
            "openTickets": 1,
            "ticketsByPriority": {"urgent": 1, "high": 0, "medium": 0, "low": 0},
            "messagesToday": 6,
            "deliveryRate": 100.0,
        },
        # Active: 4 open and arif-answered pending. Tickets: urgent (Ani's), high (Arif's). Messages 3+1+2+2+3+2+2.
        # Outbound: read 2, delivered 4, sent 1, failed 1: 6 / 8.
        TEAM_A_VIEW: {
            "active": 5,
            "activeByStatus": {"open": 4, "pending": 1},
            "openTickets": 2,
            "ticketsByPriority": {"urgent": 1, "high": 1, "medium": 0, "low": 0},
            "messagesToday": 15,
            "deliveryRate": 75.0,
        },
        # Active: b-for-ani, b-waiting, b-bot-only. Tickets: Budi's medium one. Messages 4 x 2.
        # Outbound: 3 of 4 delivered.
        "supervisor B": {
            "active": 3,
            "activeByStatus": {"open": 3, "pending": 0},
            "openTickets": 1,
            "ticketsByPriority": {"urgent": 0, "high": 0, "medium": 1, "low": 0},
            "messagesToday": 8,
            "deliveryRate": 75.0,
        },
        # Without a team, a manager has an agent's scope: nina-answered (pending), its 2 messages, her reply only sent.
        "manager without team": {
            "active": 1,
            "activeByStatus": {"open": 0, "pending": 1},
            "openTickets": 0,
            "ticketsByPriority": {"urgent": 0, "high": 0, "medium": 0, "low": 0},
            "messagesToday": 2,
            "deliveryRate": 0.0,
        },
        # Everything: 9 active (the orphan too), 4 open tickets (the unassigned urgent one too), 25 messages; outbound
        # read 4, delivered 4, sent 2, failed 2 (the queued one is not attempted): 8 / 12.
        ORGANISATION_VIEW: {
            "active": 9,
            "activeByStatus": {"open": 7, "pending": 2},
            "openTickets": 4,
            "ticketsByPriority": {"urgent": 2, "high": 1, "medium": 1, "low": 0},
            "messagesToday": 25,
            "deliveryRate": 66.7,
        },
    }
)


def conversation_effectiveness_figures(body: dict) -> dict:
    return {
        "total": body["totals"]["value"],
        "perAgent": [(row["agentId"], row["count"]) for row in body["conversationsPerAgent"]],
        "resolved": body["resolvedVsOpen"]["resolved"],
        "open": body["resolvedVsOpen"]["open"],
    }


CONVERSATION_EFFECTIVENESS = by_role(
    {
        # ani-answered (resolved), ani-waiting, b-for-ani.
        "agent": {"total": 3, "perAgent": [("ani", 3)], "resolved": 1, "open": 2},
        # Team A's 6 and b-for-ani (assigned to Ani); every member has a row, also with 0. Resolved: ani-answered,
        # a-bot-only.
        TEAM_A_VIEW: {
            "total": 7,
            "perAgent": [("ani", 3), ("arif", 2), ("maya", 0), ("sari", 0)],
            "resolved": 2,
            "open": 5,
        },
        # b-for-ani counts in team B's total but in no row: Ani is not a member. Resolved: budi-answered.
        "supervisor B": {"total": 4, "perAgent": [("budi", 1), ("bayu", 0)], "resolved": 1, "open": 3},
        "manager without team": {"total": 1, "perAgent": [("nina", 1)], "resolved": 0, "open": 1},
        # All 12, the unassigned ones in the total only; rows by count, then name.
        ORGANISATION_VIEW: {
            "total": 12,
            "perAgent": [("ani", 3), ("arif", 2), ("budi", 1), ("nina", 1), ("bayu", 0), ("maya", 0), ("sari", 0)],
            "resolved": 3,
            "open": 9,
        },
    }
)


def whatsapp_performance_figures(body: dict) -> dict:
    return {
        "funnel": body["messageFunnel"],
        "failed": [message["id"] for message in body["failedMessages"]],
        "broadcasts": [(broadcast["broadcastId"], broadcast["total"]) for broadcast in body["broadcasts"]],
    }


WHATSAPP_PERFORMANCE = by_role(
    {
        # Outbound in team A: read 2 (Ani's, the broadcast's), delivered 4, sent 1 (the escalated bot's), failed 1
        # (Arif's). deliveryRate 6 / (7 + 1); readRate 2 / 6.
        TEAM_A_VIEW: {
            "funnel": {
                "queued": 0,
                "sent": 7,
                "delivered": 6,
                "read": 2,
                "failed": 1,
                "deliveryRate": 75.0,
                "readRate": 33.3,
            },
            "failed": [FAILED_IN_TEAM_A],
            "broadcasts": [(BROADCAST, 1)],
        },
        # Team B: delivered (Ani's), read (Budi's, the bot's), failed (the system message): 3 / 4 and 2 / 3.
        "supervisor B": {
            "funnel": {
                "queued": 0,
                "sent": 3,
                "delivered": 3,
                "read": 2,
                "failed": 1,
                "deliveryRate": 75.0,
                "readRate": 66.7,
            },
            "failed": [FAILED_IN_TEAM_B],
            "broadcasts": [],
        },
        # All 13 outbound: the orphan's queued one, sent 10, delivered 8, read 4, failed 2; the latest failure first.
        ORGANISATION_VIEW: {
            "funnel": {
                "queued": 1,
                "sent": 10,
                "delivered": 8,
                "read": 4,
                "failed": 2,
                "deliveryRate": 66.7,
                "readRate": 50.0,
            },
            "failed": [FAILED_IN_TEAM_B, FAILED_IN_TEAM_A],
            "broadcasts": [(BROADCAST, 1)],
        },
    }
)


def customer_load_figures(body: dict) -> dict:
    return {
        "incoming": sum(bucket["count"] for bucket in body["incomingChatsPerHour"]),
        "heatmap": sum(cell["count"] for cell in body["heatmap"]),
        "new": body["newVsReturning"]["new"],
        "returning": body["newVsReturning"]["returning"],
    }


# Conversations created today in scope, each with a customer of its own: all of them new.
CUSTOMER_LOAD = by_role(
    {
        "agent": {"incoming": 3, "heatmap": 3, "new": 3, "returning": 0},
        TEAM_A_VIEW: {"incoming": 7, "heatmap": 7, "new": 7, "returning": 0},
        "supervisor B": {"incoming": 4, "heatmap": 4, "new": 4, "returning": 0},
        "manager without team": {"incoming": 1, "heatmap": 1, "new": 1, "returning": 0},
        ORGANISATION_VIEW: {"incoming": 12, "heatmap": 12, "new": 12, "returning": 0},
    }
)


def agent_productivity_figures(body: dict) -> dict:
    return {
        "rows": {
            row["agentId"]: (row["chatsHandled"], row["messagesSent"], row["openLoad"], row["status"])
            for row in body["agentMetrics"]
        },
        "statusSummary": body["statusSummary"],
    }


# Per person: (chats handled, messages sent, open load now, status now).
ANI = ("ani", (3, 3, 2, "online"))  # ani-waiting and b-for-ani are still open
ARIF = ("arif", (2, 2, 2, "away"))  # his failed reply counts as sent; arif-answered pending, arif-escalated open
SARI = ("sari", (0, 0, 0, "offline"))
MAYA = ("maya", (0, 0, 0, "offline"))
BUDI = ("budi", (1, 1, 0, "online"))  # budi-answered is resolved
BAYU = ("bayu", (0, 0, 0, "offline"))
NINA = ("nina", (1, 1, 1, "offline"))  # her status log has ended; nina-answered is pending

AGENT_PRODUCTIVITY = by_role(
    {
        "agent": {"rows": dict([ANI]), "statusSummary": {"online": 1, "away": 0, "offline": 0}},
        TEAM_A_VIEW: {"rows": dict([ANI, ARIF, SARI, MAYA]), "statusSummary": {"online": 1, "away": 1, "offline": 2}},
        "supervisor B": {"rows": dict([BUDI, BAYU]), "statusSummary": {"online": 1, "away": 0, "offline": 1}},
        "manager without team": {"rows": dict([NINA]), "statusSummary": {"online": 0, "away": 0, "offline": 1}},
        ORGANISATION_VIEW: {
            "rows": dict([ANI, ARIF, SARI, MAYA, BUDI, BAYU, NINA]),
            "statusSummary": {"online": 2, "away": 1, "offline": 4},
        },
    }
)


def automation_impact_figures(body: dict) -> dict:
    return {"chatbotVsHuman": body["chatbotVsHuman"], "escalationRate": body["escalationRate"]}


AUTOMATION_IMPACT = by_role(
    {
        # Bot-only a-bot-only, escalated arif-escalated, 5 human-only: 1 / 7 by the bot; 1 of 2 bot-engaged escalated.
        TEAM_A_VIEW: {
            "chatbotVsHuman": {"chatbot": 1, "hybrid": 1, "human": 5, "percentage": 14.3},
            "escalationRate": {"total": 2, "escalated": 1, "percentage": 50.0},
        },
        # Bot-only b-bot-only and 3 human-only.
        "supervisor B": {
            "chatbotVsHuman": {"chatbot": 1, "hybrid": 0, "human": 3, "percentage": 25.0},
            "escalationRate": {"total": 1, "escalated": 0, "percentage": 0.0},
        },
        ORGANISATION_VIEW: {
            "chatbotVsHuman": {"chatbot": 2, "hybrid": 1, "human": 9, "percentage": 16.7},
            "escalationRate": {"total": 3, "escalated": 1, "percentage": 33.3},
        },
    }
)


def business_impact_figures(body: dict) -> dict:
    return {
        "leads": (body["leadsGenerated"]["total"], body["leadsGenerated"]["won"]),
        "ticketsResolved": body["ticketsResolved"]["inRange"],
        "revenue": (body["revenueAttributed"]["amount"], body["revenueAttributed"]["wonLeads"]),
        "campaigns": body["campaignConversion"],
    }


CAMPAIGN = {
    # The broadcast's one message was read, its customer wrote back, and the won lead carries the broadcast.
    "campaignId": BROADCAST,
    "campaignName": "Promo Ramadan",
    "sent": 1,
    "responded": 1,
    "converted": 1,
    "conversionRate": 100.0,
}
BUSINESS_IMPACT = by_role(
    {
        # Leads of a-campaign (won, 250) and ani-answered; the low ticket resolved today is assigned to Ani.
        TEAM_A_VIEW: {"leads": (2, 1), "ticketsResolved": 1, "revenue": (250.0, 1), "campaigns": [CAMPAIGN]},
        # The lead of budi-answered; the resolved ticket is team B's.
        "supervisor B": {"leads": (1, 0), "ticketsResolved": 1, "revenue": (0.0, 0), "campaigns": []},
        # All 4 leads, the one without a conversation too.
        ORGANISATION_VIEW: {"leads": (4, 1), "ticketsResolved": 1, "revenue": (250.0, 1), "campaigns": [CAMPAIGN]},
    }
)


SEEN_BY_EACH_ROLE = [
    ("kpi", kpi_figures, KPI),
    ("conversation-effectiveness", conversation_effectiveness_figures, CONVERSATION_EFFECTIVENESS),
    ("whatsapp-performance", whatsapp_performance_figures, WHATSAPP_PERFORMANCE),
    ("customer-load", customer_load_figures, CUSTOMER_LOAD),
    ("agent-productivity", agent_productivity_figures, AGENT_PRODUCTIVITY),
    ("automation-impact", automation_impact_figures, AUTOMATION_IMPACT),
    ("business-impact", business_impact_figures, BUSINESS_IMPACT),
]


@pytest.mark.parametrize(
    ("section", "figures", "expected"), SEEN_BY_EACH_ROLE, ids=[row[0] for row in SEEN_BY_EACH_ROLE]
)
def test_each_role_sees_only_the_rows_of_its_scope(client, org, section, figures, expected):
    seen = {role: figures(answer(org.read(client, role, section))) for role in expected}
    assert seen == expected


def test_a_session_from_the_sign_in_form_reads_like_an_api_token(client, org):
    org.sign_in(client, "supervisor A")
    body = answer(org.read(client, None, "conversation-effectiveness"))
    assert body["totals"]["value"] == 7  # team A's, as with supervisor A's token


# --- What each caller is refused ------------------------------------------------------------------------------------


def test_an_agent_signed_in_at_login_is_refused_a_management_section(client, people):
    people.sign_in(client, "agent")
    assert_refused(people.read(client, None, "business-impact"), 403, "forbidden", "business-impact")


@pytest.mark.parametrize(
    ("role", "section", "filters", "status", "error", "parameter"),
    [
        *(
            pytest.param("agent", section, {}, 403, "forbidden", section, id=f"agent, {section}")
            for section in MANAGEMENT_SECTIONS
        ),
        # Without a team a manager has the agent's scope, and the agent's 403 (SPEC §4).
        *(
            pytest.param(
                "manager without team", section, {}, 403, "forbidden", section, id=f"manager without team, {section}"
            )
            for section in MANAGEMENT_SECTIONS
        ),
        pytest.param(
            "supervisor A",
            "conversation-effectiveness",
            {"teamId": TEAM_B},
            403,
            "forbidden",
            "teamId",
            id="supervisor A, teamId of team B",
        ),
        pytest.param(
            "supervisor B",
            "agent-productivity",
            {"teamId": TEAM_A},
            403,
            "forbidden",
            "teamId",
            id="supervisor B, teamId of team A",
        ),
        pytest.param(
            "manager", "kpi", {"teamId": TEAM_B}, 403, "forbidden", "teamId", id="manager of team A, teamId of team B"
        ),
        pytest.param(
            "manager without team",
            "customer-load",
            {"teamId": TEAM_A},
            403,
            "forbidden",
            "teamId",
            id="manager without team, any teamId",
        ),
        pytest.param(
            "agent",
            "conversation-effectiveness",
            {"teamId": TEAM_A},
            403,
            "forbidden",
            "teamId",
            id="agent, teamId of her own team",
        ),
        pytest.param(
            "supervisor A",
            "agent-productivity",
            {"agentId": "budi"},
            403,
            "forbidden",
            "agentId",
            id="supervisor A, agentId of team B's agent",
        ),
        pytest.param(
            "supervisor B",
            "whatsapp-performance",
            {"agentId": "ani"},
            403,
            "forbidden",
            "agentId",
            id="supervisor B, agentId of team A's agent who handles a team B conversation",
        ),
        pytest.param(
            "agent",
            "agent-productivity",
            {"agentId": "arif"},
            403,
            "forbidden",
            "agentId",
            id="agent, agentId of a colleague",
        ),
        pytest.param(
            "supervisor A",
            "kpi",
            {"agentId": "nobody"},
            403,
            "forbidden",
            "agentId",
            id="supervisor A, unknown agentId (no hint whether it exists)",
        ),
        pytest.param(
            "owner",
            "conversation-effectiveness",
            {"teamId": "no-such-team"},
            404,
            "not_found",
            "teamId",
            id="owner, unknown teamId",
        ),
        pytest.param(
            "admin", "business-impact", {"agentId": "nobody"}, 404, "not_found", "agentId", id="admin, unknown agentId"
        ),
        pytest.param(
            "owner",
            "agent-productivity",
            {"agentId": "budi", "teamId": TEAM_A},
            400,
            "invalid_parameter",
            "agentId",
            id="owner, agentId with the teamId of a team the agent is not in",
        ),
    ],
)
def test_a_section_or_filter_outside_the_callers_scope_is_refused(
    client, people, role, section, filters, status, error, parameter
):
    assert_refused(people.read(client, role, section, **filters), status, error, parameter)


# --- Phone numbers ---------------------------------------------------------------------------------------------------

# (failed message id -> its recipient, the WhatsApp session's number), as whatsapp-performance shows them.
PHONES_SEEN = by_role(
    {
        TEAM_A_VIEW: ({FAILED_IN_TEAM_A: FAILING_CUSTOMER_PHONE_MASKED}, SESSION_PHONE_MASKED),
        "supervisor B": ({FAILED_IN_TEAM_B: TEAM_B_CUSTOMER_PHONE_MASKED}, SESSION_PHONE_MASKED),
        ORGANISATION_VIEW: (
            {FAILED_IN_TEAM_B: TEAM_B_CUSTOMER_PHONE, FAILED_IN_TEAM_A: FAILING_CUSTOMER_PHONE},
            SESSION_PHONE,
        ),
    }
)


def test_phone_numbers_are_masked_for_everyone_but_owner_and_admin(client, org):
    seen = {}
    for role in PHONES_SEEN:
        body = answer(org.read(client, role, "whatsapp-performance"))
        [line] = body["activeSessions"]  # infrastructure: every caller of the section sees the one session
        seen[role] = ({message["id"]: message["recipient"] for message in body["failedMessages"]}, line["phoneNumber"])
    assert seen == PHONES_SEEN


# --- Narrowing -------------------------------------------------------------------------------------------------------


# Ani's own rows, as her supervisor sees them narrowed to her: ani-answered, ani-waiting and b-for-ani (team B's, but
# hers), their messages, her tickets, the qualified lead of ani-answered.
NARROWED_TO_ANI = [
    ("kpi", kpi_figures, KPI["agent"]),
    ("conversation-effectiveness", conversation_effectiveness_figures, CONVERSATION_EFFECTIVENESS["agent"]),
    (
        "whatsapp-performance",
        whatsapp_performance_figures,
        # Her read and delivered replies and the delivered one in b-for-ani; Arif's failure is not hers.
        {
            "funnel": {
                "queued": 0,
                "sent": 3,
                "delivered": 3,
                "read": 1,
                "failed": 0,
                "deliveryRate": 100.0,
                "readRate": 33.3,
            },
            "failed": [],
            "broadcasts": [],
        },
    ),
    ("customer-load", customer_load_figures, CUSTOMER_LOAD["agent"]),
    ("agent-productivity", agent_productivity_figures, AGENT_PRODUCTIVITY["agent"]),
    (
        "automation-impact",
        automation_impact_figures,
        {
            "chatbotVsHuman": {"chatbot": 0, "hybrid": 0, "human": 3, "percentage": 0.0},
            "escalationRate": {"total": 0, "escalated": 0, "percentage": None},
        },
    ),
    (
        "business-impact",
        business_impact_figures,
        # The lead of ani-answered; the low ticket resolved today is assigned to her.
        {"leads": (1, 0), "ticketsResolved": 1, "revenue": (0.0, 0), "campaigns": []},
    ),
]


@pytest.mark.parametrize(("section", "figures", "expected"), NARROWED_TO_ANI, ids=[row[0] for row in NARROWED_TO_ANI])
def test_a_supervisor_narrowed_to_a_team_member_sees_only_her_rows(client, org, section, figures, expected):
    assert figures(answer(org.read(client, "supervisor A", section, agentId="ani"))) == expected


@pytest.mark.parametrize("section", SECTIONS)
def test_an_owner_narrowed_to_team_a_sees_supervisor_a_s_figures_but_full_phone_numbers(client, org, section, settings):
    owner_on_a = answer(org.read(client, "owner", section, teamId=TEAM_A))
    supervisor = answer(org.read(client, "supervisor A", section))
    unmasked = {masked: full for full, masked in MASKED.items()}
    assert without_clock(owner_on_a) == without_clock(replace_strings(supervisor, unmasked))
    if section == "business-impact":
        # An open online log keeps adding cost between the two reads: equal up to what an agent costs in 12 seconds,
        # same savings.
        owner_cost, supervisor_cost = owner_on_a["costPerConversation"], supervisor["costPerConversation"]
        assert owner_cost["savings"] == supervisor_cost["savings"]
        assert owner_cost["currency"] == supervisor_cost["currency"]
        assert (
            abs(owner_cost["totalCost"] - supervisor_cost["totalCost"]) <= float(settings.agent_hourly_cost) * 12 / 3600
        )
