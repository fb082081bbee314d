"""What the drill-down tests share: reading a figure's whole list, holding it against the figure, and writing the
snapshots a section reads its past hours from."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pantau.metrics.buckets import bucket_start
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import SnapshotType

SNAPSHOT_KINDS = [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly]


def list_query(figure: str, bucket: str | None = None, **parameters: str) -> dict[str, str]:
    """The query of a figure's list (with its bucket), every row on one page."""
    return {"figure": figure, "limit": "500", **({} if bucket is None else {"bucket": bucket}), **parameters}


def whole_list(response) -> dict:
    """The body of a list answered on one page."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    return body


def assert_list_is(body: dict, value: int, expected: list[str], case: object) -> None:
    """The list's `total` is the figure's `value` and the conversations listed are exactly `expected`, in order."""
    assert body["total"] == value == len(expected), case
    assert [item["id"] for item in body["items"]] == expected, case


def write_two_weeks_of_snapshots(connection, pinned_now: datetime, zone: ZoneInfo) -> datetime:
    """Hourly, daily and weekly snapshots from the week two weeks before now up to now, in the organisation's `zone`
    (the one sections read them in); gives now in that zone."""
    local_now = pinned_now.astimezone(zone)
    start = bucket_start(SnapshotType.weekly, local_now - timedelta(days=14), zone)
    written = write_snapshots(
        connection, SNAPSHOT_KINDS, [(start, local_now)], now=local_now, zone=zone, sla_target_seconds=300
    )
    assert written
    return local_now
