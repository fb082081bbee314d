"""Snapshot buckets (SPEC §7): local hours, local days from midnight, local weeks from Monday 00:00."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pantau.core.windows import local_date, local_midnight
from pantau.models.enums import SnapshotType

HOUR = timedelta(hours=1)


def bucket_start(kind: SnapshotType, moment: datetime, zone: ZoneInfo) -> datetime:
    """The start of the bucket of this kind that contains `moment`."""
    if kind is SnapshotType.hourly:
        local = moment.astimezone(zone)
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    day = local_date(moment, zone)
    if kind is SnapshotType.weekly:
        day -= timedelta(days=day.weekday())
    return local_midnight(day, zone)


def next_bucket_start(kind: SnapshotType, start: datetime, zone: ZoneInfo) -> datetime:
    if kind is SnapshotType.hourly:
        return start + HOUR
    days = 7 if kind is SnapshotType.weekly else 1
    return local_midnight(local_date(start, zone) + timedelta(days=days), zone)


def buckets_between(kind: SnapshotType, start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """Starts of the buckets that overlap [start, end)."""
    starts = []
    cursor = bucket_start(kind, start, zone)
    while cursor < end:
        starts.append(cursor)
        cursor = next_bucket_start(kind, cursor, zone)
    return starts
