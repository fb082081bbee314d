"""WhatsApp performance (SPEC §5.3): each figure on a hand-built dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from pantau.dashboard import whatsapp_performance
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import SnapshotType
from tests.support.builders import local
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

NOW = local("2026-03-04 10:30")  # the default 24h range is [03-03 10:30, 03-04 10:30)


def contacts(data, *names):
    return [data.make_contact(name=name) for name in names]


def run(connection, **kwargs):
    return run_section(whatsapp_performance.compute, connection, now=NOW, default="24h", **kwargs)


def outbound(data, conversation, at, status, **fields):
    return data.make_message(conversation, at, sender="agent", status=status, **fields)


def broadcast_recipient(data, broadcast, at, status, *, contact=None, team=None):
    """A conversation the broadcast started (no inbound message yet) and the broadcast message in it."""
    conversation = data.make_conversation(at, contact=contact, team=team, broadcast=broadcast, inbound_at=None)
    return outbound(data, conversation, at, status, broadcast=broadcast)


def test_empty_range_gives_nulls_and_empty_lists(connection):
    result = run(connection)
    assert result["messageFunnel"] == {
        "queued": 0,
        "sent": 0,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "deliveryRate": None,
        "readRate": None,
    }
    assert result["broadcastSuccessRate"] == {
        "total": 0,
        "successful": 0,
        "failed": 0,
        "pending": 0,
        "percentage": None,
    }
    assert result["broadcasts"] == result["failedMessages"] == result["failureReasons"] == []
    assert result["activeSessions"] == []
    assert result["queueMetrics"] == {
        "depth": 0,
        "oldestQueuedSeconds": None,
        "processingRate": 0.0,
        "avgQueueWaitSeconds": None,
    }
    assert result["deliveryAlert"] == {"active": False, "rate": None, "threshold": 90.0}
    assert result["range"]["start"] == "2026-03-03T10:30:00+07:00"


def test_funnel_counts_outbound_messages_by_status_and_read_counts_as_delivered(data, connection):
    conv = data.make_conversation(local("2026-03-04 08:00"))  # its inbound message is not in the funnel
    at = local("2026-03-04 08:05")
    for status in ["queued", "sent", "delivered", "read", "failed"]:
        outbound(data, conv, at, status)
    outbound(data, conv, at, "read", read_at=at)  # no delivered receipt: the status decides
    data.make_message(conv, at, sender="bot", status="delivered")
    # sent = sent + delivered + read x 2 + the bot's = 5; delivered = 4; read = 2; failed = 1.
    # deliveryRate = 4 / (5 + 1) = 66.7; readRate = 2 / 4 = 50.0.
    assert run(connection)["messageFunnel"] == {
        "queued": 1,
        "sent": 5,
        "delivered": 4,
        "read": 2,
        "failed": 1,
        "deliveryRate": 66.7,
        "readRate": 50.0,
    }


def test_funnel_takes_messages_created_inside_the_24_hours(data, connection):
    conv = data.make_conversation(local("2026-03-03 10:00"))
    outbound(data, conv, local("2026-03-03 10:29:59"), "failed")  # just before the range
    outbound(data, conv, local("2026-03-03 10:30"), "delivered")  # its first instant
    outbound(data, conv, local("2026-03-04 10:29:59"), "delivered")
    funnel = run(connection)["messageFunnel"]
    assert (funnel["sent"], funnel["failed"], funnel["deliveryRate"]) == (2, 0, 100.0)


def test_funnel_over_whole_local_days_includes_midnight_and_excludes_the_day_before(data, connection):
    conv = data.make_conversation(local("2026-02-25 23:00"))
    outbound(data, conv, local("2026-02-25 23:59:59"), "failed")  # the day before 7d starts
    outbound(data, conv, local("2026-02-26 00:00"), "read")
    funnel = run(connection, preset="7d")["messageFunnel"]
    assert (funnel["read"], funnel["failed"]) == (1, 0)


def test_delivery_alert_is_active_only_below_the_threshold(data, connection):
    conv = data.make_conversation(local("2026-03-04 08:00"))
    for _ in range(9):
        outbound(data, conv, local("2026-03-04 08:05"), "delivered")
    outbound(data, conv, local("2026-03-04 08:05"), "failed")
    assert run(connection)["deliveryAlert"] == {"active": False, "rate": 90.0, "threshold": 90.0}
    assert run(connection, delivery_alert_percent=90.5)["deliveryAlert"] == {
        "active": True,
        "rate": 90.0,
        "threshold": 90.5,
    }


def test_broadcast_success_rate_and_per_broadcast_counts(data, connection):
    spring = data.make_broadcast(local("2026-03-03 12:00"), name="Spring sale")
    flash = data.make_broadcast(local("2026-03-04 08:00"), name="Flash sale")
    earlier = data.make_broadcast(local("2026-03-03 10:00"), name="Earlier")  # created before the range
    for status in ["delivered", "read", "failed", "queued", "sent"]:
        broadcast_recipient(data, spring, local("2026-03-03 12:00"), status)
    for status in ["read", "read"]:
        broadcast_recipient(data, flash, local("2026-03-04 08:00"), status)
    broadcast_recipient(data, earlier, local("2026-03-03 11:00"), "delivered")
    result = run(connection)
    # 7 messages: successful 4 (delivered, read x 3), failed 1, pending 2 (queued, sent); 4 / 7 = 57.1 %.
    assert result["broadcastSuccessRate"] == {
        "total": 7,
        "successful": 4,
        "failed": 1,
        "pending": 2,
        "percentage": 57.1,
    }
    assert result["broadcasts"] == [
        {
            "broadcastId": flash,
            "name": "Flash sale",
            "total": 2,
            "sent": 2,
            "delivered": 2,
            "read": 2,
            "failed": 0,
            "replied": 0,
        },
        {
            "broadcastId": spring,
            "name": "Spring sale",
            "total": 5,
            "sent": 3,
            "delivered": 2,
            "read": 1,
            "failed": 1,
            "replied": 0,
        },
    ]


def test_broadcasts_created_at_the_same_moment_are_listed_by_id(data, connection):
    at = local("2026-03-04 08:00")
    for broadcast_id in ["bc-b", "bc-a"]:
        data.make_broadcast(at, id=broadcast_id)
        broadcast_recipient(data, broadcast_id, at, "sent")
    assert [row["broadcastId"] for row in run(connection)["broadcasts"]] == ["bc-a", "bc-b"]


def test_replied_counts_distinct_recipients_who_wrote_back_within_72_hours(data, connection):
    at = local("2026-02-26 09:00")
    broadcast = data.make_broadcast(at)
    ani, budi, citra, dewi, eko, fajar = contacts(data, "Ani", "Budi", "Citra", "Dewi", "Eko", "Fajar")
    for contact in [ani, budi, citra, dewi, fajar]:
        broadcast_recipient(data, broadcast, at, "delivered", contact=contact)
    eko_conv = data.make_conversation(at, contact=eko, broadcast=broadcast, inbound_at=None)
    outbound(data, eko_conv, at, "delivered", broadcast=broadcast)
    outbound(data, eko_conv, at + timedelta(hours=1), "delivered", broadcast=broadcast)  # two messages, one recipient
    data.make_message(eko_conv, at + timedelta(hours=2), sender="customer")
    data.make_conversation(at + timedelta(hours=72), contact=ani)  # exactly 72 h later: counts
    data.make_conversation(at + timedelta(hours=72, seconds=1), contact=budi)  # one second too late
    data.make_conversation(at, contact=citra)  # at the same instant: not after the broadcast message
    data.make_conversation(local("2026-02-27 10:00"), contact=dewi)  # in another conversation of hers: counts
    data.make_conversation(local("2026-02-26 08:00"), contact=fajar)  # wrote only before it
    [row] = run(connection, preset="7d")["broadcasts"]
    assert (row["total"], row["replied"]) == (7, 3)  # Ani, Dewi, Eko


def test_failed_messages_latest_failure_first_with_masked_recipient(data, connection):
    team = data.make_team("A")
    contact = data.make_contact(phone="+6281234567890")
    conv = data.make_conversation(local("2026-03-04 06:00"), contact=contact, team=team)
    promo = data.make_broadcast(local("2026-03-01 09:00"), name="Promo")
    outbound(
        data,
        conv,
        local("2026-03-04 08:00"),
        "failed",
        failed_at=local("2026-03-04 09:30"),
        error_code=131026,
        error_title="Message undeliverable",
        broadcast=promo,
        id="msg-b",
    )
    outbound(data, conv, local("2026-03-04 09:00"), "failed", error_code=131047, id="msg-c")  # no failed_at
    outbound(data, conv, local("2026-03-04 07:00"), "failed", failed_at=local("2026-03-04 10:00"), id="msg-d")
    outbound(data, conv, local("2026-03-04 08:10"), "failed", failed_at=local("2026-03-04 09:30"), id="msg-a")
    outbound(data, conv, local("2026-03-04 08:10"), "delivered")
    failed = run(connection, scope=team_scope(team))["failedMessages"]
    assert [row["id"] for row in failed] == ["msg-d", "msg-a", "msg-b", "msg-c"]  # ties on time: by id
    assert failed[2] == {
        "id": "msg-b",
        "recipient": "+62812****890",
        "errorCode": 131026,
        "error": "Message undeliverable",
        "timestamp": "2026-03-04T09:30:00+07:00",
        "broadcastName": "Promo",
    }
    assert failed[3]["timestamp"] == "2026-03-04T09:00:00+07:00"
    assert run(connection)["failedMessages"][0]["recipient"] == "+6281234567890"  # the owner sees the number


def test_failed_messages_show_the_latest_50(data, connection):
    conv = data.make_conversation(local("2026-03-04 06:00"))
    for second in range(51):
        outbound(data, conv, local("2026-03-04 09:00") + timedelta(seconds=second), "failed", id=f"fail-{second:02d}")
    failed = run(connection)["failedMessages"]
    assert (len(failed), failed[0]["id"], failed[-1]["id"]) == (50, "fail-50", "fail-01")


def test_failure_reasons_most_frequent_first_then_by_error_code(data, connection):
    conv = data.make_conversation(local("2026-03-04 06:00"))
    at = local("2026-03-04 08:00")
    for code, title in [
        (131047, "Re-engagement message"),
        (131026, "Message undeliverable"),
        (131026, "Message undeliverable"),
        (130472, "User's number is part of an experiment"),
        (None, None),
    ]:
        outbound(data, conv, at, "failed", error_code=code, error_title=title)
    outbound(data, conv, local("2026-03-03 10:00"), "failed", error_code=131047)  # before the range
    assert run(connection)["failureReasons"] == [
        {"errorCode": 131026, "error": "Message undeliverable", "count": 2},
        {"errorCode": 130472, "error": "User's number is part of an experiment", "count": 1},
        {"errorCode": 131047, "error": "Re-engagement message", "count": 1},
        {"errorCode": None, "error": None, "count": 1},
    ]


def test_every_session_is_listed_with_the_messages_sent_in_scope(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    main = data.make_whatsapp_session(
        phone="+622155500012", display_name="Main line", last_seen_at=local("2026-03-04 10:29")
    )
    support = data.make_whatsapp_session(
        phone="+622155500099", display_name="Support", status="disconnected", quality_rating=None
    )
    conv_a = data.make_conversation(local("2026-03-04 08:00"), team=team_a, whatsapp_session=main)
    outbound(data, conv_a, local("2026-03-04 08:01"), "delivered")
    outbound(data, conv_a, local("2026-03-04 08:02"), "failed")
    outbound(data, conv_a, local("2026-03-03 10:29"), "delivered")  # before the range
    conv_b = data.make_conversation(local("2026-03-04 08:00"), team=team_b, whatsapp_session=main)
    outbound(data, conv_b, local("2026-03-04 08:01"), "delivered")
    assert run(connection, scope=team_scope(team_a))["activeSessions"] == [
        {
            "sessionId": main,
            "phoneNumber": "+62215****012",
            "displayName": "Main line",
            "status": "connected",
            "qualityRating": "GREEN",
            "lastSeen": "2026-03-04T10:29:00+07:00",
            "messagesSent": 2,
        },
        {
            "sessionId": support,
            "phoneNumber": "+62215****099",
            "displayName": "Support",
            "status": "disconnected",
            "qualityRating": None,
            "lastSeen": None,
            "messagesSent": 0,
        },
    ]
    assert [s["messagesSent"] for s in run(connection)["activeSessions"]] == [3, 0]


def test_queue_metrics_are_organisation_wide(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    conv = data.make_conversation(local("2026-03-04 06:00"), team=team_b)
    outbound(data, conv, local("2026-03-04 10:00"), "queued")  # oldest: 30 minutes ago
    outbound(data, conv, local("2026-03-04 10:20"), "queued")
    outbound(data, conv, local("2026-03-04 10:31"), "queued")  # after now
    # Sent in (10:15, 10:30]: three of them. Waits of those created in range: 60, 1, 120, 30 s.
    outbound(data, conv, local("2026-03-04 10:14"), "sent", sent_at=local("2026-03-04 10:15"))
    outbound(data, conv, local("2026-03-04 10:15"), "sent", sent_at=local("2026-03-04 10:15:01"))
    outbound(data, conv, local("2026-03-04 10:28"), "delivered", sent_at=local("2026-03-04 10:30"))
    outbound(data, conv, local("2026-03-04 10:28:30"), "read", sent_at=local("2026-03-04 10:29"))
    outbound(data, conv, local("2026-03-03 10:00"), "read", sent_at=local("2026-03-03 10:40"))  # created before range
    expected = {"depth": 2, "oldestQueuedSeconds": 1800.0, "processingRate": 0.2, "avgQueueWaitSeconds": 52.8}
    assert run(connection, scope=team_scope(team_a))["queueMetrics"] == expected  # (60 + 1 + 120 + 30) / 4 = 52.75
    assert run(connection)["queueMetrics"] == expected


def test_a_message_sent_before_it_was_created_waited_zero_seconds_live_and_from_snapshots(data, connection):
    """The CRM's clock wrote `created_at`, WhatsApp's gave `sent_at`: 0.2 s "before" is a wait of 0, not -0.2 s,
    and the message still counts as handed over."""
    conv = data.make_conversation(local("2026-03-03 06:00"))
    # Yesterday, before the 24h range: the only handed-over message of the day.
    outbound(data, conv, local("2026-03-03 06:15"), "sent", sent_at=local("2026-03-03 06:14:59.8"))
    outbound(data, conv, local("2026-03-04 08:00"), "sent", sent_at=local("2026-03-04 08:00:30"))
    outbound(data, conv, local("2026-03-04 08:10"), "delivered", sent_at=local("2026-03-04 08:09:59.8"))
    outbound(data, conv, local("2026-03-04 08:20"), "read", sent_at=local("2026-03-04 08:20:03"))
    write_snapshots(
        connection,
        [SnapshotType.hourly, SnapshotType.daily],
        [(local("2026-03-02 00:00"), NOW)],
        now=NOW,
        zone=NOW.tzinfo,
        sla_target_seconds=300,
    )
    for use_snapshots in (True, False):
        # (30 + 0 + 3) / 3 = 11.0; with the skew counted as -0.2 s it would be 10.9, left out 16.5.
        assert run(connection, use_snapshots=use_snapshots)["queueMetrics"]["avgQueueWaitSeconds"] == 11.0
        yesterday = run(connection, preset="yesterday", use_snapshots=use_snapshots)["queueMetrics"]
        assert yesterday["avgQueueWaitSeconds"] == 0.0


def test_scope_counts_only_messages_of_conversations_inside_it(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    ana = data.make_user("agent", team=team_a)
    bob = data.make_user("agent", team=team_b)
    at = local("2026-03-04 08:00")
    for team, assignee in [(team_a, ana), (team_b, bob), (team_b, ana), (team_a, None)]:
        outbound(data, data.make_conversation(at, team=team, assigned_to=assignee), at, "delivered")
    bob_conv = data.make_conversation(at, team=team_b, assigned_to=bob)
    outbound(data, bob_conv, at, "failed", error_code=131026)
    broadcast = data.make_broadcast(at)
    outbound(data, bob_conv, at, "read", broadcast=broadcast)

    def figures(scope):
        result = run(connection, scope=scope)
        return result["messageFunnel"]["sent"], len(result["failedMessages"]), len(result["broadcasts"])

    assert figures(own_scope(ana)) == (2, 0, 0)
    assert figures(team_scope(team_a)) == (3, 0, 0)  # ana's two and the unassigned one of team A
    assert figures(team_scope(team_b)) == (3, 1, 1)  # bob's, ana's in team B, and bob's broadcast message
    assert figures(ORGANISATION) == (5, 1, 1)
