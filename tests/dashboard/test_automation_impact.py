"""Automation impact (SPEC §5.6): each figure on a hand-built dataset, on SQLite and PostgreSQL.

`now` is 2026-03-04 10:30 in Jakarta; the default range, 30d, starts at local midnight on 2026-02-03.
"""

from __future__ import annotations

from pantau.dashboard import automation_impact
from tests.support.builders import local
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

NOW = local("2026-03-04 10:30")


def run(connection, **kwargs):
    return run_section(automation_impact.compute, connection, now=NOW, default="30d", **kwargs)


def bot_only(data, created_at, **conversation):
    """A conversation the bot answered alone."""
    conv = data.make_conversation(created_at, handled_by_bot=True, **conversation)
    data.make_message(conv, created_at, sender="bot")
    return conv


def resolved_by_bot(data, created_at, **conversation):
    return bot_only(data, created_at, status="resolved", resolved_at=created_at, **conversation)


def hybrid(data, created_at, **conversation):
    """A bot conversation an agent took over."""
    conv = bot_only(data, created_at, **conversation)
    data.make_message(conv, created_at, sender="agent")
    return conv


def test_empty_range_gives_zero_counts_and_null_rates(connection):
    result = run(connection)
    assert result["chatbotVsHuman"] == {"chatbot": 0, "hybrid": 0, "human": 0, "percentage": None}
    assert result["autoReplySuccess"] == {"total": 0, "successful": 0, "percentage": None}
    assert result["dropOffRate"] == {"total": 0, "dropped": 0, "percentage": None}
    assert result["topIntents"] == []
    assert result["timeSaved"] == {"hours": 0.0, "estimatedCost": 0.0, "currency": "IDR", "minutesPerConversation": 5.0}
    assert result["escalationRate"] == {"total": 0, "escalated": 0, "percentage": None}
    assert result["csatComparison"] == {"botOnly": None, "hybrid": None, "humanOnly": None}
    assert result["range"]["start"] == "2026-02-03T00:00:00+07:00"


def test_chatbot_vs_human_splits_the_cohort_in_three(data, connection):
    bot_only(data, local("2026-02-03 00:00"))  # the range's first instant
    data.make_conversation(local("2026-03-01 09:00"), handled_by_bot=True)  # flagged, no bot message yet
    data.make_conversation(local("2026-03-01 09:00"), handled_by_bot=True, escalated_at=local("2026-03-01 09:05"))
    hybrid(data, local("2026-03-01 09:00"))  # escalated by the agent's message alone
    human = data.make_conversation(local("2026-03-01 09:00"))
    data.make_message(human, local("2026-03-01 09:02"), sender="agent")
    data.make_conversation(local("2026-03-01 09:00"))  # human-only, unanswered
    bot_only(data, local("2026-02-02 23:59:59"))  # before the range
    assert run(connection)["chatbotVsHuman"] == {"chatbot": 2, "hybrid": 2, "human": 2, "percentage": 33.3}


def test_escalation_rate_is_escalated_over_bot_engaged(data, connection):
    bot_only(data, local("2026-03-01 09:00"))
    bot_only(data, local("2026-03-01 09:00"))
    hybrid(data, local("2026-03-01 09:00"))
    data.make_conversation(local("2026-03-01 09:00"), handled_by_bot=True, escalated_at=local("2026-03-01 09:05"))
    data.make_conversation(local("2026-03-01 09:00"))  # human-only: not in the rate at all
    assert run(connection)["escalationRate"] == {"total": 4, "escalated": 2, "percentage": 50.0}


def test_auto_reply_success_counts_bot_only_conversations_that_were_resolved(data, connection):
    resolved_by_bot(data, local("2026-03-01 09:00"))
    bot_only(data, local("2026-03-01 09:00"))  # still open
    hybrid(data, local("2026-03-01 09:00"), status="resolved", resolved_at=local("2026-03-01 10:00"))
    data.make_conversation(local("2026-03-01 09:00"), status="resolved", resolved_at=local("2026-03-01 10:00"))
    assert run(connection)["autoReplySuccess"] == {"total": 3, "successful": 1, "percentage": 33.3}


def test_drop_off_counts_bot_only_conversations_left_with_the_bot_for_over_an_hour(data, connection):
    dropped = data.make_conversation(local("2026-03-04 08:00"), handled_by_bot=True)
    data.make_message(dropped, local("2026-03-04 09:29:59"), sender="bot")
    recent = data.make_conversation(local("2026-03-04 08:00"), handled_by_bot=True)
    data.make_message(recent, local("2026-03-04 10:00"), sender="bot")  # 30 minutes old
    exactly_an_hour = data.make_conversation(local("2026-03-04 08:00"), handled_by_bot=True)
    data.make_message(exactly_an_hour, local("2026-03-04 09:30"), sender="bot")  # not older than 1 h
    customer_last = data.make_conversation(local("2026-03-04 07:00"), handled_by_bot=True)
    data.make_message(customer_last, local("2026-03-04 07:30"), sender="bot")
    data.make_message(customer_last, local("2026-03-04 08:30"), sender="customer")
    same_instant = data.make_conversation(local("2026-03-04 07:00"), handled_by_bot=True)
    data.make_message(same_instant, local("2026-03-04 07:00"), sender="bot")  # with the customer's first message
    resolved = data.make_conversation(
        local("2026-03-04 07:00"), handled_by_bot=True, status="resolved", resolved_at=local("2026-03-04 07:30")
    )
    data.make_message(resolved, local("2026-03-04 07:10"), sender="bot")
    hybrid(data, local("2026-03-04 07:00"))
    data.make_conversation(local("2026-03-04 07:00"), handled_by_bot=True)  # no bot message at all
    # 8 bot-engaged; only the first was dropped.
    assert run(connection)["dropOffRate"] == {"total": 8, "dropped": 1, "percentage": 12.5}


def test_top_intents_rank_by_count_then_intent_with_their_success_rate(data, connection):
    for _ in range(2):
        resolved_by_bot(data, local("2026-03-01 09:00"), intent="shipping")
    hybrid(data, local("2026-03-01 09:00"), intent="shipping", status="resolved", resolved_at=local("2026-03-01 10:00"))
    resolved_by_bot(data, local("2026-03-01 09:00"), intent="billing")
    bot_only(data, local("2026-03-01 09:00"), intent="billing")
    bot_only(data, local("2026-03-01 09:00"), intent="billing")
    data.make_conversation(local("2026-03-01 09:00"), intent="refund")  # human-only: 0 of 1 by the bot
    bot_only(data, local("2026-03-01 09:00"))  # no intent: not listed
    assert run(connection)["topIntents"] == [
        {"intent": "billing", "count": 3, "successRate": 33.3},
        {"intent": "shipping", "count": 3, "successRate": 66.7},
        {"intent": "refund", "count": 1, "successRate": 0.0},
    ]


def test_top_intents_keep_ten_ordered_by_code_point_whatever_the_collation(data, connection):
    for intent in ["top", "top", "a", "Z", *(f"i{n}" for n in range(1, 10))]:
        bot_only(data, local("2026-03-01 09:00"), intent=intent)
    # 12 intents; after "top" (2) the ten with 1 in code-point order: "Z" < "a" < "i1" ... ("i8", "i9" are cut).
    intents = [row["intent"] for row in run(connection)["topIntents"]]
    assert intents == ["top", "Z", "a", "i1", "i2", "i3", "i4", "i5", "i6", "i7"]


def test_time_saved_values_the_conversations_the_bot_resolved_alone(data, connection):
    for _ in range(3):
        resolved_by_bot(data, local("2026-03-01 09:00"))
    hybrid(data, local("2026-03-01 09:00"), status="resolved", resolved_at=local("2026-03-01 10:00"))
    # 3 x 5 min = 0.25 h (shown as 0.3) at Rp 35,000 per hour (the default) = Rp 8,750.
    assert run(connection)["timeSaved"] == {
        "hours": 0.3,
        "estimatedCost": 8750.0,
        "currency": "IDR",
        "minutesPerConversation": 5.0,
    }
    # The same figure business-impact reads through time_saved().
    assert run_section(automation_impact.time_saved, connection, now=NOW, default="30d")["hours"] == 0.3
    assert run(connection, agent_minutes_per_conversation=20, agent_hourly_cost=12, currency="USD")["timeSaved"] == {
        "hours": 1.0,
        "estimatedCost": 12.0,
        "currency": "USD",
        "minutesPerConversation": 20.0,
    }


def test_csat_comparison_means_each_kind_of_conversation(data, connection):
    bot_only(data, local("2026-03-01 09:00"), csat_score=5)
    bot_only(data, local("2026-03-01 09:00"), csat_score=4)
    hybrid(data, local("2026-03-01 09:00"), csat_score=3)
    hybrid(data, local("2026-03-01 09:00"))  # no score: not in the mean
    for score in (4, 4, 5):
        data.make_conversation(local("2026-03-01 09:00"), csat_score=score)
    assert run(connection)["csatComparison"] == {"botOnly": 4.5, "hybrid": 3.0, "humanOnly": 4.3}


def test_each_scope_counts_only_its_own_conversations(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    ana = data.make_user("agent", team=team_a)
    bob = data.make_user("agent", team=team_b)
    resolved_by_bot(data, local("2026-03-01 09:00"), team=team_a, intent="billing")  # unassigned, team A
    hybrid(data, local("2026-03-01 09:00"), team=team_a, assigned_to=ana, intent="billing")
    hybrid(data, local("2026-03-01 09:00"), team=team_b, assigned_to=ana)  # ana's, in team B
    resolved_by_bot(data, local("2026-03-01 09:00"), team=team_b, intent="shipping")
    data.make_conversation(local("2026-03-01 09:00"), team=team_b, assigned_to=bob)
    expected = {
        # own scope is what a supervisor without a team reads here
        # ((chatbot, hybrid, human), hours saved at 5 min per bot-resolved conversation, intents listed)
        "ana": (own_scope(ana), (0, 2, 0), 0.0, ["billing"]),
        "team A": (team_scope(team_a), (1, 2, 0), 0.1, ["billing"]),
        "team B": (team_scope(team_b), (1, 1, 1), 0.1, ["shipping"]),
        "organisation": (ORGANISATION, (2, 2, 1), 0.2, ["billing", "shipping"]),
    }
    for name, (scope, split, hours, intents) in expected.items():
        result = run(connection, scope=scope)
        kinds = result["chatbotVsHuman"]
        assert (kinds["chatbot"], kinds["hybrid"], kinds["human"]) == split, name
        assert result["escalationRate"]["total"] == split[0] + split[1], name
        assert result["timeSaved"]["hours"] == hours, name
        assert [row["intent"] for row in result["topIntents"]] == intents, name
