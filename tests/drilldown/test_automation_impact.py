"""`GET /api/dashboard/automation-impact/conversations`: for every figure that counts conversations (chatbot, hybrid,
human; bot-engaged, resolved by the bot, dropped, escalated; an intent's), the list's `total` is the figure of the
section's JSON and its rows are exactly the conversations the definition selects (SPEC §3, §5.6), for the owner and
a supervisor, live and with snapshots; agents are refused as the section refuses them; unknown figures and intents
are refused with 400. On SQLite and PostgreSQL, on the planted organisation of the HTTP tests (3 minutes between its
events, now 12:00 local) plus the conversations of the bot planted here."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from pantau.core import clock
from pantau.core.windows import local_date, local_midnight
from pantau.metrics import parts_source
from pantau.metrics.parts_source import PartsSource
from tests.api.organisation import TEAM_A, TEAM_B
from tests.api.responses import assert_refused
from tests.drilldown.lists import assert_list_is, list_query, whole_list, write_two_weeks_of_snapshots
from tests.exports.files import csv_rows
from tests.support.builders import DEFAULT_ZONE
from tests.support.sections import ORGANISATION

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

ZONE = ZoneInfo(DEFAULT_ZONE)
SECTION = "automation-impact"
PATH = f"/api/dashboard/{SECTION}/conversations"

# Every conversation of today, oldest first: the organisation's twelve and the ten of `planted`.
ALL = [
    "midnight-dropped",
    "ani-answered",
    "bot-resolved",
    "bot-dropped",
    "ani-waiting",
    "arif-answered",
    "bot-answered",
    "a-bot-only",
    "flag-only",
    "arif-escalated",
    "bot-then-agent",
    "b-for-ani",
    "b-dropped",
    "budi-answered",
    "human-intent",
    "bot-hour-ago",
    "b-waiting",
    "b-bot-only",
    "orphan",
    "nina-answered",
    "a-campaign",
]
OUTSIDE_TEAM_A = {"b-dropped", "budi-answered", "human-intent", "b-waiting", "b-bot-only", "orphan", "nina-answered"}
SCOPES = {"owner": set(ALL), "supervisor A": set(ALL) - OUTSIDE_TEAM_A}

BOT_ONLY = [
    "midnight-dropped",
    "bot-resolved",
    "bot-dropped",
    "bot-answered",
    "a-bot-only",
    "flag-only",  # handled_by_bot without a single bot message
    "b-dropped",
    "bot-hour-ago",
    "b-bot-only",
]
ESCALATED = ["arif-escalated", "bot-then-agent"]  # escalated_at set / an agent wrote after the bot, no escalated_at
BOT_ENGAGED = [name for name in ALL if name in BOT_ONLY or name in ESCALATED]
SELECTED: dict[tuple[str, str | None], list[str]] = {
    ("chatbotVsHuman.chatbot", None): BOT_ONLY,
    ("chatbotVsHuman.hybrid", None): ESCALATED,
    ("chatbotVsHuman.human", None): [name for name in ALL if name not in BOT_ENGAGED],
    ("autoReplySuccess.total", None): BOT_ENGAGED,
    ("autoReplySuccess.successful", None): ["bot-resolved", "a-bot-only"],
    ("dropOffRate.total", None): BOT_ENGAGED,
    # Not dropped: the customer wrote after the bot (bot-answered), no bot message (flag-only), the bot spoke exactly
    # an hour ago (bot-hour-ago) or 51 minutes ago (b-bot-only), resolved (bot-resolved), escalated.
    ("dropOffRate.dropped", None): ["midnight-dropped", "bot-dropped", "b-dropped"],
    ("escalationRate.total", None): BOT_ENGAGED,
    ("escalationRate.escalated", None): ESCALATED,
    ("topIntents", "refund"): ["bot-dropped", "bot-answered", "bot-then-agent", "human-intent"],
    ("topIntents", "order_status"): ["midnight-dropped", "bot-resolved"],
    ("topIntents", "Refund"): ["bot-hour-ago"],  # intents are told apart as written
    ("topIntents", "warranty"): ["b-dropped"],
}
INTENTS_IN_SCOPE = {
    "owner": {"refund", "order_status", "Refund", "warranty"},
    "supervisor A": {"refund", "order_status", "Refund"},
}


@pytest.fixture
def planted(org, data, pinned_now):
    """The organisation, plus conversations of the bot (`at(k)`: 10:00 + 3k minutes; now is 12:00, so a bot message
    before at(20) = 11:00 is more than an hour old), one created at today's local midnight and one a moment before."""
    at = org.timeline.at
    midnight = local_midnight(local_date(pinned_now, ZONE), ZONE)

    def bot_conversation(conversation_id: str, created, *, bot_at=None, **fields) -> str:
        data.make_conversation(created, id=conversation_id, **fields)
        if bot_at is not None:
            data.make_message(conversation_id, bot_at, sender="bot", status="read", is_auto_reply=True)
        return conversation_id

    bot_conversation(
        "midnight-dropped",
        midnight,
        bot_at=midnight + timedelta(minutes=1),
        team=TEAM_A,
        handled_by_bot=True,
        intent="order_status",
    )
    bot_conversation(
        "yesterday-dropped",
        midnight - timedelta(seconds=30),
        bot_at=midnight - timedelta(seconds=10),
        team=TEAM_A,
        handled_by_bot=True,
        intent="order_status",
    )
    bot_conversation(
        "bot-resolved",
        at(2.5),
        bot_at=at(3),
        team=TEAM_A,
        handled_by_bot=True,
        status="resolved",
        resolved_at=at(3.2),
        intent="order_status",
    )
    # Bot-engaged by its bot message alone (handled_by_bot unset).
    bot_conversation("bot-dropped", at(3.5), bot_at=at(4.5), team=TEAM_A, intent="refund")
    bot_conversation("bot-answered", at(6.5), bot_at=at(7), team=TEAM_A, handled_by_bot=True, intent="refund")
    data.make_message("bot-answered", at(7.5), sender="customer")
    bot_conversation("flag-only", at(9.5), team=TEAM_A, handled_by_bot=True)
    bot_conversation("bot-then-agent", at(12.5), bot_at=at(13), team=TEAM_A, assigned_to="arif", intent="refund")
    data.make_message("bot-then-agent", at(13.5), sender="agent", sender_id="arif")
    bot_conversation("b-dropped", at(16.5), bot_at=at(17.5), team=TEAM_B, handled_by_bot=True, intent="warranty")
    data.make_conversation(at(18.5), team=TEAM_B, intent="refund", id="human-intent")
    bot_conversation("bot-hour-ago", at(19.5), bot_at=at(20), team=TEAM_A, handled_by_bot=True, intent="Refund")
    return org


def listing(client, org, role: str, **parameters):
    return client.get(PATH, params={"dateRange": "today", **parameters}, headers=org.bearer(role))


def figure_value(section: dict, figure: str, bucket: str | None) -> int:
    if figure == "topIntents":
        return next((item["count"] for item in section[figure] if item["intent"] == bucket), 0)
    parent, key = figure.split(".")
    return section[parent][key]


def cases(role: str) -> list[tuple[str, str | None, list[str]]]:
    return [
        (figure, bucket, [name for name in selected if name in SCOPES[role]])
        for (figure, bucket), selected in SELECTED.items()
        if figure != "topIntents" or bucket in INTENTS_IN_SCOPE[role]
    ]


def assert_lists_match_the_section(client, org, role: str) -> None:
    section = org.read(client, role, SECTION).json()
    for figure, bucket, expected in cases(role):
        body = whole_list(listing(client, org, role, **list_query(figure, bucket)))
        assert_list_is(body, figure_value(section, figure, bucket), expected, (figure, bucket))


def test_the_figures_are_those_the_lists_are_checked_against(client, planted):
    section = planted.read(client, "owner", SECTION).json()
    assert section["chatbotVsHuman"] == {"chatbot": 9, "hybrid": 2, "human": 10, "percentage": 42.9}
    assert (section["autoReplySuccess"]["total"], section["autoReplySuccess"]["successful"]) == (11, 2)
    assert (section["dropOffRate"]["total"], section["dropOffRate"]["dropped"]) == (11, 3)
    assert (section["escalationRate"]["total"], section["escalationRate"]["escalated"]) == (11, 2)
    assert [(item["intent"], item["count"]) for item in section["topIntents"]] == [
        ("refund", 4),
        ("order_status", 2),
        ("Refund", 1),
        ("warranty", 1),
    ]


@pytest.mark.parametrize("role", ["owner", "supervisor A"])
def test_every_list_holds_exactly_the_conversations_its_figure_counts(client, planted, role):
    assert_lists_match_the_section(client, planted, role)


@pytest.mark.parametrize("role", ["owner", "supervisor A"])
def test_the_lists_match_the_figures_read_from_snapshots(client, planted, connection, settings, pinned_now, role):
    zone = ZONE  # the organisation's, which the section reads the buckets in
    local_now = write_two_weeks_of_snapshots(connection, pinned_now, zone)
    # The section reads today's first hours (midnight-dropped's among them, dropped already) from the snapshots.
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    source = PartsSource(connection, ORGANISATION, settings, pinned_now)
    plan = source._plan(midnight, pinned_now, parts_source._LARGEST_FIRST)
    assert plan.snapshot_buckets
    assert_lists_match_the_section(client, planted, role)
    # Yesterday is one whole day of snapshots: the conversation a moment before midnight is its only one.
    yesterday = planted.read(client, role, SECTION, dateRange="yesterday").json()
    for figure in ("dropOffRate.dropped", "chatbotVsHuman.chatbot", "autoReplySuccess.total"):
        body = listing(client, planted, role, figure=figure, dateRange="yesterday").json()
        assert body["total"] == figure_value(yesterday, figure, None) == 1
        assert [item["id"] for item in body["items"]] == ["yesterday-dropped"]
    refunds = listing(client, planted, role, figure="topIntents", bucket="refund", dateRange="yesterday").json()
    assert (refunds["total"], refunds["items"]) == (figure_value(yesterday, "topIntents", "refund"), []) == (0, [])


def test_a_drop_is_judged_at_the_moment_asked(client, planted, pinned_now, monkeypatch):
    """A minute later, the bot's message of 11:00 is more than an hour old: bot-hour-ago is dropped too."""
    monkeypatch.setattr(clock, "now", lambda: pinned_now + timedelta(minutes=1))
    section = planted.read(client, "owner", SECTION).json()
    body = listing(client, planted, "owner", figure="dropOffRate.dropped").json()
    assert body["total"] == section["dropOffRate"]["dropped"] == 4
    assert [item["id"] for item in body["items"]] == ["midnight-dropped", "bot-dropped", "b-dropped", "bot-hour-ago"]


def test_agents_are_refused_the_lists_as_the_section_refuses_them(http_client, planted):
    assert planted.read(http_client, "agent", SECTION).status_code == 403
    for parameters in ({"figure": "chatbotVsHuman.chatbot"}, {"figure": "topIntents", "bucket": "refund"}):
        response = listing(http_client, planted, "agent", **parameters)
        assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("role", "parameters", "parameter"),
    [
        ("owner", {}, "figure"),
        ("owner", {"figure": "chatbotVsHuman.percentage"}, "figure"),
        ("owner", {"figure": "timeSaved.hours"}, "figure"),
        ("owner", {"figure": "dropOffRate.dropped", "bucket": "x"}, "bucket"),
        ("owner", {"figure": "topIntents"}, "bucket"),
        ("owner", {"figure": "topIntents", "bucket": "cancel"}, "bucket"),
        ("supervisor A", {"figure": "topIntents", "bucket": "warranty"}, "bucket"),  # only team B's conversation has it
        ("owner", {"figure": "escalationRate.escalated", "dateRange": "fortnight"}, "dateRange"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(http_client, planted, role, parameters, parameter):
    assert_refused(listing(http_client, planted, role, **parameters), 400, "invalid_parameter", parameter)


def test_an_unknown_intent_is_named_in_the_refusal(client, planted):
    body = listing(client, planted, "owner", figure="topIntents", bucket="cancel").json()
    assert body["detail"] == "bucket: topIntents has no intent 'cancel'"


def test_a_team_outside_the_scope_is_forbidden(http_client, planted):
    response = listing(http_client, planted, "supervisor A", figure="dropOffRate.dropped", teamId=TEAM_B)
    assert response.status_code == 403


def test_the_dropped_conversations_download_as_csv(client, planted):
    response = client.get(
        f"{PATH}/export",
        params={"dateRange": "today", "figure": "dropOffRate.dropped", "format": "csv", "lang": "en"},
        headers=planted.bearer("supervisor A"),
    )
    header, *rows = csv_rows(response)
    assert header[0] == "Conversation id"
    assert [row[0] for row in rows] == ["midnight-dropped", "bot-dropped"]
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="pantau-{SECTION}-dropOffRate.dropped-today-'
    )
