"""Conversation effectiveness' average handling time (first agent response -> resolution) and messages per
conversation, on a hand-built dataset, on SQLite and PostgreSQL, live and from snapshots.

`now` is 10:30 on 2026-03-04 (Jakarta). Snapshots hold the hours and days from 2026-03-03 up to now; the hour in
progress (10:00) is always counted live.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from pantau.dashboard import conversation_effectiveness
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import SnapshotType
from tests.support.builders import local
from tests.support.sections import own_scope, run_section

NOW = local("2026-03-04 10:30")
YESTERDAY = {"preset": "yesterday"}
TWO_DAYS = {"start_date": "2026-03-03", "end_date": "2026-03-04"}  # yesterday stored, today stored and live


def build(data) -> str:
    """Yesterday's cohort of eight conversations and one of today's, each with its messages; returns Ana's id."""
    ana = data.make_user("agent", name="Ana")
    at = local

    # Handled 30 min: answered 09:02, resolved 09:32. Two inbound, two outbound.
    a = data.make_answered_conversation(at("2026-03-03 09:00"), 120, agent=ana, resolved_at=at("2026-03-03 09:32"))
    data.make_message(a, at("2026-03-03 09:05"), sender="customer")
    data.make_message(a, at("2026-03-03 09:06"), sender="agent", sender_id=ana)
    # Handled a quarter of a second after its first response; a system message is outbound too.
    b = data.make_answered_conversation(
        at("2026-03-03 10:00"), 60, agent=ana, resolved_at=at("2026-03-03 10:01") + timedelta(microseconds=250_000)
    )
    data.make_message(b, at("2026-03-03 10:01:00.1"), sender="system")
    # Resolved at 11:05, answered at 11:10 after it was closed: handled at once, 0 s, and counted.
    data.make_answered_conversation(at("2026-03-03 11:00"), 600, resolved_at=at("2026-03-03 11:05"))
    # Answered, never resolved: not handled yet.
    data.make_answered_conversation(at("2026-03-03 12:00"), 180)
    # Resolved by the bot without any agent reply: no first response, so no handling time.
    bot = data.make_conversation(at("2026-03-03 13:00"), handled_by_bot=True, resolved_at=at("2026-03-03 13:10"))
    data.make_message(bot, at("2026-03-03 13:00:05"), sender="bot")
    # Unanswered, two customer messages.
    waiting = data.make_conversation(at("2026-03-03 14:00"))
    data.make_message(waiting, at("2026-03-03 14:01"), sender="customer")
    # No message at all: one of the cohort all the same.
    data.make_conversation(at("2026-03-03 15:00"), inbound_at=None)
    # Answered and resolved today: handled 1 h; its messages count in yesterday's cohort, where it began.
    late = data.make_conversation(at("2026-03-03 16:00"), resolved_at=at("2026-03-04 09:00"))
    data.make_message(late, at("2026-03-04 08:00"), sender="agent")
    # Outside every cohort here: created the day before, written to yesterday.
    before = data.make_conversation(at("2026-03-02 23:59"), resolved_at=at("2026-03-03 09:00"))
    data.make_message(before, at("2026-03-03 08:00"), sender="agent")
    # Today, in the hour in progress: handled 8 min.
    data.make_answered_conversation(at("2026-03-04 10:10"), 120, resolved_at=at("2026-03-04 10:20"))
    return ana


def aggregate(connection) -> None:
    write_snapshots(
        connection,
        [SnapshotType.hourly, SnapshotType.daily],
        [(local("2026-03-03 00:00"), NOW)],
        now=NOW,
        zone=NOW.tzinfo,
        sla_target_seconds=300,
    )


def figures(connection, window: dict, **kwargs) -> list[tuple[dict, dict]]:
    """The two figures, live and from snapshots (which must agree)."""
    found = []
    for use_snapshots in (False, True):
        result = run_section(
            conversation_effectiveness.compute, connection, now=NOW, use_snapshots=use_snapshots, **window, **kwargs
        )
        found.append((result["handlingTime"], result["messagesPerConversation"]))
    assert found[0] == found[1]
    return found[0]


def test_yesterdays_cohort(data, connection):
    build(data)
    aggregate(connection)
    handling, messages = figures(connection, YESTERDAY)
    # (1800 + 0.25 + 0 + 3600) / 4 = 1350.0625 s.
    assert handling == {"avgSeconds": 1350.1, "count": 4}
    # 9 inbound and 8 outbound messages over 8 conversations.
    assert messages == {
        "inbound": 1.1,
        "outbound": 1.0,
        "inboundMessages": 9,
        "outboundMessages": 8,
        "conversations": 8,
    }


def test_a_range_of_stored_days_and_a_live_edge(data, connection):
    build(data)
    aggregate(connection)
    handling, messages = figures(connection, TWO_DAYS)
    # (5400.25 + 480) / 5 = 1176.05 s, rounded half up.
    assert handling == {"avgSeconds": 1176.1, "count": 5}
    assert messages == {
        "inbound": 1.1,
        "outbound": 1.0,
        "inboundMessages": 10,
        "outboundMessages": 9,
        "conversations": 9,
    }


def test_an_agents_own_conversations(data, connection):
    ana = build(data)
    aggregate(connection)
    handling, messages = figures(connection, YESTERDAY, scope=own_scope(ana))
    # (1800 + 0.25) / 2 = 900.125 s.
    assert handling == {"avgSeconds": 900.1, "count": 2}
    assert messages == {
        "inbound": 1.5,
        "outbound": 2.0,
        "inboundMessages": 3,
        "outboundMessages": 4,
        "conversations": 2,
    }


@pytest.mark.parametrize("window", [{"preset": "today"}, {"start_date": "2026-02-01", "end_date": "2026-02-02"}])
def test_an_empty_cohort_gives_nulls(data, connection, window):
    data.make_user("agent", name="Ana")
    aggregate(connection)
    handling, messages = figures(connection, window)
    assert handling == {"avgSeconds": None, "count": 0}
    assert messages == {
        "inbound": None,
        "outbound": None,
        "inboundMessages": 0,
        "outboundMessages": 0,
        "conversations": 0,
    }


def test_a_cohort_with_no_handled_conversation_has_no_handling_time_but_its_messages(data, connection):
    """Answered but open, resolved without an answer, unanswered: none was handled; their messages still count."""
    data.make_answered_conversation(local("2026-03-04 08:00"), 60)
    data.make_conversation(local("2026-03-04 08:30"), resolved_at=local("2026-03-04 08:40"))
    data.make_conversation(local("2026-03-04 09:00"))
    aggregate(connection)
    handling, messages = figures(connection, {"preset": "today"})
    assert handling == {"avgSeconds": None, "count": 0}
    assert messages == {
        "inbound": 1.0,
        "outbound": 0.3,
        "inboundMessages": 3,
        "outboundMessages": 1,
        "conversations": 3,
    }
