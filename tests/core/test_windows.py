"""Time windows of SPEC §3: presets, custom dates, previous windows and buckets, in the organisation's zone."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from pantau.core.windows import WindowError, resolve_window
from tests.support.builders import local, utc

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = local("2026-03-04 10:30")  # a Wednesday


def window(preset=None, start=None, end=None, now=NOW, zone=JAKARTA):
    return resolve_window(now=now, zone=zone, preset=preset, start_date=start, end_date=end)


def test_today_runs_from_local_midnight_to_now_and_compares_with_the_same_clock_window_yesterday():
    w = window("today")
    assert (w.start, w.end) == (local("2026-03-04 00:00"), NOW)
    assert (w.previous_start, w.previous_end) == (local("2026-03-03 00:00"), local("2026-03-03 10:30"))


def test_today_starts_at_local_midnight_which_is_the_previous_evening_in_utc():
    assert window("today").start == utc("2026-03-03 17:00")


def test_yesterday_is_the_whole_previous_local_day():
    w = window("yesterday")
    assert (w.start, w.end) == (local("2026-03-03 00:00"), local("2026-03-04 00:00"))
    assert (w.previous_start, w.previous_end) == (local("2026-03-02 00:00"), local("2026-03-03 00:00"))


def test_24h_is_a_sliding_window_of_exact_hours():
    w = window("24h")
    assert (w.start, w.end) == (NOW - timedelta(hours=24), NOW)
    assert (w.previous_start, w.previous_end) == (NOW - timedelta(hours=48), NOW - timedelta(hours=24))


@pytest.mark.parametrize(
    ("preset", "first_day"),
    [
        ("7d", "2026-02-26"),
        ("week", "2026-02-26"),
        ("30d", "2026-02-03"),
        ("month", "2026-02-03"),
        ("90d", "2025-12-05"),
    ],
)
def test_day_presets_start_at_local_midnight_n_minus_1_days_ago(preset, first_day):
    w = window(preset)
    days = {"7d": 7, "week": 7, "30d": 30, "month": 30, "90d": 90}[preset]
    assert w.preset == {"week": "7d", "month": "30d"}.get(preset, preset)
    assert (w.start, w.end) == (local(f"{first_day} 00:00"), NOW)
    assert w.previous_start == w.start - timedelta(days=days)
    assert w.previous_end == NOW - timedelta(days=days)


def test_default_applies_when_no_range_is_given():
    assert window().preset == "today"
    assert resolve_window(now=NOW, zone=JAKARTA, default="30d").preset == "30d"


def test_custom_dates_are_local_and_both_inclusive_and_compare_with_as_many_days_before():
    w = window(start="2026-02-01", end="2026-02-10")
    assert (w.start, w.end) == (local("2026-02-01 00:00"), local("2026-02-11 00:00"))
    assert (w.previous_start, w.previous_end) == (local("2026-01-22 00:00"), local("2026-02-01 00:00"))
    assert w.preset is None


def test_a_single_custom_day():
    w = window(start="2026-02-01", end="2026-02-01")
    assert w.span == timedelta(days=1)


@pytest.mark.parametrize(
    ("kwargs", "parameter", "message"),
    [
        ({"preset": "fortnight"}, "dateRange", "dateRange: unknown range 'fortnight'"),
        ({"start": "2026-02-01"}, "endDate", "endDate: required with a custom range"),
        ({"end": "2026-02-01"}, "startDate", "startDate: required with a custom range"),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "startDate", "must be a date as YYYY-MM-DD"),
        ({"start": "2026/02/01", "end": "2026-03-01"}, "startDate", "must be a date as YYYY-MM-DD"),
        ({"start": "2026-W05-1", "end": "2026-03-01"}, "startDate", "must be a date as YYYY-MM-DD"),
        (
            {"start": "2026-03-02", "end": "2026-03-01"},
            "startDate",
            "startDate: 2026-03-02 is after endDate 2026-03-01",
        ),
        ({"start": "2025-01-01", "end": "2026-01-02"}, "endDate", "spans 367 days"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "startDate", "must lie between 1900-01-01 and 9000-12-31"),
        ({"start": "9000-12-30", "end": "9999-12-31"}, "endDate", "must lie between 1900-01-01 and 9000-12-31"),
        ({"preset": "7d", "start": "2026-01-01", "end": "2026-01-02"}, "dateRange", "not both"),
    ],
)
def test_bad_ranges_name_the_parameter(kwargs, parameter, message):
    with pytest.raises(WindowError) as raised:
        window(**kwargs)
    assert raised.value.parameter == parameter
    assert message in raised.value.detail


def test_366_days_are_allowed():
    assert window(start="2025-01-01", end="2026-01-01").span == timedelta(days=366)


def test_hourly_buckets_cover_the_window_up_to_now_zero_fill_skeleton():
    buckets = window("today").buckets("hour")
    assert [b.local_start.hour for b in buckets] == list(range(11))  # 00:00 .. 10:00, the hour in progress included
    assert buckets[0].start == local("2026-03-04 00:00")
    assert [b.key for b in buckets] == list(range(11))


def test_24h_hourly_buckets_start_at_the_local_hour_containing_the_start():
    buckets = window("24h").buckets("hour")
    assert buckets[0].start == local("2026-03-03 10:00")
    assert len(buckets) == 25  # 10:00 yesterday (partly in range) .. 10:00 today


def test_daily_buckets_are_local_days_keyed_by_date():
    buckets = window("7d").buckets("day")
    assert [b.key for b in buckets] == [
        f"2026-0{m}-{d:02d}" for m, d in [(2, 26), (2, 27), (2, 28), (3, 1), (3, 2), (3, 3), (3, 4)]
    ]
    assert all(b.end - b.start == timedelta(days=1) for b in buckets)


def test_custom_range_buckets_stop_at_now():
    buckets = window(start="2026-03-01", end="2026-03-10").buckets("day")
    assert buckets[-1].key == "2026-03-04"


def test_a_range_wholly_in_the_future_still_has_its_first_bucket():
    w = window(start="2026-04-01", end="2026-04-02")
    assert [b.key for b in w.buckets("day")] == ["2026-04-01"]
    assert len(w.buckets("hour")) == 1


def test_describe_gives_iso_times_with_the_local_offset():
    assert window("today").describe() == {
        "start": "2026-03-04T00:00:00+07:00",
        "end": "2026-03-04T10:30:00+07:00",
        "previousStart": "2026-03-03T00:00:00+07:00",
        "previousEnd": "2026-03-03T10:30:00+07:00",
        "timezone": "Asia/Jakarta",
    }


# Daylight saving time, in a zone that has it: New York falls back on 2026-11-01 and springs forward on 2026-03-08.
NEW_YORK = ZoneInfo("America/New_York")


def test_a_fall_back_day_is_25_hours_with_the_repeated_hour_twice():
    w = window(start="2026-11-01", end="2026-11-01", now=local("2026-11-05 12:00", "America/New_York"), zone=NEW_YORK)
    assert w.span == timedelta(hours=25)
    hours = [b.local_start.strftime("%H %z") for b in w.buckets("hour")]
    assert len(hours) == 25
    assert hours[1:3] == ["01 -0400", "01 -0500"]


def test_a_spring_forward_day_is_23_hours_and_today_compares_with_yesterdays_same_clock():
    now = local("2026-03-09 10:00", "America/New_York")
    w = window("yesterday", now=now, zone=NEW_YORK)
    assert w.span == timedelta(hours=23)
    today = window("today", now=now, zone=NEW_YORK)
    assert today.previous_start == local("2026-03-08 00:00", "America/New_York")
    assert today.previous_end == local("2026-03-08 10:00", "America/New_York")
    assert today.previous_end - today.previous_start == timedelta(hours=9)  # the lost hour


def test_week_of_days_across_dst_keeps_local_midnights():
    w = window("7d", now=local("2026-03-10 09:00", "America/New_York"), zone=NEW_YORK)
    assert [b.local_start.hour for b in w.buckets("day")] == [0] * 7


def test_half_hour_zone_hours_start_on_local_hours():
    kolkata = ZoneInfo("Asia/Kolkata")
    w = window("today", now=local("2026-03-04 02:45", "Asia/Kolkata"), zone=kolkata)
    assert [b.local_start.strftime("%H:%M") for b in w.buckets("hour")] == ["00:00", "01:00", "02:00"]


def test_cache_token_names_the_preset_and_the_local_day_or_the_custom_dates():
    assert window("week").cache_token == "7d@2026-03-04"
    assert window("24h").cache_token == "24h@2026-03-04"
    assert window(start="2026-02-01", end="2026-02-10").cache_token == "2026-02-01..2026-02-10"
    just_after_midnight = window("today", now=local("2026-03-05 00:00:01"))
    assert just_after_midnight.cache_token == "today@2026-03-05"
