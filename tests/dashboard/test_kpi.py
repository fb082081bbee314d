"""KPI strip (SPEC §5.1): each figure on a hand-built dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from pantau.dashboard import kpi
from tests.support.builders import local
from tests.support.sections import own_scope, run_section, team_scope

NOW = local("2026-03-04 10:30")


def run(connection, **kwargs):
    return run_section(kpi.compute, connection, now=NOW, **kwargs)


def test_empty_database_gives_nulls_not_made_up_numbers(connection):
    result = run(connection)
    assert result["avgResponseTime"] == {
        "value": None,
        "previous": None,
        "change": None,
        "trend": "stable",
        "median": None,
        "p90": None,
        "slaStatus": None,
        "slaTargetSeconds": 300,
    }
    assert result["whatsappDeliveryRate"] == {
        "value": None,
        "previous": None,
        "change": None,
        "trend": "stable",
        "status": None,
    }
    assert result["activeConversations"]["value"] == 0
    assert result["openTickets"]["byPriority"] == {"urgent": 0, "high": 0, "medium": 0, "low": 0}
    assert result["range"]["start"] == "2026-03-04T00:00:00+07:00"
    assert result["generatedAt"] == "2026-03-04T10:30:00+07:00"


def test_active_conversations_now_and_24_hours_ago(data, connection):
    data.make_conversation(local("2026-03-04 09:00"), status="open")
    data.make_conversation(local("2026-03-03 08:00"), status="pending")  # active then and now
    data.make_conversation(local("2026-03-02 08:00"), status="resolved", resolved_at=local("2026-03-03 12:00"))
    data.make_conversation(local("2026-03-02 08:00"), status="closed", resolved_at=local("2026-03-03 10:00"))
    result = run(connection)["activeConversations"]
    # 24 h ago (03-03 10:30): the pending one and the one resolved at 12:00 were active; the one closed at 10:00 not.
    assert result == {
        "value": 2,
        "previous": 2,
        "change": 0.0,
        "trend": "stable",
        "byStatus": {"open": 1, "pending": 1},
    }


def test_avg_response_time_mean_median_p90_and_sla_status(data, connection):
    for minute, seconds in [(0, 60), (1, 120), (2, 600)]:
        conv = data.make_conversation(local(f"2026-03-04 09:0{minute}"))
        data.make_message(
            conv, local(f"2026-03-04 09:0{minute}").replace(second=0) + timedelta(seconds=seconds), sender="agent"
        )
    # Unanswered and resolved without reply: in no average.
    data.make_conversation(local("2026-03-04 09:10"))
    data.make_conversation(local("2026-03-04 09:10"), status="resolved", resolved_at=local("2026-03-04 09:20"))
    # Yesterday's same window: one answered in 200 s; after 10:30 yesterday does not count.
    y = data.make_conversation(local("2026-03-03 09:00"))
    data.make_message(y, local("2026-03-03 09:03:20"), sender="agent")
    late = data.make_conversation(local("2026-03-03 11:00"))
    data.make_message(late, local("2026-03-03 11:30"), sender="agent")
    result = run(connection)["avgResponseTime"]
    assert result == {
        "value": 260.0,
        "previous": 200.0,
        "change": 30.0,
        "trend": "up",
        "median": 120.0,
        "p90": 504.0,
        "slaStatus": "good",
        "slaTargetSeconds": 300,
    }


def test_sla_status_boundaries(data, connection):
    conv = data.make_conversation(local("2026-03-04 09:00"))
    data.make_message(conv, local("2026-03-04 09:07:30"), sender="agent")  # 450 s = 1.5 x target
    assert run(connection)["avgResponseTime"]["slaStatus"] == "warning"
    assert run(connection, sla_first_response_seconds=299)["avgResponseTime"]["slaStatus"] == "critical"
    assert run(connection, sla_first_response_seconds=450)["avgResponseTime"]["slaStatus"] == "good"


def test_delivery_rate_counts_read_without_delivered_and_ignores_queued(data, connection):
    conv = data.make_conversation(local("2026-03-04 08:00"))
    at = local("2026-03-04 08:05")
    data.make_message(conv, at, sender="agent", status="delivered", delivered_at=at)
    data.make_message(conv, at, sender="agent", status="read", read_at=at)  # no delivered receipt
    data.make_message(conv, at, sender="agent", status="sent")
    data.make_message(conv, at, sender="agent", status="failed", error_code=131026)
    data.make_message(conv, at, sender="agent", status="queued")
    data.make_message(conv, at, sender="customer")
    y = local("2026-03-03 08:05")
    data.make_message(conv, y, sender="agent", status="delivered")
    result = run(connection)["whatsappDeliveryRate"]
    assert result == {"value": 50.0, "previous": 100.0, "change": 50.0, "trend": "down", "status": "critical"}


def test_delivery_status_boundaries(data, connection):
    conv = data.make_conversation(local("2026-03-04 08:00"))
    for _ in range(19):
        data.make_message(conv, local("2026-03-04 08:05"), sender="agent", status="delivered")
    data.make_message(conv, local("2026-03-04 08:05"), sender="agent", status="failed")
    assert run(connection)["whatsappDeliveryRate"]["value"] == 95.0
    assert run(connection)["whatsappDeliveryRate"]["status"] == "good"


def test_open_tickets_by_priority_including_urgent_and_24_hours_ago(data, connection):
    for priority in ["urgent", "urgent", "high", "medium", "low"]:
        data.make_ticket(local("2026-03-04 09:00"), priority=priority, status="open")
    data.make_ticket(local("2026-03-03 09:00"), priority="high", status="in_progress")
    data.make_ticket(
        local("2026-03-02 09:00"), priority="low", status="resolved", resolved_at=local("2026-03-03 11:00")
    )
    data.make_ticket(local("2026-03-02 09:00"), priority="low", status="closed", closed_at=local("2026-03-03 10:00"))
    result = run(connection)["openTickets"]
    # 24 h ago: the in-progress one and the one resolved at 11:00 were open.
    assert result == {
        "value": 6,
        "previous": 2,
        "change": 200.0,
        "trend": "up",
        "byPriority": {"urgent": 2, "high": 2, "medium": 1, "low": 1},
    }


def test_messages_today_against_yesterday_up_to_the_same_clock_time(data, connection):
    conv = data.make_conversation(local("2026-03-04 00:00"))  # its inbound message: today, at midnight
    data.make_message(conv, local("2026-03-04 10:29:59"), sender="agent")
    data.make_message(conv, local("2026-03-03 23:59:59"), sender="agent")  # yesterday, after the clock window
    data.make_message(conv, local("2026-03-03 10:29:59"), sender="bot")  # yesterday, inside
    result = run(connection)["messagesToday"]
    assert result == {"value": 2, "previous": 1, "change": 100.0, "trend": "up"}


def test_scope_counts_only_rows_inside_it(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    ana = data.make_user("agent", team=team_a)
    bob = data.make_user("agent", team=team_b)
    data.make_conversation(local("2026-03-04 09:00"), team=team_a, assigned_to=ana)
    data.make_conversation(local("2026-03-04 09:00"), team=team_b, assigned_to=bob)
    data.make_conversation(local("2026-03-04 09:00"), team=team_b, assigned_to=ana)  # ana's, in team B
    data.make_conversation(local("2026-03-04 09:00"), team=team_a)  # unassigned, team A
    data.make_ticket(local("2026-03-04 09:00"), team=team_b, assigned_to=bob, priority="urgent")
    assert run(connection, scope=own_scope(ana))["activeConversations"]["value"] == 2
    assert run(connection, scope=team_scope(team_a))["activeConversations"]["value"] == 3
    assert run(connection, scope=team_scope(team_b))["activeConversations"]["value"] == 2
    assert run(connection, scope=own_scope(ana))["openTickets"]["value"] == 0
    assert run(connection, scope=team_scope(team_b))["openTickets"]["byPriority"]["urgent"] == 1
    assert run(connection, scope=own_scope(ana))["messagesToday"]["value"] == 2


def test_a_teams_tickets_are_the_tickets_of_its_conversations(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    in_a = data.make_conversation(local("2026-03-04 09:00"), team=team_a)
    in_b = data.make_conversation(local("2026-03-04 09:00"), team=team_b)
    data.make_ticket(local("2026-03-04 09:00"), conversation=in_a, priority="urgent")  # no team of its own: A's
    data.make_ticket(local("2026-03-04 09:00"), conversation=in_b, team=team_a, priority="high")  # on B's: B's
    data.make_ticket(local("2026-03-04 09:00"), team=team_a, priority="low")  # tied to no conversation: by its team
    assert run(connection, scope=team_scope(team_a))["openTickets"]["byPriority"] == {
        "urgent": 1,
        "high": 0,
        "medium": 0,
        "low": 1,
    }
    assert run(connection, scope=team_scope(team_b))["openTickets"]["byPriority"] == {
        "urgent": 0,
        "high": 1,
        "medium": 0,
        "low": 0,
    }
