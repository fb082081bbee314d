"""`local_times` writes an instant as `astimezone(zone).isoformat()` would, in zones with whole-hour, half-hour and
quarter-hour offsets, across daylight saving switches, with and without microseconds; None stays None."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pantau.exports.cells import local_times


def test_jakarta_midnight_and_microseconds():
    local = local_times(ZoneInfo("Asia/Jakarta"))
    assert local(datetime(2026, 3, 3, 17, 0, tzinfo=UTC)) == "2026-03-04T00:00:00+07:00"
    assert local(datetime(2026, 3, 3, 16, 59, 59, 999_999, tzinfo=UTC)) == "2026-03-03T23:59:59.999999+07:00"
    assert local(datetime(2026, 3, 4, 3, 0, 0, 50_000, tzinfo=UTC)) == "2026-03-04T10:00:00.050000+07:00"
    assert local(None) is None


def test_an_instant_not_in_utc_is_written_in_the_zone_all_the_same():
    local = local_times(ZoneInfo("Asia/Jakarta"))
    assert local(datetime(2026, 3, 4, 0, 0, tzinfo=timezone(timedelta(hours=2)))) == "2026-03-04T05:00:00+07:00"


@pytest.mark.parametrize(
    "zone",
    ["Asia/Jakarta", "Asia/Kolkata", "Asia/Kathmandu", "Europe/London", "America/New_York", "Australia/Lord_Howe"],
)
def test_every_instant_reads_as_isoformat_gives_it(zone):
    local, tz = local_times(ZoneInfo(zone)), ZoneInfo(zone)
    generator = random.Random(zone)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Every quarter hour around the year's daylight saving switches (March, April, October, November), then at random.
    moments = [
        start + timedelta(days=day, minutes=15 * quarter) for day in (66, 96, 276, 305) for quarter in range(480)
    ]
    for _ in range(5_000):
        moments.append(
            start + timedelta(seconds=generator.randint(0, 365 * 86_400), microseconds=generator.choice([0, 7]))
        )
    for moment in moments:
        assert local(moment) == moment.astimezone(tz).isoformat(), moment
