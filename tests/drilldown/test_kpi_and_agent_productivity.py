"""`GET /api/dashboard/kpi/conversations` and `GET /api/dashboard/agent-productivity/conversations`: active
conversations, open tickets by priority and each agent's chats handled, resolved and open load, with the
conversations behind them, for owner, supervisor and agent, live and with snapshots; on SQLite and PostgreSQL, on the
planted organisation of the HTTP tests (now 12:00 local) plus the rows of `planted`.

Active conversations and open load count what is open or pending now, whenever created; chats handled and resolved
count today's cohort. Open tickets count tickets: their lists hold the conversations behind them in the caller's
scope, each once (docs/drill-down.md), so the test writes out both the figure and the list."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from pantau.core.windows import local_date, local_midnight
from pantau.metrics import parts_source
from pantau.metrics.buckets import bucket_start
from pantau.metrics.parts_source import PartsSource
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import SnapshotType
from tests.api.organisation import TEAM_A, TEAM_B
from tests.api.responses import assert_refused
from tests.exports.files import csv_rows
from tests.support.builders import DEFAULT_ZONE
from tests.support.sections import ORGANISATION

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

ROLES = ("owner", "supervisor A", "agent")


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
    data.make_ticket(at(32), priority="urgent", team=TEAM_A, assigned_to="ani", conversation="ani-waiting")
    data.make_ticket(
        at(32), priority="high", status="in_progress", team=TEAM_A, assigned_to="arif", conversation="arif-escalated"
    )
    data.make_ticket(at(32), priority="medium", team=TEAM_B, assigned_to="budi", conversation="budi-old-closed")
    data.make_ticket(
        at(32),
        priority="low",
        status="closed",
        team=TEAM_B,
        assigned_to="ani",
        conversation="b-for-ani",
        closed_at=at(33),
    )
    data.make_ticket(at(32), priority="low", team=TEAM_A, assigned_to="ani", conversation="arif-answered")
    # Arif's ticket on Ani's conversation: not Ani's ticket, so not in her list, though the conversation is hers.
    data.make_ticket(at(32), priority="high", team=TEAM_A, assigned_to="arif", conversation="b-for-ani")
    data.make_ticket(at(32), priority="low", team=TEAM_B, conversation="b-waiting")
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


# kpi: (figure, its value, the conversations listed) per role. Tickets: the organisation's five (urgent on ani-waiting,
# high in progress of Arif's, medium of Budi's, low resolved, urgent of no one's; only the first on a conversation)
# and the six above.
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
KPI["owner"] |= {
    "openTickets.value": (
        10,
        ["budi-old-closed", "ani-waiting", "arif-answered", "arif-escalated", "b-for-ani", "b-waiting"],
    ),
    "openTickets.byPriority.urgent": (3, ["ani-waiting"]),  # two on ani-waiting, one on no conversation
    "openTickets.byPriority.high": (3, ["arif-escalated", "b-for-ani"]),  # one on no conversation
    "openTickets.byPriority.medium": (2, ["budi-old-closed"]),  # open on a closed conversation; one on none
    "openTickets.byPriority.low": (2, ["arif-answered", "b-waiting"]),  # the closed and the resolved are not open
}
KPI["supervisor A"] |= {
    "openTickets.value": (6, ["ani-waiting", "arif-answered", "arif-escalated", "b-for-ani"]),
    "openTickets.byPriority.urgent": (2, ["ani-waiting"]),
    "openTickets.byPriority.high": (3, ["arif-escalated", "b-for-ani"]),
    "openTickets.byPriority.medium": (0, []),
    "openTickets.byPriority.low": (1, ["arif-answered"]),
}
# Ani's own tickets are those assigned to her; the one on Arif's conversation counts, but she may not see it.
KPI["agent"] |= {
    "openTickets.value": (3, ["ani-waiting"]),
    "openTickets.byPriority.urgent": (2, ["ani-waiting"]),
    "openTickets.byPriority.high": (0, []),
    "openTickets.byPriority.medium": (0, []),
    "openTickets.byPriority.low": (1, []),
}

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
    response = listing(client, org, role, section, **parameters)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    return body["total"], [item["id"] for item in body["items"]]


def kpi_value(section: dict, figure: str) -> int:
    value = section
    for key in figure.split("."):
        value = value[key]
    return value


def assert_kpi_lists(client, org, role: str) -> None:
    section = org.read(client, role, "kpi").json()
    for figure, (value, expected) in KPI[role].items():
        assert kpi_value(section, figure) == value, (role, figure)
        total, ids = listed(client, org, role, "kpi", figure=figure)
        assert (total, ids) == (len(expected), expected), (role, figure)
        if figure.startswith("activeConversations"):
            assert total == value, (role, figure)


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
    local_now = pinned_now.astimezone(zone)
    kinds = [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly]
    start = bucket_start(SnapshotType.weekly, local_now - timedelta(days=14), zone)
    written = write_snapshots(connection, kinds, [(start, local_now)], now=local_now, zone=zone, sla_target_seconds=300)
    assert written
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


def test_the_open_tickets_list_downloads_as_csv(client, planted):
    response = client.get(
        "/api/dashboard/kpi/conversations/export",
        params={"figure": "openTickets.byPriority.low"},
        headers=planted.bearer("owner"),
    )
    assert response.status_code == 200, response.text
    header, *rows = csv_rows(response)
    assert [row[0] for row in rows] == ["arif-answered", "b-waiting"]
