"""Snapshot buckets are local to the time zone they were computed in (SPEC §7): every row records it, and a row of
another zone, or of none recorded (written before rows recorded it), never stands in for a live count, is never
summed into a bucket of the zone in force and never counts as current; the next run computes afresh what it needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from pantau.aggregation.jobs import aggregate
from pantau.core.config import Settings
from pantau.dashboard import conversation_effectiveness
from pantau.metrics.buckets import bucket_start
from pantau.metrics.parts_source import PartsSource
from pantau.metrics.snapshots import snapshots, write_snapshots
from pantau.models.enums import ScopeType, SnapshotType
from tests.conftest import make_settings
from tests.support.builders import local, utc
from tests.support.sections import ORGANISATION, run_section

JAKARTA = local("2026-03-10 00:00").tzinfo
KINDS = [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly]


def snapshot_everything_in_jakarta(connection, at: datetime) -> None:
    start = bucket_start(SnapshotType.weekly, at - timedelta(days=14), JAKARTA)
    write_snapshots(connection, KINDS, [(start, at)], now=at, zone=JAKARTA, sla_target_seconds=300)


def forget_the_time_zones(connection) -> None:
    """Every row as rows were written before they recorded their time zone."""
    for row_id, metrics in connection.execute(select(snapshots.c.id, snapshots.c.metrics)).all():
        kept = {name: value for name, value in metrics.items() if name != "timeZone"}
        connection.execute(update(snapshots).where(snapshots.c.id == row_id).values(metrics=kept))


def organisation_row(connection, kind: SnapshotType, bucket: datetime) -> dict:
    return connection.execute(
        select(snapshots.c.metrics).where(
            snapshots.c.snapshot_type == kind.value,
            snapshots.c.snapshot_date == bucket,
            snapshots.c.scope_type == ScopeType.org.value,
            snapshots.c.scope_id == "",
        )
    ).scalar_one()


def snapshot_buckets_read(connection, settings: Settings, now: datetime, start: datetime, end: datetime):
    source = PartsSource(connection, ORGANISATION, settings, now)
    plan = source._plan(start, end, (SnapshotType.weekly, SnapshotType.daily, SnapshotType.hourly))
    return plan.snapshot_buckets


def conversations_in(connection, now: datetime, day: str, zone: str, *, use_snapshots: bool) -> int:
    figures = run_section(
        conversation_effectiveness.compute,
        connection,
        now=now,
        start_date=day,
        end_date=day,
        zone=zone,
        use_snapshots=use_snapshots,
    )
    return figures["totals"]["value"]


def test_every_row_records_the_time_zone_it_was_computed_in(data, connection):
    data.make_conversation(local("2026-03-09 10:00"))
    snapshot_everything_in_jakarta(connection, local("2026-03-10 10:00"))
    zones = connection.execute(select(snapshots.c.metrics)).scalars().all()
    assert len(zones) > 0
    assert {metrics["timeZone"] for metrics in zones} == {"Asia/Jakarta"}


def test_rows_written_before_they_recorded_their_time_zone_are_not_used(data, connection):
    """Rows that do not say which zone their buckets are local to are left aside: the day is counted live, its late
    arrival included, until a run or a backfill writes it again."""
    now = local("2026-03-10 10:30")
    data.make_conversation(local("2026-03-04 09:00"))
    data.make_conversation(local("2026-03-04 15:00"))
    snapshot_everything_in_jakarta(connection, local("2026-03-10 10:00"))
    data.make_conversation(local("2026-03-04 12:00"), id="late-arrival")  # after the run: in no snapshot
    # The snapshot path answers from the rows while they say their zone: the late arrival is not in them.
    assert conversations_in(connection, now, "2026-03-04", "Asia/Jakarta", use_snapshots=True) == 2

    forget_the_time_zones(connection)

    assert conversations_in(connection, now, "2026-03-04", "Asia/Jakarta", use_snapshots=True) == 3
    assert conversations_in(connection, now, "2026-03-04", "Asia/Jakarta", use_snapshots=False) == 3
    day = (local("2026-03-04 00:00"), local("2026-03-05 00:00"))
    assert snapshot_buckets_read(connection, make_settings("sqlite://"), now, *day) == []


def test_an_hourly_run_under_a_new_time_zone_computes_its_days_afresh_instead_of_summing_old_hours(data, connection):
    """Jakarta is 7 hours ahead of UTC, so Jakarta's hourly rows start on UTC hours. After TIMEZONE becomes UTC, the
    first hourly run writes the UTC days its look-back touches; the hours of 8 Mar before the look-back (00:00 to
    03:00 UTC) have Jakarta rows, which are not summed into the UTC day: the day is computed whole, so a conversation
    those rows miss is in it."""
    data.make_conversation(utc("2026-03-07 20:00"))  # 8 Mar in Jakarta, 7 Mar in UTC
    data.make_conversation(utc("2026-03-08 00:30"))  # before the UTC run's look-back
    data.make_conversation(utc("2026-03-08 05:00"))  # inside it
    snapshot_everything_in_jakarta(connection, utc("2026-03-10 03:00"))
    data.make_conversation(utc("2026-03-08 01:15"), id="late-arrival")  # in no Jakarta row
    in_utc = make_settings("sqlite://", timezone="UTC")
    now = utc("2026-03-10 03:30")

    aggregate(connection, in_utc, SnapshotType.hourly, now)  # its look-back starts at 8 Mar 03:00 UTC

    day = organisation_row(connection, SnapshotType.daily, utc("2026-03-08 00:00"))
    assert (day["timeZone"], day["conversations"]["conversations"]) == ("UTC", 3)
    assert organisation_row(connection, SnapshotType.hourly, utc("2026-03-08 05:00"))["timeZone"] == "UTC"
    # The UTC day is read from its row, and gives the live answer.
    whole_day = (utc("2026-03-08 00:00"), utc("2026-03-09 00:00"))
    assert snapshot_buckets_read(connection, in_utc, now, *whole_day) == [(SnapshotType.daily, whole_day[0])]
    assert conversations_in(connection, now, "2026-03-08", "UTC", use_snapshots=True) == 3
    assert conversations_in(connection, now, "2026-03-08", "UTC", use_snapshots=False) == 3


def test_an_older_day_stored_before_rows_recorded_their_time_zone_is_rewritten_whole_when_it_moves(data, connection):
    """A day wholly before the look-back whose conversation moved gets only fresh conversation parts when its row is
    current; a row that does not say its zone is not current, so the run computes the day whole, its first contacts
    included: a conversation of a new contact that the stored rows miss is counted there too."""
    agent = data.make_user("agent", name="Ana")
    moved = data.make_conversation(local("2026-03-03 10:00"), assigned_to=agent)  # a week old, unanswered
    snapshot_everything_in_jakarta(connection, local("2026-03-10 00:00"))
    forget_the_time_zones(connection)
    data.make_conversation(local("2026-03-03 14:00"), id="late-arrival")  # a new contact, in no row
    data.make_message(moved, local("2026-03-10 09:45"), sender="agent", sender_id=agent)

    aggregate(connection, make_settings("sqlite://"), SnapshotType.hourly, local("2026-03-10 10:00"))

    day = organisation_row(connection, SnapshotType.daily, local("2026-03-03 00:00"))
    assert (day["timeZone"], day["conversations"]["conversations"], day["firstContacts"]) == ("Asia/Jakarta", 2, 2)
    now = local("2026-03-10 10:30")
    assert snapshot_buckets_read(
        connection, make_settings("sqlite://"), now, local("2026-03-03 00:00"), local("2026-03-04 00:00")
    ) == [(SnapshotType.daily, local("2026-03-03 00:00"))]
    assert conversations_in(connection, now, "2026-03-03", "Asia/Jakarta", use_snapshots=True) == 2
