"""`GET /api/dashboard/kpi/conversations` and `GET /api/dashboard/agent-productivity/conversations`: active
conversations, open tickets by priority and each agent's chats handled, resolved and open load, with the
conversations behind them, for owner, supervisor and agent, live and with snapshots; on SQLite and PostgreSQL, on the
planted organisation of the HTTP tests (now 12:00 local) plus the rows of `planted`.

Active conversations and open load count what is open or pending now, whenever created; chats handled and resolved
count today's cohort. Open tickets count tickets: their lists hold one row per ticket counted, with the conversation
behind it beside it when the caller may see it (docs/drill-down.md)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from pantau.core.windows import local_date, local_midnight
from pantau.dashboard.kpi import PRIORITIES
from pantau.metrics import parts_source
from pantau.metrics.parts_source import PartsSource
from pantau.models.enums import SnapshotType
from tests.api.organisation import TEAM_A, TEAM_B
from tests.api.responses import assert_refused
from tests.drilldown.lists import whole_list, write_two_weeks_of_snapshots
from tests.exports.files import csv_rows, sheet_rows, workbook
from tests.support.builders import DEFAULT_ZONE
from tests.support.sections import ORGANISATION

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

ROLES = ("owner", "supervisor A", "agent")


# Tickets planted beside the organisation's, at 32 hours into its timeline: (priority, status, team, assignee,
# conversation). A second open ticket on ani-waiting, an open ticket on a closed conversation, a closed one, Ani's
# ticket on Arif's conversation, Arif's on Ani's, one of no one's in team B.
PLANTED_TICKETS = {
    "t-ani-waiting-urgent": ("urgent", "open", TEAM_A, "ani", "ani-waiting"),
    "t-arif-escalated-high": ("high", "in_progress", TEAM_A, "arif", "arif-escalated"),
    "t-budi-closed-medium": ("medium", "open", TEAM_B, "budi", "budi-old-closed"),
    "t-closed-low": ("low", "closed", TEAM_B, "ani", "b-for-ani"),
    "t-ani-on-arif-low": ("low", "open", TEAM_A, "ani", "arif-answered"),
    "t-arif-on-ani-high": ("high", "open", TEAM_A, "arif", "b-for-ani"),
    "t-b-waiting-low": ("low", "open", TEAM_B, None, "b-waiting"),
}


@pytest.fixture
def planted(org, data):
    """The organisation, plus conversations created before today that stand open, pending or closed now, one at
    either side of today's midnight, and tickets on conversations (two on one, one on a closed conversation, one
    closed, one of Ani's on Arif's conversation, one in team B)."""
    zone = ZoneInfo(DEFAULT_ZONE)
    midnight = local_midnight(local_date(org.timeline.start, zone), zone)
    days_ago = midnight - timedelta(days=3)
    data.make_conversation(days_ago, team=TEAM_A, assigned_to="ani", id="ani-old-open")
    data.make_conversation(
        days_ago + timedelta(hours=1), team=TEAM_A, assigned_to="arif", status="pending", id="arif-old-pending"
    )
    data.make_conversation(
        days_ago + timedelta(hours=2),
        team=TEAM_B,
        assigned_to="budi",
        status="closed",
        resolved_at=days_ago + timedelta(hours=3),
        id="budi-old-closed",
    )
    data.make_conversation(days_ago + timedelta(hours=4), team=TEAM_B, status="pending", id="b-old-pending")
    data.make_conversation(
        midnight - timedelta(microseconds=1), team=TEAM_A, assigned_to="ani", id="ani-before-midnight"
    )
    data.make_conversation(
        midnight,
        team=TEAM_A,
        assigned_to="ani",
        status="resolved",
        resolved_at=midnight + timedelta(minutes=10),
        id="ani-at-midnight",
    )
    at = org.timeline.at
    for ticket, (priority, status, team, agent, conversation) in PLANTED_TICKETS.items():
        closed_at = at(33) if status == "closed" else None
        data.make_ticket(
            at(32),
            priority=priority,
            status=status,
            team=team,
            assigned_to=agent,
            conversation=conversation,
            closed_at=closed_at,
            id=ticket,
        )
    return org


# Every conversation, oldest first.
CREATED = [
    "ani-old-open",
    "arif-old-pending",
    "budi-old-closed",
    "b-old-pending",
    "ani-before-midnight",
    "ani-at-midnight",
    "ani-answered",
    "ani-waiting",
    "arif-answered",
    "a-bot-only",
    "arif-escalated",
    "b-for-ani",
    "budi-answered",
    "b-waiting",
    "b-bot-only",
    "orphan",
    "nina-answered",
    "a-campaign",
]


def ordered(names: set[str]) -> list[str]:
    return [name for name in CREATED if name in names]


# Open or pending now, in the whole organisation.
OPEN = ordered(
    {"ani-old-open", "ani-before-midnight", "ani-waiting", "arif-escalated", "b-for-ani", "b-waiting"}
    | {"b-bot-only", "orphan", "a-campaign"}
)
PENDING = ordered({"arif-old-pending", "b-old-pending", "arif-answered", "nina-answered"})
SCOPES = {
    "owner": None,
    "supervisor A": {
        "ani-old-open",
        "arif-old-pending",
        "ani-before-midnight",
        "ani-at-midnight",
        "ani-answered",
        "ani-waiting",
        "arif-answered",
        "a-bot-only",
        "arif-escalated",
        "b-for-ani",
        "a-campaign",
    },
    "agent": {"ani-old-open", "ani-before-midnight", "ani-at-midnight", "ani-answered", "ani-waiting", "b-for-ani"},
}


def in_scope(role: str, names: list[str]) -> list[str]:
    return [name for name in names if SCOPES[role] is None or name in SCOPES[role]]


# kpi: (figure, its value, the conversations listed) per role.
KPI: dict[str, dict[str, tuple[int, list[str]]]] = {
    role: {
        "activeConversations.value": (
            len(in_scope(role, OPEN + PENDING)),
            ordered(set(in_scope(role, OPEN + PENDING))),
        ),
        "activeConversations.byStatus.open": (len(in_scope(role, OPEN)), in_scope(role, OPEN)),
        "activeConversations.byStatus.pending": (len(in_scope(role, PENDING)), in_scope(role, PENDING)),
    }
    for role in ROLES
}

# Open tickets: every ticket open now (open or in progress), oldest first (the organisation's at 30 hours, then the
# planted ones at 32; ties by id), with its priority and the conversation beside it (None: it has none).
OPEN_TICKETS: list[tuple[str, str, str | None]] = [
    ("t-ani-urgent", "urgent", "ani-waiting"),
    ("t-arif-high", "high", None),
    ("t-budi-medium", "medium", None),
    ("t-nobody-urgent", "urgent", None),
    *sorted(
        (ticket, priority, conversation)
        for ticket, (priority, status, _, _, conversation) in PLANTED_TICKETS.items()
        if status in ("open", "in_progress")
    ),
]
# The open tickets each role counts: a supervisor's are those on the team's conversations and, on none, the team's
# own; an agent's those assigned to them, Ani's on Arif's conversation too (the organisation's resolved low ticket and
# the planted closed one count for nobody).
TICKET_SCOPES = {
    "owner": None,
    "supervisor A": {
        "t-ani-urgent",
        "t-arif-high",
        "t-ani-waiting-urgent",
        "t-arif-escalated-high",
        "t-ani-on-arif-low",
        "t-arif-on-ani-high",
    },
    "agent": {"t-ani-urgent", "t-ani-waiting-urgent", "t-ani-on-arif-low"},
}


def tickets_listed(role: str, priority: str | None = None) -> list[tuple[str, str | None]]:
    """The rows of an open tickets' list for `role`: each ticket with the conversation shown beside it, None when it
    has none or the caller may not see it."""
    return [
        (ticket, conversation if conversation is None or SCOPES[role] is None or conversation in SCOPES[role] else None)
        for ticket, of, conversation in OPEN_TICKETS
        if (TICKET_SCOPES[role] is None or ticket in TICKET_SCOPES[role]) and priority in (None, of)
    ]


# The card's figures, written out per role: a conversation with two open tickets counts two, a ticket without one
# counts one.
TICKET_FIGURES = {
    "owner": {"value": 10, "urgent": 3, "high": 3, "medium": 2, "low": 2},
    "supervisor A": {"value": 6, "urgent": 2, "high": 3, "medium": 0, "low": 1},
    "agent": {"value": 3, "urgent": 2, "high": 0, "medium": 0, "low": 1},
}
TICKET_LISTS = {
    role: {
        "openTickets.value": tickets_listed(role),
        **{f"openTickets.byPriority.{priority}": tickets_listed(role, priority) for priority in PRIORITIES},
    }
    for role in ROLES
}
PRIORITIES_OF_TICKETS = {ticket: priority for ticket, priority, _ in OPEN_TICKETS}


# agent-productivity: per person, today's cohort assigned to them, those resolved, and those open or pending now.
CHATS = {
    "ani": ["ani-at-midnight", "ani-answered", "ani-waiting", "b-for-ani"],
    "arif": ["arif-answered", "arif-escalated"],
    "sari": [],
    "maya": [],
    "budi": ["budi-answered"],
    "bayu": [],
    "nina": ["nina-answered"],
}
RESOLVED = {"ani": ["ani-at-midnight", "ani-answered"], "budi": ["budi-answered"]}
OPEN_LOAD = {
    "ani": ["ani-old-open", "ani-before-midnight", "ani-waiting", "b-for-ani"],
    "arif": ["arif-old-pending", "arif-answered", "arif-escalated"],
    "nina": ["nina-answered"],
}
PEOPLE = {
    "owner": ["ani", "arif", "sari", "maya", "budi", "bayu", "nina"],
    "supervisor A": ["ani", "arif", "sari", "maya"],
    "agent": ["ani"],
}
PER_AGENT = {"chatsHandled": CHATS, "resolved": RESOLVED, "openLoad": OPEN_LOAD}


def listing(client, org, role: str, section: str, **parameters):
    return client.get(
        f"/api/dashboard/{section}/conversations",
        params={"dateRange": "today", "limit": "500", **parameters},
        headers=org.bearer(role),
    )


def listed(client, org, role: str, section: str, **parameters) -> tuple[int, list[str]]:
    body = whole_list(listing(client, org, role, section, **parameters))
    return body["total"], [item["id"] for item in body["items"]]


def kpi_value(section: dict, figure: str) -> int:
    value = section
    for key in figure.split("."):
        value = value[key]
    return value


def ticket_rows(body: dict) -> list[tuple[str, str | None]]:
    rows = []
    for item in body["items"]:
        conversation = item["conversation"]
        assert item["conversationId"] == (None if conversation is None else conversation["id"])
        assert item["priority"] == PRIORITIES_OF_TICKETS[item["ticketId"]]
        assert item["status"] in ("open", "in_progress")
        rows.append((item["ticketId"], item["conversationId"]))
    return rows


def assert_kpi_lists(client, org, role: str) -> None:
    section = org.read(client, role, "kpi").json()
    for figure, (value, expected) in KPI[role].items():
        assert kpi_value(section, figure) == value, (role, figure)
        total, ids = listed(client, org, role, "kpi", figure=figure)
        assert (total, ids) == (value, expected), (role, figure)
    for figure, expected in TICKET_LISTS[role].items():
        value = kpi_value(section, figure)
        assert value == TICKET_FIGURES[role][figure.rsplit(".", 1)[-1]], (role, figure)
        body = whole_list(listing(client, org, role, "kpi", figure=figure))
        assert (body["total"], ticket_rows(body)) == (value, expected), (role, figure)
    # The contacts beside the tickets are masked for everyone but owners, as in every list.
    body = listing(client, org, role, "kpi", figure="openTickets.value").json()
    contacts = [item["conversation"]["contact"] for item in body["items"] if item["conversation"] is not None]
    phones = [contact["phone"] for contact in contacts if contact is not None and contact["phone"] is not None]
    assert phones, role
    assert all(("*" in phone) == (role != "owner") for phone in phones), (role, phones)


def assert_agent_lists(client, org, role: str) -> None:
    rows = {row["agentId"]: row for row in org.read(client, role, "agent-productivity").json()["agentMetrics"]}
    assert sorted(rows) == sorted(PEOPLE[role])
    for count, selected in PER_AGENT.items():
        for agent in PEOPLE[role]:
            expected = selected.get(agent, [])
            total, ids = listed(client, org, role, "agent-productivity", figure=f"agentMetrics.{count}", bucket=agent)
            assert total == rows[agent][count] == len(expected), (role, count, agent)
            assert ids == expected, (role, count, agent)


@pytest.mark.parametrize("role", ROLES)
def test_each_kpi_list_holds_what_its_card_counts_now(client, planted, role):
    assert_kpi_lists(client, planted, role)


@pytest.mark.parametrize("role", ROLES)
def test_each_agents_counts_list_exactly_their_conversations(client, planted, role):
    assert_agent_lists(client, planted, role)


@pytest.mark.parametrize("role", ["owner", "supervisor A"])
def test_the_lists_match_the_figures_read_from_snapshots(client, planted, connection, settings, pinned_now, role):
    zone = ZoneInfo(DEFAULT_ZONE)
    local_now = write_two_weeks_of_snapshots(connection, pinned_now, zone)
    # agent-productivity reads today's hours from 00:00 (with Ani's midnight conversation) from the snapshots.
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    plan = PartsSource(connection, ORGANISATION, settings, pinned_now)._plan(
        midnight, pinned_now, parts_source._LARGEST_FIRST
    )
    assert (SnapshotType.hourly, midnight) in plan.snapshot_buckets
    assert_agent_lists(client, planted, role)
    assert_kpi_lists(client, planted, role)


@pytest.mark.parametrize(
    ("section", "parameters", "parameter"),
    [
        ("kpi", {}, "figure"),
        ("kpi", {"figure": "activeConversations.previous"}, "figure"),
        ("kpi", {"figure": "openTickets.byPriority.critical"}, "figure"),
        ("kpi", {"figure": "openTickets.value", "bucket": "urgent"}, "bucket"),
        ("agent-productivity", {"figure": "agentMetrics.messagesSent", "bucket": "ani"}, "figure"),
        ("agent-productivity", {"figure": "agentMetrics.chatsHandled"}, "bucket"),
        ("agent-productivity", {"figure": "agentMetrics.openLoad", "bucket": "nobody"}, "bucket"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(http_client, planted, section, parameters, parameter):
    response = listing(http_client, planted, "owner", section, **parameters)
    assert_refused(response, 400, "invalid_parameter", parameter)


@pytest.mark.parametrize(
    ("role", "agent"), [("agent", "arif"), ("agent", "budi"), ("supervisor A", "budi"), ("supervisor A", "nina")]
)
@pytest.mark.parametrize("count", ["chatsHandled", "resolved", "openLoad"])
def test_an_agent_outside_the_scope_is_forbidden(http_client, planted, role, agent, count):
    response = listing(http_client, planted, role, "agent-productivity", figure=f"agentMetrics.{count}", bucket=agent)
    assert_refused(response, 403, "forbidden", "bucket")


def test_the_open_load_list_downloads_as_csv(client, planted):
    response = client.get(
        "/api/dashboard/agent-productivity/conversations/export",
        params={"figure": "agentMetrics.openLoad", "bucket": "arif", "lang": "en"},
        headers=planted.bearer("supervisor A"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="pantau-agent-productivity-agentMetrics.openLoad-arif-today-'
    )
    header, *rows = csv_rows(response)
    assert header[0] == "Conversation id"
    assert [row[0] for row in rows] == OPEN_LOAD["arif"]


@pytest.mark.parametrize("role", ROLES)
def test_the_open_tickets_list_pages_one_ticket_at_a_time(client, planted, role):
    """limit=1: every page holds the next ticket, `total` is the card's on each, and following `next` gives every
    ticket once, also the two created at the same instant on one conversation."""
    value = planted.read(client, role, "kpi").json()["openTickets"]["value"]
    response = listing(client, planted, role, "kpi", figure="openTickets.value", limit="1")
    rows = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == value
        assert len(body["items"]) == 1
        rows += ticket_rows(body)
        if body["next"] is None:
            break
        response = client.get(body["next"], headers=planted.bearer(role))
    assert len(rows) == value
    assert rows == TICKET_LISTS[role]["openTickets.value"]


def test_the_open_tickets_list_downloads_as_csv(client, planted):
    response = client.get(
        "/api/dashboard/kpi/conversations/export",
        params={"figure": "openTickets.byPriority.low", "lang": "en"},
        headers=planted.bearer("owner"),
    )
    header, *rows = csv_rows(response)
    assert header[:9] == [
        "Ticket id",
        "Priority",
        "Ticket status",
        "Ticket created",
        "Ticket team id",
        "Ticket team",
        "Ticket agent id",
        "Ticket agent",
        "Conversation id",
    ]
    assert [(row[0], row[1], row[8]) for row in rows] == [
        ("t-ani-on-arif-low", "low", "arif-answered"),
        ("t-b-waiting-low", "low", "b-waiting"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_the_open_tickets_file_has_the_lists_rows(client, planted, role):
    """The workbook of `openTickets.value` holds the rows the list gives, in its order: each ticket with the
    conversation beside it, empty cells where the list has none."""
    response = client.get(
        "/api/dashboard/kpi/conversations/export",
        params={"figure": "openTickets.value", "format": "xlsx", "lang": "id"},
        headers=planted.bearer(role),
    )
    (sheet,) = workbook(response).worksheets
    header, *rows = sheet_rows(sheet)
    assert header[:3] == ["Id tiket", "Prioritas", "Status tiket"]
    assert header[8] == "Id percakapan"
    assert [(row[0], row[8]) for row in rows] == TICKET_LISTS[role]["openTickets.value"]
    assert [row[1] for row in rows] == [PRIORITIES_OF_TICKETS[row[0]] for row in rows]
    assert all(all(cell is None for cell in row[8:]) for row in rows if row[8] is None)
