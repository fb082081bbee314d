"""Agent productivity (SPEC §5.5): each figure on a hand-built dataset, on SQLite and PostgreSQL. Workload labels
need at least two rows and 5 chats per row on average (docs/decisions.md).

`now` is 10:30 on 2026-03-04 (Jakarta); the default range is today, [00:00, 10:30). The SLA target is 300 s.
"""

from __future__ import annotations

from pantau.dashboard import agent_productivity
from pantau.metrics.parts import ConversationParts
from tests.support.builders import local
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

NOW = local("2026-03-04 10:30")


def run(connection, **kwargs):
    return run_section(agent_productivity.compute, connection, now=NOW, **kwargs)


def rows_by_id(connection, **kwargs):
    return {row["agentId"]: row for row in run(connection, **kwargs)["agentMetrics"]}


def test_people_without_any_activity_get_a_row_of_zeros_and_nulls(data, connection):
    team = data.make_team("Sales")
    ana = data.make_user("agent", team=team, name="Ana")
    budi = data.make_user("supervisor", team=team, name="Budi")
    data.make_user("agent", name="Gone", is_active=False)
    data.make_user("admin", name="Admin")
    result = run(connection)
    assert result["agentMetrics"][0] == {
        "agentId": ana,
        "agentName": "Ana",
        "teamId": team,
        "chatsHandled": 0,
        "resolved": 0,
        "resolutionRate": None,
        "avgResponseTime": None,
        "avgHandlingTime": None,
        "messagesSent": 0,
        "activeTime": 0.0,
        "idleTime": 0.0,
        "status": "offline",
        "statusDuration": None,
        "openLoad": 0,
        "csat": None,
        "productivityScore": 0,
        "rank": 1,
        "workload": None,
    }
    assert [row["agentId"] for row in result["agentMetrics"]] == [ana, budi]
    assert result["workloadDistribution"] == {"balanced": 0, "overloaded": 0, "underutilized": 0}
    assert result["statusSummary"] == {"online": 0, "away": 0, "offline": 2}


def test_conversation_figures_cover_the_cohort_assigned_to_the_agent(data, connection):
    ana = data.make_user("agent", name="Ana")
    data.make_answered_conversation(
        local("2026-03-04 09:00"),
        120,
        agent=ana,
        status="resolved",
        resolved_at=local("2026-03-04 09:30"),
        csat_score=5,
    )
    data.make_answered_conversation(
        local("2026-03-04 09:10"), 240, agent=ana, status="closed", resolved_at=local("2026-03-04 10:10"), csat_score=4
    )
    data.make_answered_conversation(local("2026-03-04 09:20"), 60, agent=ana)
    # Created yesterday: not in today's cohort, whenever it was resolved or rated.
    data.make_answered_conversation(
        local("2026-03-03 23:59:59"),
        60,
        agent=ana,
        status="resolved",
        resolved_at=local("2026-03-04 08:00"),
        csat_score=1,
    )
    row = rows_by_id(connection)[ana]
    # Response (120 + 240 + 60) / 3 = 140 s; handling (1800 + 3600) / 2 = 2700 s; CSAT (5 + 4) / 2.
    assert (row["chatsHandled"], row["resolved"], row["resolutionRate"]) == (3, 2, 66.7)
    assert (row["avgResponseTime"], row["avgHandlingTime"], row["csat"]) == (140.0, 2700.0, 4.5)


def test_messages_sent_counts_the_agents_messages_in_the_range_in_the_scopes_conversations(data, connection):
    ana = data.make_user("agent", name="Ana")
    budi = data.make_user("agent", name="Budi")
    mine = data.make_conversation(local("2026-03-03 23:00"), assigned_to=ana)
    data.make_message(mine, local("2026-03-03 23:59:59"), sender="agent", sender_id=ana)  # yesterday
    data.make_message(mine, local("2026-03-04 00:00"), sender="agent", sender_id=ana)
    data.make_message(mine, local("2026-03-04 09:00"), sender="agent", sender_id=ana)
    theirs = data.make_conversation(local("2026-03-04 08:00"), assigned_to=budi)
    data.make_message(theirs, local("2026-03-04 08:01"), sender="bot")
    data.make_message(theirs, local("2026-03-04 08:05"), sender="agent", sender_id=ana)  # helping out Budi
    data.make_message(theirs, local("2026-03-04 08:10"), sender="agent", sender_id=budi)
    rows = rows_by_id(connection)
    assert (rows[ana]["messagesSent"], rows[budi]["messagesSent"]) == (3, 1)
    # In Ana's own scope, Budi's conversation is not hers: her message there is outside it.
    [own] = run(connection, scope=own_scope(ana))["agentMetrics"]
    assert own["messagesSent"] == 2


def _a_day_of_status_logs(data, agent):
    data.make_activity(agent, "online", local("2026-03-03 08:00"), local("2026-03-03 09:00"))
    data.make_activity(agent, "online", local("2026-03-03 22:00"), local("2026-03-04 01:00"))
    data.make_activity(agent, "away", local("2026-03-04 01:00"), local("2026-03-04 01:30"))
    data.make_activity(agent, "offline", local("2026-03-04 01:30"), local("2026-03-04 09:00"))
    data.make_activity(agent, "online", local("2026-03-04 09:00"))  # still online


def test_active_and_idle_time_clip_logs_to_the_range_and_run_open_logs_to_now(data, connection):
    ana = data.make_user("agent", name="Ana")
    _a_day_of_status_logs(data, ana)
    row = rows_by_id(connection)[ana]
    # Online 00:00-01:00 (the log began yesterday) and 09:00-10:30 (still open): 3600 + 5400 s; away 01:00-01:30.
    assert (row["activeTime"], row["idleTime"]) == (9000.0, 1800.0)


def test_active_time_of_a_past_range_stops_at_its_end(data, connection):
    ana = data.make_user("agent", name="Ana")
    _a_day_of_status_logs(data, ana)
    row = rows_by_id(connection, preset="yesterday")[ana]
    # Online 08:00-09:00 and 22:00-24:00 yesterday.
    assert (row["activeTime"], row["idleTime"]) == (10800.0, 0.0)


def test_status_is_the_open_log_and_its_duration_runs_to_now(data, connection):
    ana = data.make_user("agent", name="Ana")
    budi = data.make_user("agent", name="Budi")
    citra = data.make_user("agent", name="Citra")
    dewi = data.make_user("agent", name="Dewi")
    data.make_activity(ana, "online", local("2026-03-04 08:00"), local("2026-03-04 10:00"))
    data.make_activity(ana, "away", local("2026-03-04 10:00"))
    data.make_activity(budi, "online", local("2026-03-04 08:00"), local("2026-03-04 09:00"))  # no open log
    data.make_activity(citra, "offline", local("2026-03-04 08:30"))
    data.make_activity(dewi, "online", local("2026-03-04 08:00"))  # left open by mistake: the later one wins
    data.make_activity(dewi, "away", local("2026-03-04 10:15"))
    result = run(connection)
    status = {row["agentId"]: (row["status"], row["statusDuration"]) for row in result["agentMetrics"]}
    assert status == {
        ana: ("away", 1800.0),
        budi: ("offline", None),
        citra: ("offline", 7200.0),
        dewi: ("away", 900.0),
    }
    assert result["statusSummary"] == {"online": 0, "away": 2, "offline": 2}


def test_open_load_counts_open_and_pending_conversations_assigned_now_whenever_created(data, connection):
    ana = data.make_user("agent", name="Ana")
    data.make_conversation(local("2026-02-01 09:00"), assigned_to=ana, status="open")
    data.make_conversation(local("2026-03-04 09:00"), assigned_to=ana, status="pending")
    data.make_conversation(
        local("2026-03-04 09:00"), assigned_to=ana, status="resolved", resolved_at=local("2026-03-04 09:30")
    )
    data.make_conversation(
        local("2026-03-04 09:00"), assigned_to=ana, status="closed", resolved_at=local("2026-03-04 09:30")
    )
    data.make_conversation(local("2026-03-04 09:00"), status="open")  # unassigned
    assert rows_by_id(connection)[ana]["openLoad"] == 2


def test_productivity_score_rounds_halves_up_and_ranks_ties_by_name(data, connection):
    ana = data.make_user("agent", name="Ana")
    budi = data.make_user("agent", name="Budi")
    data.make_user("agent", name="Dewi")
    data.make_user("agent", name="Citra")
    for seconds, resolved in [(60, True), (60, True), (60, False), (400, False)]:
        closed = {"status": "resolved", "resolved_at": local("2026-03-04 10:00")} if resolved else {}
        data.make_answered_conversation(local("2026-03-04 09:00"), seconds, agent=ana, **closed)
    for _ in range(3):
        data.make_answered_conversation(local("2026-03-04 09:00"), 400, agent=budi)
    result = run(connection)["agentMetrics"]
    # Ana: 40 x 2/4 + 30 x 3/4 + 30 x 4/4 = 72.5 -> 73. Budi: 0 + 0 + 30 x 3/4 = 22.5 -> 23 (not 22).
    # Citra and Dewi: no chats, every part 0; the tie goes by name.
    assert [(row["agentName"], row["productivityScore"], row["rank"]) for row in result] == [
        ("Ana", 73, 1),
        ("Budi", 23, 2),
        ("Citra", 0, 3),
        ("Dewi", 0, 4),
    ]


def test_a_missing_sla_part_counts_zero_in_the_score(data, connection):
    ana = data.make_user("agent", name="Ana")
    data.make_conversation(local("2026-03-04 10:29"), assigned_to=ana)  # waiting 60 s: pending, not judged
    row = rows_by_id(connection)[ana]
    assert row["productivityScore"] == 30  # 40 x 0/1 + 0 + 30 x 1/1


def _handle(data, agent, chats):
    for _ in range(chats):
        data.make_conversation(local("2026-03-04 09:00"), assigned_to=agent)


def test_workload_compares_chats_with_the_mean_over_the_rows(data, connection):
    ana, budi, citra = (data.make_user("agent", name=name) for name in ("Ana", "Budi", "Citra"))
    _handle(data, ana, 9)
    _handle(data, budi, 6)
    result = run(connection)
    workloads = {row["agentId"]: row["workload"] for row in result["agentMetrics"]}
    # Mean 15/3 = 5: 1.3 x mean = 6.5, 0.7 x mean = 3.5.
    assert workloads == {ana: "overloaded", budi: "balanced", citra: "underutilized"}
    assert result["workloadDistribution"] == {"balanced": 1, "overloaded": 1, "underutilized": 1}


def test_exactly_1_3_and_0_7_times_the_mean_are_balanced(data, connection):
    ana, budi = data.make_user("agent", name="Ana"), data.make_user("agent", name="Budi")
    _handle(data, ana, 13)
    _handle(data, budi, 7)  # mean 10
    workloads = {row["agentId"]: row["workload"] for row in run(connection)["agentMetrics"]}
    assert workloads == {ana: "balanced", budi: "balanced"}


def test_below_5_chats_per_row_on_average_no_row_gets_a_workload(data, connection):
    ana, budi, citra = (data.make_user("agent", name=name) for name in ("Ana", "Budi", "Citra"))
    _handle(data, ana, 9)
    _handle(data, budi, 5)  # mean 14/3 = 4.67: Ana would be "overloaded", Citra "underutilized"
    result = run(connection)
    assert [row["workload"] for row in result["agentMetrics"]] == [None, None, None]
    assert result["workloadDistribution"] == {"balanced": 0, "overloaded": 0, "underutilized": 0}
    # One chat more makes the mean 5, and the rows are judged.
    _handle(data, budi, 1)
    workloads = {row["agentId"]: row["workload"] for row in run(connection)["agentMetrics"]}
    assert workloads == {ana: "overloaded", budi: "balanced", citra: "underutilized"}


def test_a_single_row_gets_no_workload_whatever_its_volume(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    ana = data.make_user("agent", team=team_a, name="Ana")
    bob = data.make_user("agent", team=team_b, name="Bob")
    _handle(data, ana, 40)
    _handle(data, bob, 10)
    [own] = run(connection, scope=own_scope(ana))["agentMetrics"]
    assert own["workload"] is None
    [team] = run(connection, scope=team_scope(team_a))["agentMetrics"]
    assert team["workload"] is None
    # Mean 25 over the two rows of the organisation: 40 > 32.5, 10 < 17.5.
    result = run(connection)
    assert {row["agentId"]: row["workload"] for row in result["agentMetrics"]} == {
        ana: "overloaded",
        bob: "underutilized",
    }
    assert result["workloadDistribution"] == {"balanced": 0, "overloaded": 1, "underutilized": 1}


def test_each_scope_shows_only_its_own_rows(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    ana = data.make_user("agent", team=team_a, name="Ana")
    sari = data.make_user("supervisor", team=team_a, name="Sari")
    bob = data.make_user("agent", team=team_b, name="Bob")
    data.make_answered_conversation(local("2026-03-04 09:00"), 60, agent=ana, team=team_a)
    data.make_answered_conversation(local("2026-03-04 09:00"), 120, agent=ana, team=team_b)  # ana's, in team B
    data.make_answered_conversation(local("2026-03-04 09:00"), 60, agent=bob, team=team_b)
    data.make_activity(ana, "online", local("2026-03-04 09:00"))
    data.make_activity(bob, "online", local("2026-03-04 10:00"))

    def rows(scope):
        return [
            (row["agentId"], row["chatsHandled"], row["messagesSent"], row["activeTime"])
            for row in run(connection, scope=scope)["agentMetrics"]
        ]

    assert rows(own_scope(ana)) == [(ana, 2, 2, 5400.0)]
    assert rows(team_scope(team_a)) == [(ana, 2, 2, 5400.0), (sari, 0, 0, 0.0)]
    assert rows(team_scope(team_b)) == [(bob, 1, 1, 1800.0)]
    assert rows(ORGANISATION) == [(ana, 2, 2, 5400.0), (bob, 1, 1, 1800.0), (sari, 0, 0, 0.0)]


def test_the_score_uses_the_rows_rounded_percentages_as_spec_writes_it():
    """3 chats, 1 resolved, no SLA data, 77 chats in the busiest row: 40 x 33.3 / 100 + 0 + 30 x 3 / 77
    = 13.32 + 1.1688 = 14.49 -> 14 (exact shares would give 14.50 -> 15)."""
    share = ConversationParts(conversations=3, resolved=1)
    assert agent_productivity.productivity_score(share, most_chats=77) == 14
