"""Conversation effectiveness (SPEC §5.2): each figure on a hand-built dataset, on SQLite and PostgreSQL.

`now` is 10:30 on 2026-03-04 (Jakarta); the default range is today, [00:00, 10:30). The SLA target is 300 s.
"""

from __future__ import annotations

from pantau.dashboard import conversation_effectiveness
from tests.support.builders import local
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

NOW = local("2026-03-04 10:30")
BUCKETS = ["<1m", "1-5m", "5-15m", "15-60m", "1-4h", ">4h", "unanswered"]


def run(connection, **kwargs):
    return run_section(conversation_effectiveness.compute, connection, now=NOW, **kwargs)


def test_an_empty_range_gives_nulls_and_zero_filled_buckets(data, connection):
    ana = data.make_user("agent", name="Ana")
    result = run(connection)
    assert result["conversationsPerAgent"] == [
        {
            "agentId": ana,
            "agentName": "Ana",
            "teamId": None,
            "count": 0,
            "avgResponseTime": None,
            "resolved": 0,
            "resolutionRate": None,
            "slaCompliance": None,
            "belowThreshold": False,
        }
    ]
    series = result["avgResponseTimeOverTime"]
    assert len(series) == 11  # 00:00 to 10:00, the hour `now` is in included
    assert series[0] == {"timestamp": "2026-03-04T00:00:00+07:00", "avgSeconds": None, "count": 0}
    assert result["slaCompliance"] == {
        "percentage": None,
        "compliant": 0,
        "nonCompliant": 0,
        "pending": 0,
        "targetSeconds": 300,
    }
    assert result["resolvedVsOpen"] == {"resolved": 0, "open": 0, "percentage": None}
    assert result["firstResponseDistribution"] == [{"bucket": bucket, "count": 0} for bucket in BUCKETS]
    assert result["totals"] == {"value": 0, "previous": 0, "change": None, "trend": "stable"}


def test_each_active_agent_supervisor_and_manager_gets_a_row_with_their_cohort(data, connection):
    team = data.make_team("Sales")
    ana = data.make_user("agent", team=team, name="Ana")
    budi = data.make_user("supervisor", team=team, name="Budi")
    citra = data.make_user("manager", team=team, name="Citra")
    data.make_user("agent", team=team, name="Gone", is_active=False)
    data.make_user("owner", name="Owner")
    data.make_answered_conversation(
        local("2026-03-04 09:00"), 120, agent=ana, status="resolved", resolved_at=local("2026-03-04 09:30")
    )
    data.make_answered_conversation(local("2026-03-04 09:10"), 240, agent=ana)
    data.make_conversation(local("2026-03-04 09:20"), assigned_to=ana)  # unanswered for 70 min: non-compliant
    data.make_answered_conversation(
        local("2026-03-04 08:00"), 600, agent=budi, status="resolved", resolved_at=local("2026-03-04 08:30")
    )
    data.make_conversation(local("2026-03-04 09:00"), team=team)  # unassigned: in the totals, in no row
    result = run(connection)
    assert result["conversationsPerAgent"] == [
        {
            "agentId": ana,
            "agentName": "Ana",
            "teamId": team,
            "count": 3,
            "avgResponseTime": 180.0,
            "resolved": 1,
            "resolutionRate": 33.3,
            "slaCompliance": 66.7,
            "belowThreshold": False,
        },
        {
            "agentId": budi,
            "agentName": "Budi",
            "teamId": team,
            "count": 1,
            "avgResponseTime": 600.0,
            "resolved": 1,
            "resolutionRate": 100.0,
            "slaCompliance": 0.0,
            "belowThreshold": True,
        },
        {
            "agentId": citra,
            "agentName": "Citra",
            "teamId": team,
            "count": 0,
            "avgResponseTime": None,
            "resolved": 0,
            "resolutionRate": None,
            "slaCompliance": None,
            "belowThreshold": False,
        },
    ]
    assert result["totals"]["value"] == 5


def test_rows_are_sorted_by_count_then_by_name_ignoring_case(data, connection):
    citra = data.make_user("agent", name="Citra")
    ana = data.make_user("agent", name="ana")
    budi = data.make_user("agent", name="Budi")
    dewi = data.make_user("agent", name="Dewi")
    for agent in (citra, citra, ana, budi):
        data.make_answered_conversation(local("2026-03-04 09:00"), 60, agent=agent)
    rows = run(connection)["conversationsPerAgent"]
    assert [(row["agentId"], row["count"]) for row in rows] == [(citra, 2), (ana, 1), (budi, 1), (dewi, 0)]


def test_below_threshold_means_a_mean_response_time_above_the_target(data, connection):
    ana = data.make_user("agent", name="Ana")
    budi = data.make_user("agent", name="Budi")
    citra = data.make_user("agent", name="Citra")
    dewi = data.make_user("agent", name="Dewi")
    data.make_answered_conversation(local("2026-03-04 09:00"), 300, agent=ana)  # exactly the target: not below
    data.make_answered_conversation(local("2026-03-04 09:00"), 301, agent=budi)
    data.make_conversation(local("2026-03-04 09:00"), assigned_to=citra)  # no response time at all
    data.make_answered_conversation(local("2026-03-04 09:00"), 300.04, agent=dewi)  # shown as 300.0, yet above
    rows = {row["agentId"]: row for row in run(connection)["conversationsPerAgent"]}
    assert [rows[agent]["belowThreshold"] for agent in (ana, budi, citra, dewi)] == [False, True, False, True]
    assert rows[dewi]["avgResponseTime"] == 300.0


def test_sla_compliance_judges_answers_and_overdue_waits_and_leaves_young_waits_pending(data, connection):
    data.make_answered_conversation(local("2026-03-04 09:00"), 300)  # compliant: exactly the target
    data.make_answered_conversation(local("2026-03-04 09:00"), 301)  # non-compliant
    data.make_conversation(local("2026-03-04 10:24:59"))  # waiting 301 s at 10:30: non-compliant
    data.make_conversation(local("2026-03-04 10:25"))  # waiting exactly 300 s: pending
    # Bot conversation handed over at 10:28: the human clock starts there, 120 s ago: pending.
    data.make_conversation(local("2026-03-04 08:00"), handled_by_bot=True, escalated_at=local("2026-03-04 10:28"))
    # Neither judged: resolved without an agent reply, and resolved by the bot alone.
    data.make_conversation(local("2026-03-04 08:00"), status="resolved", resolved_at=local("2026-03-04 08:10"))
    data.make_conversation(
        local("2026-03-04 08:00"), handled_by_bot=True, status="resolved", resolved_at=local("2026-03-04 08:01")
    )
    assert run(connection)["slaCompliance"] == {
        "percentage": 33.3,
        "compliant": 1,
        "nonCompliant": 2,
        "pending": 2,
        "targetSeconds": 300,
    }


def test_sla_compliance_follows_the_configured_target(data, connection):
    data.make_answered_conversation(local("2026-03-04 09:00"), 400)
    data.make_conversation(local("2026-03-04 10:00"))  # waiting 1800 s
    result = run(connection, sla_first_response_seconds=3600)["slaCompliance"]
    assert result == {"percentage": 100.0, "compliant": 1, "nonCompliant": 0, "pending": 1, "targetSeconds": 3600}


def test_first_response_distribution_puts_each_boundary_in_the_upper_bucket(data, connection):
    for seconds in (59, 60, 299, 300, 899, 900, 3599, 3600, 14399, 14400):
        data.make_answered_conversation(local("2026-03-04 01:00"), seconds)
    data.make_conversation(local("2026-03-04 10:00"))  # unanswered
    data.make_conversation(local("2026-03-04 08:00"), status="resolved", resolved_at=local("2026-03-04 08:10"))
    data.make_conversation(local("2026-03-04 08:00"), handled_by_bot=True)  # bot-only: needs no human
    counts = [bucket["count"] for bucket in run(connection)["firstResponseDistribution"]]
    assert dict(zip(BUCKETS, counts, strict=True)) == {
        "<1m": 1,
        "1-5m": 2,
        "5-15m": 2,
        "15-60m": 2,
        "1-4h": 2,
        ">4h": 1,
        "unanswered": 1,
    }


def test_response_time_over_today_is_hourly_by_creation_time(data, connection):
    data.make_answered_conversation(local("2026-03-04 00:00"), 30)
    data.make_answered_conversation(local("2026-03-04 09:00"), 60)
    data.make_answered_conversation(local("2026-03-04 09:59:59"), 120)
    data.make_conversation(local("2026-03-04 10:00"))  # unanswered: in no average
    data.make_conversation(local("2026-03-04 05:00"), handled_by_bot=True)  # bot-only
    data.make_answered_conversation(local("2026-03-03 23:59:59"), 10)  # yesterday
    series = run(connection)["avgResponseTimeOverTime"]
    assert len(series) == 11
    assert series[0] == {"timestamp": "2026-03-04T00:00:00+07:00", "avgSeconds": 30.0, "count": 1}
    assert series[5] == {"timestamp": "2026-03-04T05:00:00+07:00", "avgSeconds": None, "count": 0}
    assert series[9] == {"timestamp": "2026-03-04T09:00:00+07:00", "avgSeconds": 90.0, "count": 2}
    assert series[10] == {"timestamp": "2026-03-04T10:00:00+07:00", "avgSeconds": None, "count": 0}


def test_response_time_over_seven_days_is_daily_split_at_local_midnight(data, connection):
    data.make_answered_conversation(local("2026-02-25 23:59:59"), 999)  # before the range
    data.make_answered_conversation(local("2026-02-26 00:00"), 60)
    data.make_answered_conversation(local("2026-03-03 23:59:59"), 100)
    data.make_answered_conversation(local("2026-03-04 00:00"), 200)
    series = run(connection, preset="7d")["avgResponseTimeOverTime"]
    assert [(point["timestamp"][:10], point["avgSeconds"], point["count"]) for point in series] == [
        ("2026-02-26", 60.0, 1),
        ("2026-02-27", None, 0),
        ("2026-02-28", None, 0),
        ("2026-03-01", None, 0),
        ("2026-03-02", None, 0),
        ("2026-03-03", 100.0, 1),
        ("2026-03-04", 200.0, 1),
    ]
    assert series[0]["timestamp"] == "2026-02-26T00:00:00+07:00"


def test_buckets_are_hourly_up_to_48_hours_and_daily_beyond(data, connection):
    two_days = run(connection, start_date="2026-03-03", end_date="2026-03-04")["avgResponseTimeOverTime"]
    assert len(two_days) == 24 + 11  # every hour of yesterday, and today's up to now
    three_days = run(connection, start_date="2026-03-02", end_date="2026-03-04")["avgResponseTimeOverTime"]
    assert [point["timestamp"] for point in three_days] == [
        "2026-03-02T00:00:00+07:00",
        "2026-03-03T00:00:00+07:00",
        "2026-03-04T00:00:00+07:00",
    ]


def test_resolved_vs_open_covers_the_whole_cohort(data, connection):
    data.make_conversation(local("2026-03-04 09:00"), status="resolved", resolved_at=local("2026-03-04 09:30"))
    data.make_conversation(local("2026-03-04 09:00"), status="closed", resolved_at=local("2026-03-04 09:40"))
    data.make_conversation(
        local("2026-03-04 09:00"), handled_by_bot=True, status="resolved", resolved_at=local("2026-03-04 09:01")
    )
    data.make_conversation(local("2026-03-04 09:00"), status="pending")
    data.make_conversation(local("2026-03-03 09:00"), status="resolved", resolved_at=local("2026-03-04 09:00"))
    assert run(connection)["resolvedVsOpen"] == {"resolved": 3, "open": 1, "percentage": 75.0}


def test_totals_compare_with_yesterday_up_to_the_same_clock_time(data, connection):
    data.make_conversation(local("2026-03-04 00:00"))
    data.make_conversation(local("2026-03-04 10:29:59"))
    data.make_conversation(local("2026-03-04 10:29:59"))
    data.make_conversation(local("2026-03-03 00:00"))
    data.make_conversation(local("2026-03-03 10:29:59"))
    data.make_conversation(local("2026-03-03 10:30"))  # after yesterday's clock window
    data.make_conversation(local("2026-03-03 23:59:59"))  # yesterday, just before the range
    assert run(connection)["totals"] == {"value": 3, "previous": 2, "change": 50.0, "trend": "up"}


def test_each_scope_counts_only_its_own_conversations(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    ana = data.make_user("agent", team=team_a, name="Ana")
    bob = data.make_user("agent", team=team_b, name="Bob")
    data.make_answered_conversation(local("2026-03-04 09:00"), 60, agent=ana, team=team_a)
    data.make_answered_conversation(local("2026-03-04 09:00"), 600, agent=bob, team=team_b)
    data.make_answered_conversation(local("2026-03-04 09:00"), 120, agent=ana, team=team_b)  # ana's, in team B
    data.make_conversation(local("2026-03-04 09:00"), team=team_a)  # unassigned, waiting 90 min

    def figures(scope):
        result = run(connection, scope=scope)
        rows = [(row["agentId"], row["count"]) for row in result["conversationsPerAgent"]]
        sla = result["slaCompliance"]
        return rows, result["totals"]["value"], (sla["compliant"], sla["nonCompliant"])

    assert figures(own_scope(ana)) == ([(ana, 2)], 2, (2, 0))
    assert figures(team_scope(team_a)) == ([(ana, 2)], 3, (2, 1))
    assert figures(team_scope(team_b)) == ([(bob, 1)], 2, (1, 1))
    assert figures(ORGANISATION) == ([(ana, 2), (bob, 1)], 4, (2, 2))
