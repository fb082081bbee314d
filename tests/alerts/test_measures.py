"""The figure each alert rule watches, on tiny planted data, exactly as docs/alerts.md defines it (both databases)."""

from __future__ import annotations

from datetime import timedelta

from pantau.alerts.measures import measure
from pantau.models.enums import AlertMetric
from tests.conftest import make_settings
from tests.support.builders import utc

NOW = utc("2026-03-04 05:00")  # noon in Jakarta, a Wednesday
HOUR = 3600


def ago(minutes: float):
    return NOW - timedelta(minutes=minutes)


def _settings(connection, **overrides):
    return make_settings(connection.engine.url.render_as_string(hide_password=False), **overrides)


def _outbound(data, conversation, minutes_ago: float, status: str) -> None:
    data.make_message(conversation, ago(minutes_ago), sender="agent", status=status)


def test_delivery_rate_is_delivered_over_sent_and_failed_in_the_window_and_none_without_messages(connection, data):
    settings = _settings(connection)
    assert measure(connection, settings, AlertMetric.delivery_rate, None, HOUR, NOW) is None

    conversation = data.make_conversation(ago(50))
    for status in ("delivered", "delivered", "delivered", "read", "sent", "failed", "failed", "failed", "queued"):
        _outbound(data, conversation, 40, status)
    _outbound(data, conversation, 61, "failed")  # before the window
    # sent + delivered + read = 5 handed over, 4 of them delivered, 3 failed: 4 / (5 + 3) = 50 %.
    assert measure(connection, settings, AlertMetric.delivery_rate, None, HOUR, NOW) == 50.0
    assert measure(connection, settings, AlertMetric.failed_messages, None, HOUR, NOW) == 3.0
    # A two-hour window takes in the older failure: 4 / 9.
    assert measure(connection, settings, AlertMetric.delivery_rate, None, 2 * HOUR, NOW) == 44.4
    assert measure(connection, settings, AlertMetric.failed_messages, None, 2 * HOUR, NOW) == 4.0


def test_a_team_rule_counts_its_teams_messages_only(connection, data):
    settings = _settings(connection)
    data.make_team("Alpha", id="team-a")
    data.make_team("Bravo", id="team-b")
    alpha = data.make_conversation(ago(30), team="team-a")
    bravo = data.make_conversation(ago(30), team="team-b")
    _outbound(data, alpha, 20, "delivered")
    _outbound(data, alpha, 20, "failed")
    _outbound(data, bravo, 20, "read")
    assert measure(connection, settings, AlertMetric.delivery_rate, "team-a", HOUR, NOW) == 50.0
    assert measure(connection, settings, AlertMetric.delivery_rate, "team-b", HOUR, NOW) == 100.0
    assert measure(connection, settings, AlertMetric.delivery_rate, None, HOUR, NOW) == 66.7
    assert measure(connection, settings, AlertMetric.failed_messages, "team-b", HOUR, NOW) == 0.0


def test_sla_compliance_judges_the_windows_cohort_and_leaves_the_pending_out(connection, data):
    settings = _settings(connection, sla_first_response_seconds=300)
    data.make_team("Alpha", id="team-a")
    data.make_answered_conversation(ago(50), 60, team="team-a")  # compliant
    data.make_answered_conversation(ago(40), 600, team="team-a")  # non-compliant
    data.make_conversation(ago(30), team="team-a")  # unanswered for 30 minutes: non-compliant
    data.make_conversation(ago(2), team="team-a")  # unanswered for 2 minutes: pending
    data.make_answered_conversation(ago(20), 30)  # compliant, no team
    data.make_answered_conversation(ago(90), 30)  # before the window
    assert measure(connection, settings, AlertMetric.sla_compliance, "team-a", HOUR, NOW) == 33.3
    assert measure(connection, settings, AlertMetric.sla_compliance, None, HOUR, NOW) == 50.0


def test_longest_wait_is_the_oldest_unanswered_human_clock_in_the_window(connection, data):
    settings = _settings(connection)
    assert measure(connection, settings, AlertMetric.longest_wait_seconds, None, HOUR, NOW) is None
    data.make_conversation(ago(20))
    data.make_conversation(ago(50))
    data.make_answered_conversation(ago(55), 120)  # answered: waits no more
    data.make_conversation(ago(58), status="resolved", resolved_at=ago(57))  # resolved: nobody waits
    # Escalated from the bot 10 minutes after it began: the human clock starts then.
    data.make_conversation(ago(59), handled_by_bot=True, escalated_at=ago(49.5))
    data.make_conversation(ago(70))  # before the window
    assert measure(connection, settings, AlertMetric.longest_wait_seconds, None, HOUR, NOW) == 3000.0


def test_queue_and_whatsapp_numbers_are_read_as_they_are_now(connection, data):
    settings = _settings(connection)
    assert measure(connection, settings, AlertMetric.session_quality, None, HOUR, NOW) is None
    conversation = data.make_conversation(ago(300))
    _outbound(data, conversation, 200, "queued")  # queued long before any window: still in the queue now
    _outbound(data, conversation, 1, "queued")
    _outbound(data, conversation, 1, "sent")
    data.make_whatsapp_session(quality_rating="GREEN")
    data.make_whatsapp_session(quality_rating="YELLOW", status="disconnected")
    data.make_whatsapp_session(quality_rating="UNKNOWN", status="disconnected")
    data.make_whatsapp_session(quality_rating=None)
    assert measure(connection, settings, AlertMetric.queue_depth, None, 60, NOW) == 2.0
    assert measure(connection, settings, AlertMetric.session_disconnected, None, 60, NOW) == 2.0
    assert measure(connection, settings, AlertMetric.session_quality, None, 60, NOW) == 2.0


def test_agents_online_counts_open_online_periods_in_scope_inside_business_hours(connection, data):
    data.make_team("Alpha", id="team-a")
    ani = data.make_user("agent", team="team-a")
    arif = data.make_user("agent", team="team-a")
    sari = data.make_user("supervisor", team="team-a")
    budi = data.make_user("agent")
    olga = data.make_user("owner")
    data.make_activity(ani, "online", ago(120))
    data.make_activity(arif, "online", ago(120), ago(10))  # went away 10 minutes ago
    data.make_activity(arif, "away", ago(10))
    data.make_activity(sari, "online", ago(5))
    data.make_activity(budi, "online", ago(30))
    data.make_activity(olga, "online", ago(30))  # owners take no conversations: not counted
    open_now = _settings(connection, business_hours="mon-fri 08:00-17:00")
    assert measure(connection, open_now, AlertMetric.agents_online, None, 60, NOW) == 3.0
    assert measure(connection, open_now, AlertMetric.agents_online, "team-a", 60, NOW) == 2.0
    # Outside business hours (noon is after 11:00), and on a holiday, there is nothing to judge.
    closed = _settings(connection, business_hours="mon-fri 08:00-11:00")
    assert measure(connection, closed, AlertMetric.agents_online, None, 60, NOW) is None
    holiday = _settings(connection, holidays="2026-03-04")
    assert measure(connection, holiday, AlertMetric.agents_online, None, 60, NOW) is None
