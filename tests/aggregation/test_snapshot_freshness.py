"""Snapshots computed earlier still give the live numbers later (SPEC §7): waits that cross the SLA target and bot
conversations that become drop-offs with time alone, a resolution that lands after the daily run, and a reply to a
conversation older than the look-back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from pantau.aggregation.jobs import aggregate, moved_conversations
from pantau.dashboard import automation_impact, conversation_effectiveness
from pantau.dashboard.router import SECTIONS
from pantau.metrics.buckets import bucket_start
from pantau.metrics.parts_source import PartsSource
from pantau.metrics.snapshots import snapshots, write_snapshots
from pantau.models import Conversation
from pantau.models.enums import SnapshotType
from tests.conftest import make_settings
from tests.support.builders import local
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

NOW = local("2026-03-10 10:30")
ZONE = NOW.tzinfo
KINDS = [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly]


def snapshot_everything(connection, at):
    start = bucket_start(SnapshotType.weekly, at - timedelta(days=21), ZONE)
    write_snapshots(connection, KINDS, [(start, at)], now=at, zone=ZONE, sla_target_seconds=300)


def same_with_and_without_snapshots(connection, section, now=NOW, **window):
    compute = SECTIONS[section].compute
    with_snapshots = run_section(compute, connection, now=now, use_snapshots=True, **window)
    live = run_section(compute, connection, now=now, use_snapshots=False, **window)
    assert with_snapshots == live
    return live


def test_a_wait_pending_when_aggregated_is_non_compliant_later(data, connection):
    # Created 2 minutes before the 07:00 run: pending then (target 300 s), overdue at 10:30.
    data.make_conversation(local("2026-03-10 06:58"))
    snapshot_everything(connection, local("2026-03-10 07:00"))
    figures = same_with_and_without_snapshots(connection, "conversation-effectiveness", preset="7d")
    assert (figures["slaCompliance"]["nonCompliant"], figures["slaCompliance"]["pending"]) == (1, 0)


def test_a_bot_conversation_becomes_a_drop_off_with_time_alone(data, connection):
    conversation = data.make_conversation(local("2026-03-10 06:30"), handled_by_bot=True)
    data.make_message(conversation, local("2026-03-10 06:40"), sender="bot")  # 20 minutes before the run
    snapshot_everything(connection, local("2026-03-10 07:00"))
    figures = same_with_and_without_snapshots(connection, "automation-impact", preset="7d")
    assert figures["dropOffRate"]["dropped"] == 1


def test_a_wait_still_pending_now_is_counted_live(data, connection):
    data.make_conversation(local("2026-03-10 09:58"))  # in the 09:00 bucket, 32 minutes before now
    data.make_conversation(local("2026-03-10 10:27"))  # in the hour in progress
    snapshot_everything(connection, local("2026-03-10 10:00"))
    # At 10:02 the 09:58 wait is 4 minutes old: still pending, so its bucket is counted live.
    figures = same_with_and_without_snapshots(connection, "conversation-effectiveness", now=NOW, preset="today")
    assert figures["slaCompliance"]["nonCompliant"] == 1


def snapshot_buckets_read(connection, start, end, now=NOW) -> list[tuple[SnapshotType, str]]:
    source = PartsSource(connection, ORGANISATION, make_settings("sqlite://"), now)
    plan = source._plan(start, end, (SnapshotType.weekly, SnapshotType.daily, SnapshotType.hourly))
    return [(kind, bucket.astimezone(ZONE).isoformat()[:16]) for kind, bucket in plan.snapshot_buckets]


def test_a_resolution_after_the_daily_run_lands_in_the_day_the_hourly_run_rewrites_whole(data, connection):
    settings = make_settings("sqlite://")
    conversation = data.make_answered_conversation(local("2026-03-09 10:00"), 60)
    snapshot_everything(connection, local("2026-03-10 00:00"))  # the daily run at midnight
    connection.execute(
        update(Conversation)
        .where(Conversation.id == conversation)
        .values(status="resolved", resolved_at=local("2026-03-10 09:00"))
    )
    aggregate(connection, settings, SnapshotType.hourly, local("2026-03-10 10:00"))
    figures = same_with_and_without_snapshots(connection, "conversation-effectiveness", preset="yesterday")
    assert figures["resolvedVsOpen"]["resolved"] == 1
    # The day is read as one row, not as its 24 fresher hours.
    assert snapshot_buckets_read(connection, local("2026-03-09 00:00"), local("2026-03-10 00:00")) == [
        (SnapshotType.daily, "2026-03-09T00:00")
    ]


def test_a_week_whose_day_an_hourly_run_rewrote_is_read_by_its_days_until_the_daily_run(data, connection):
    settings = make_settings("sqlite://")
    conversation = data.make_answered_conversation(local("2026-03-03 10:00"), 60)  # Tuesday of last week
    snapshot_everything(connection, local("2026-03-10 00:00"))
    connection.execute(
        update(Conversation)
        .where(Conversation.id == conversation)
        .values(status="resolved", resolved_at=local("2026-03-10 09:00"))
    )
    last_week = (local("2026-03-02 00:00"), local("2026-03-09 00:00"))
    aggregate(connection, settings, SnapshotType.hourly, local("2026-03-10 10:00"))
    days = [(SnapshotType.daily, f"2026-03-0{day}T00:00") for day in range(2, 9)]
    assert snapshot_buckets_read(connection, *last_week) == days
    same_with_and_without_snapshots(connection, "conversation-effectiveness", preset="30d")

    aggregate(connection, settings, SnapshotType.daily, local("2026-03-11 00:00"))
    assert snapshot_buckets_read(connection, *last_week, now=local("2026-03-11 00:30")) == [
        (SnapshotType.weekly, "2026-03-02T00:00")
    ]
    figures = same_with_and_without_snapshots(
        connection, "conversation-effectiveness", now=local("2026-03-11 00:30"), preset="30d"
    )
    assert figures["resolvedVsOpen"]["resolved"] == 1


def test_a_reply_to_a_conversation_older_than_the_look_back_lands_with_the_next_run(data, connection):
    settings = make_settings("sqlite://")
    agent = data.make_user("agent", name="Ana")
    conversation = data.make_conversation(local("2026-03-03 10:00"), assigned_to=agent)  # a week old, unanswered
    snapshot_everything(connection, local("2026-03-10 00:00"))
    data.make_message(conversation, local("2026-03-10 09:45"), sender="agent", sender_id=agent)
    aggregate(connection, settings, SnapshotType.hourly, local("2026-03-10 10:00"))
    for section in (conversation_effectiveness, automation_impact):
        name = next(key for key, value in SECTIONS.items() if value.compute is section.compute)
        same_with_and_without_snapshots(connection, name, preset="30d")
    figures = run_section(conversation_effectiveness.compute, connection, now=NOW, preset="30d")
    assert figures["slaCompliance"]["nonCompliant"] == 1  # answered after a week: a breach, no longer waiting
    assert figures["firstResponseDistribution"][5] == {"bucket": ">4h", "count": 1}


def test_an_older_day_that_moved_keeps_its_first_contacts_and_messages(data, connection):
    """A day wholly before the look-back gets fresh conversation parts when one of its conversations moves; its
    first contacts and message figures, which nothing after the look-back can change, stay as stored."""
    settings = make_settings("sqlite://")
    sales, support = data.make_team("Sales"), data.make_team("Support")
    agent = data.make_user("agent", name="Ana", team=sales)
    contact = data.make_contact()
    # Tuesday of last week: the contact's first conversation, in Support's queue but assigned to a Sales agent,
    # with a delivered and a failed outbound message; and a second conversation that same hour.
    first = data.make_conversation(local("2026-03-03 10:00"), contact=contact, team=support, assigned_to=agent)
    data.make_message(
        first,
        local("2026-03-03 10:05"),
        sender="agent",
        sender_id=agent,
        status="delivered",
        sent_at=local("2026-03-03 10:05"),
        pricing_category="service",
        billable=True,
    )
    data.make_message(
        first,
        local("2026-03-03 10:06"),
        sender="agent",
        sender_id=agent,
        status="failed",
        error_code=131026,
        error_title="Message undeliverable",
    )
    data.make_conversation(local("2026-03-03 10:30"), contact=contact, team=support)
    snapshot_everything(connection, local("2026-03-10 00:00"))
    connection.execute(  # resolved a week later
        update(Conversation)
        .where(Conversation.id == first)
        .values(status="resolved", resolved_at=local("2026-03-10 09:45"))
    )
    aggregate(connection, settings, SnapshotType.hourly, local("2026-03-10 10:00"))

    assert (SnapshotType.daily, "2026-03-03T00:00") in snapshot_buckets_read(
        connection, local("2026-03-02 00:00"), local("2026-03-09 00:00")
    )
    for section in ("customer-load", "whatsapp-performance", "business-impact", "agent-productivity"):
        same_with_and_without_snapshots(connection, section, preset="30d")
    figures = run_section(SECTIONS["whatsapp-performance"].compute, connection, now=NOW, preset="30d")
    assert (figures["messageFunnel"]["delivered"], figures["messageFunnel"]["failed"]) == (1, 1)
    for scope in (team_scope(sales), team_scope(support), own_scope(agent)):
        for section in ("customer-load", "whatsapp-performance"):
            compute = SECTIONS[section].compute
            assert run_section(compute, connection, now=NOW, scope=scope, use_snapshots=True, preset="30d") == (
                run_section(compute, connection, now=NOW, scope=scope, use_snapshots=False, preset="30d")
            )


def test_a_conversation_reopened_by_its_customer_is_open_again_in_its_old_day(data, connection):
    """Reopening clears `resolved_at` and leaves no timestamp: the customer's message is what moves it."""
    settings = make_settings("sqlite://")
    agent = data.make_user("agent", name="Ana")
    resolved = {"status": "resolved", "resolved_at": local("2026-03-03 10:30")}
    reopened = data.make_answered_conversation(local("2026-03-03 10:00"), 60, agent=agent, **resolved)
    snapshot_everything(connection, local("2026-03-10 00:00"))
    data.make_message(reopened, local("2026-03-10 09:40"))
    connection.execute(update(Conversation).where(Conversation.id == reopened).values(status="open", resolved_at=None))
    aggregate(connection, settings, SnapshotType.hourly, local("2026-03-10 10:00"))
    figures = same_with_and_without_snapshots(connection, "conversation-effectiveness", preset="30d")
    assert figures["resolvedVsOpen"]["resolved"] == 0
    look_back = local("2026-03-08 10:00")
    moved = moved_conversations(connection, SnapshotType.hourly, look_back, look_back, ZONE)
    assert [bucket.astimezone(ZONE).isoformat()[:16] for bucket in moved.buckets] == ["2026-03-03T10:00"]


def test_a_broadcast_is_read_from_its_stored_result_only_once_its_replies_are_in(data, connection):
    settings = make_settings("sqlite://")
    broadcast = data.make_broadcast(local("2026-03-05 09:00"), id="spring-sale")
    conversation = data.make_conversation(local("2026-03-05 09:00"), broadcast=broadcast, inbound_at=None)
    data.make_message(conversation, local("2026-03-05 09:00"), sender="system", status="read", broadcast=broadcast)
    aggregate(connection, settings, SnapshotType.hourly, local("2026-03-05 10:00"))  # its reply window is open
    data.make_message(conversation, local("2026-03-06 09:00"))  # the customer answers a day later

    def replied(now):
        sections = [
            ("whatsapp-performance", "broadcasts", "replied"),
            ("business-impact", "campaignConversion", "responded"),
        ]
        found = []
        for section, key, field in sections:
            figures = same_with_and_without_snapshots(connection, section, now=now, preset="30d")
            found.append([row[field] for row in figures[key]])
        return found

    assert replied(local("2026-03-06 10:00")) == [[1], [1]]
    # Once the window has closed, a run stores the result as final, and the sections read it.
    aggregate(connection, settings, SnapshotType.hourly, local("2026-03-09 10:00"))
    source = PartsSource(connection, ORGANISATION, settings, local("2026-03-09 10:30"))
    assert source.broadcast_outcomes(["spring-sale"]) == {"spring-sale": (1, 1, 1, 1, 0, 1)}
    assert replied(local("2026-03-09 10:30")) == [[1], [1]]


def test_rows_written_before_waits_were_clamped_are_not_served(data, connection):
    """Parts version 2 summed a message sent before it was created as a negative wait; such rows are counted live
    until a backfill rewrites them."""
    conversation = data.make_conversation(local("2026-03-09 16:40"))
    created = local("2026-03-09 16:45")
    data.make_message(conversation, created, sender="agent", status="sent", sent_at=created - timedelta(seconds=95))
    snapshot_everything(connection, NOW)
    # What the release before wrote for the same rows: version 2, the wait of -95 s summed as it came.
    stored = connection.execute(select(snapshots.c.id, snapshots.c.metrics, snapshots.c.message_metrics)).all()
    for row_id, metrics, message_metrics in stored:
        if message_metrics["handedOver"]:
            message_metrics = {**message_metrics, "queueWaitUs": -95_000_000 * message_metrics["handedOver"]}
        connection.execute(
            update(snapshots)
            .where(snapshots.c.id == row_id)
            .values(metrics={**metrics, "version": 2}, message_metrics=message_metrics)
        )
    figures = same_with_and_without_snapshots(connection, "whatsapp-performance", preset="yesterday")
    assert figures["queueMetrics"]["avgQueueWaitSeconds"] == 0.0
