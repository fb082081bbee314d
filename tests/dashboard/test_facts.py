"""The conversation facts of SPEC §3 that every section counts with."""

from __future__ import annotations

from sqlalchemy import select

from pantau.metrics.facts import cohort_filter, conversation_facts
from pantau.models import Conversation
from tests.support.builders import local

DAY_START, DAY_END = local("2026-03-02 00:00"), local("2026-03-03 00:00")


def facts_by_id(connection):
    facts = conversation_facts(cohort_filter(DAY_START, DAY_END))
    rows = connection.execute(select(facts)).mappings().all()
    return {row["id"]: row for row in rows}


def test_frt_runs_from_the_first_inbound_message_to_the_first_agent_message(data, connection):
    conv = data.make_conversation(local("2026-03-02 09:00"), inbound_at=local("2026-03-02 09:00:30"))
    data.make_message(conv, local("2026-03-02 09:01"), sender="bot")
    data.make_message(conv, local("2026-03-02 09:02"), sender="system")
    data.make_message(conv, local("2026-03-02 09:05:30"), sender="agent")
    data.make_message(conv, local("2026-03-02 09:06"), sender="agent")
    fact = facts_by_id(connection)[conv]
    assert fact["c0"] == local("2026-03-02 09:00:30")
    assert fact["frt_seconds"] == 300.0


def test_escalated_at_restarts_the_human_clock(data, connection):
    conv = data.make_conversation(
        local("2026-03-02 09:00"), handled_by_bot=True, escalated_at=local("2026-03-02 09:10")
    )
    data.make_message(conv, local("2026-03-02 09:00:05"), sender="bot")
    data.make_message(conv, local("2026-03-02 09:12"), sender="agent")
    fact = facts_by_id(connection)[conv]
    assert (fact["s0"], fact["frt_seconds"]) == (local("2026-03-02 09:10"), 120.0)
    assert (fact["bot_engaged"], fact["escalated"], fact["bot_only"], fact["needs_human"]) == (1, 1, 0, 1)


def test_an_agent_message_before_the_escalation_does_not_count_as_the_response(data, connection):
    conv = data.make_conversation(
        local("2026-03-02 09:00"), handled_by_bot=True, escalated_at=local("2026-03-02 09:10")
    )
    data.make_message(conv, local("2026-03-02 09:05"), sender="agent")
    data.make_message(conv, local("2026-03-02 09:11"), sender="agent")
    assert facts_by_id(connection)[conv]["frt_seconds"] == 60.0


def test_a_bot_conversation_escalated_only_by_an_agent_message(data, connection):
    conv = data.make_conversation(local("2026-03-02 09:00"))
    data.make_message(conv, local("2026-03-02 09:00:10"), sender="bot")
    data.make_message(conv, local("2026-03-02 09:03"), sender="agent")
    fact = facts_by_id(connection)[conv]
    assert (fact["bot_engaged"], fact["escalated"], fact["bot_only"], fact["human_only"]) == (1, 1, 0, 0)
    assert fact["frt_seconds"] == 180.0


def test_bot_only_conversations_do_not_need_a_human(data, connection):
    conv = data.make_conversation(
        local("2026-03-02 09:00"), handled_by_bot=True, status="resolved", resolved_at=local("2026-03-02 09:04")
    )
    data.make_message(conv, local("2026-03-02 09:00:10"), sender="bot")
    fact = facts_by_id(connection)[conv]
    assert (fact["bot_only"], fact["needs_human"], fact["unanswered"], fact["in_response_stats"]) == (1, 0, 0, 0)


def test_unanswered_needs_a_human_has_no_response_and_is_not_resolved(data, connection):
    waiting = data.make_conversation(local("2026-03-02 09:00"))
    closed_silently = data.make_conversation(
        local("2026-03-02 09:00"), status="closed", resolved_at=local("2026-03-02 10:00")
    )
    facts = facts_by_id(connection)
    assert (facts[waiting]["unanswered"], facts[waiting]["in_response_stats"]) == (1, 1)
    # Resolved without any agent reply: counts in none of the response figures.
    assert (facts[closed_silently]["unanswered"], facts[closed_silently]["in_response_stats"]) == (0, 0)
    assert facts[closed_silently]["needs_human"] == 1


def test_a_conversation_without_inbound_messages_needs_no_human(data, connection):
    conv = data.make_conversation(local("2026-03-02 09:00"), inbound_at=None)
    data.make_message(conv, local("2026-03-02 09:01"), sender="agent")
    fact = facts_by_id(connection)[conv]
    assert (fact["c0"], fact["needs_human"], fact["human_only"]) == (None, 0, 1)


def test_the_cohort_is_by_created_at_around_local_midnight(data, connection):
    before = data.make_conversation(local("2026-03-01 23:59:59"))
    first = data.make_conversation(local("2026-03-02 00:00"))
    last = data.make_conversation(local("2026-03-02 23:59:59.999999"))
    after = data.make_conversation(local("2026-03-03 00:00"))
    assert set(facts_by_id(connection)) == {first, last}
    # The two left out are there to be left out: the whole table holds all four.
    assert set(connection.scalars(select(Conversation.id))) == {before, first, last, after}
