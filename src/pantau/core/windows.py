"""Time windows (SPEC §3): one place that turns a range request into [start, end), its previous window and buckets.

Everything is local to the organisation's time zone: "today", day and hour buckets, hour-of-day. Instants are aware
UTC datetimes; day arithmetic happens on local calendar dates, so windows stay right across DST changes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

MAX_CUSTOM_DAYS = 366
# Custom dates outside these years are refused: nothing is that old, and time zone arithmetic near year 1 or 9999
# overflows Python's datetime.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(9000, 12, 31)
HOUR = timedelta(hours=1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Granularity = Literal["hour", "day"]

# Presets counted in whole local days ending today: [local midnight (days - 1) days ago, now).
_DAY_PRESETS = {"7d": 7, "30d": 30, "90d": 90}
PRESET_ALIASES = {"week": "7d", "month": "30d"}
PRESETS = ("today", "yesterday", "24h", *_DAY_PRESETS, *PRESET_ALIASES)


class WindowError(ValueError):
    """A range request that cannot be served; `parameter` names the offending query parameter."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter
        self.detail = f"{parameter}: {problem}"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def shift_local_days(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same local wall-clock time `days` calendar days later (earlier when negative)."""
    local = moment.astimezone(zone)
    wall = datetime.combine(local.date() + timedelta(days=days), local.timetz().replace(tzinfo=None))
    return wall.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Bucket:
    """One hour or local day. `key` is what `pantau.core.sql.bucket_key` yields for rows inside it: the hour's
    index counted from the window's first hour, or the local date as YYYY-MM-DD."""

    start: datetime
    end: datetime
    zone: ZoneInfo
    key: int | str

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.zone)


@dataclass(frozen=True)
class Window:
    """A half-open range [start, end) and the window it is compared with.

    `preset` is the request's named range, aliases resolved (`week` is `7d`), None for custom dates. `now` is the
    instant the window was resolved at; figures never count anything after it.
    """

    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime
    now: datetime
    zone: ZoneInfo
    preset: str | None

    @property
    def span(self) -> timedelta:
        return self.end - self.start

    @property
    def effective_end(self) -> datetime:
        """min(end, now): where anything that accrues over time (online time, ...) stops."""
        return min(self.end, self.now)

    def granularity(self, hourly_up_to: timedelta) -> Granularity:
        return "hour" if self.span <= hourly_up_to else "day"

    def buckets(self, granularity: Granularity) -> list[Bucket]:
        """Zero-fill skeleton: every local hour or day that starts inside the window and not after `now`.

        Hours step in UTC from the local hour containing `start`, so a DST fall-back hour appears twice (once per
        offset) and a spring-forward hour not at all: each bucket is one real hour. Days run local midnight to
        local midnight (23 or 25 hours across DST).
        """
        return list(_buckets(self, granularity))

    def _buckets(self, granularity: Granularity) -> list[Bucket]:
        last = min(self.end, self.now)
        buckets: list[Bucket] = []
        if granularity == "hour":
            cursor = self.hour_bucket_origin()
            while cursor < last or (not buckets and cursor < self.end):
                buckets.append(Bucket(cursor, cursor + HOUR, self.zone, len(buckets)))
                cursor += HOUR
            return buckets
        day = local_date(self.start, self.zone)
        while True:
            start = local_midnight(day, self.zone)
            if start >= last and buckets:
                return buckets
            end = local_midnight(day + timedelta(days=1), self.zone)
            buckets.append(Bucket(start, end, self.zone, day.isoformat()))
            day += timedelta(days=1)

    def hour_bucket_origin(self) -> datetime:
        """The UTC start of the local hour containing `start`; SQL numbers hourly buckets from it."""
        local = self.start.astimezone(self.zone)
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)

    @property
    def cache_token(self) -> str:
        """What identifies the window in a cache key: the custom dates, or the preset and the local day it was
        resolved on (day presets change at local midnight; a sliding `24h` is the same window within a cache TTL)."""
        if self.preset is None:
            last_day = local_date(self.end - timedelta(microseconds=1), self.zone)
            return f"{local_date(self.start, self.zone)}..{last_day}"
        return f"{self.preset}@{local_date(self.now, self.zone)}"

    def describe(self) -> dict[str, str]:
        """The `range` object every section returns (ISO 8601 with the local offset)."""
        return {
            "start": iso_local(self.start, self.zone),
            "end": iso_local(self.end, self.zone),
            "previousStart": iso_local(self.previous_start, self.zone),
            "previousEnd": iso_local(self.previous_end, self.zone),
            "timezone": self.zone.key,
        }


def iso_local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat()


def resolve_window(
    *,
    now: datetime,
    zone: ZoneInfo,
    preset: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    default: str = "today",
    preset_parameter: str = "dateRange",
) -> Window:
    """SPEC §3: a preset (`today`, `yesterday`, `24h`, `7d`/`week`, `30d`/`month`, `90d`) or custom local dates.

    Custom dates are both inclusive, both required, start <= end, at most 366 days; the previous window is the same
    number of days before. Raises WindowError naming the parameter at fault.
    """
    now = now.astimezone(UTC)
    if start_date is not None or end_date is not None:
        if preset is not None:
            raise WindowError(preset_parameter, f"give either {preset_parameter} or startDate and endDate, not both")
        return _custom_window(now, zone, start_date, end_date)

    name = default if preset is None else PRESET_ALIASES.get(preset, preset)
    today = local_date(now, zone)
    if name == "today":
        start = local_midnight(today, zone)
        return _shifted_by_days(start, now, now, zone, name, days=1)
    if name == "yesterday":
        start = local_midnight(today - timedelta(days=1), zone)
        return _shifted_by_days(start, local_midnight(today, zone), now, zone, name, days=1)
    if name == "24h":
        span = timedelta(hours=24)
        return Window(now - span, now, now - 2 * span, now - span, now, zone, name)
    if name in _DAY_PRESETS:
        days = _DAY_PRESETS[name]
        start = local_midnight(today - timedelta(days=days - 1), zone)
        return _shifted_by_days(start, now, now, zone, name, days=days)
    raise WindowError(
        preset_parameter, f"unknown range {name!r}; use one of {', '.join(PRESETS)}, or startDate and endDate"
    )


def _shifted_by_days(
    start: datetime, end: datetime, now: datetime, zone: ZoneInfo, preset: str | None, *, days: int
) -> Window:
    return Window(
        start=start,
        end=end,
        previous_start=shift_local_days(start, -days, zone),
        previous_end=shift_local_days(end, -days, zone),
        now=now,
        zone=zone,
        preset=preset,
    )


def _parse_date(parameter: str, value: str | None) -> date:
    """A local calendar date written exactly as YYYY-MM-DD. `date.fromisoformat` alone also reads other ISO 8601
    forms of the same length (the week date `2026-W48-1`), which the API does not promise."""
    if not value:
        raise WindowError(parameter, "required with a custom range (YYYY-MM-DD)")
    if not _ISO_DATE.fullmatch(value):
        raise WindowError(parameter, f"must be a date as YYYY-MM-DD, got {value!r}")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise WindowError(parameter, f"must be a date as YYYY-MM-DD, got {value!r}, which is no calendar day") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise WindowError(parameter, f"must lie between {EARLIEST_DATE} and {LATEST_DATE}, got {value}")
    return day


def _custom_window(now: datetime, zone: ZoneInfo, start_date: str | None, end_date: str | None) -> Window:
    first = _parse_date("startDate", start_date)
    last = _parse_date("endDate", end_date)
    if first > last:
        raise WindowError("startDate", f"{first} is after endDate {last}")
    days = (last - first).days + 1
    if days > MAX_CUSTOM_DAYS:
        raise WindowError("endDate", f"the range spans {days} days; at most {MAX_CUSTOM_DAYS} are allowed")
    start = local_midnight(first, zone)
    end = local_midnight(last + timedelta(days=1), zone)
    return _shifted_by_days(start, end, now, zone, None, days=days)


@functools.lru_cache(maxsize=32)
def _buckets(window: Window, granularity: Granularity) -> tuple[Bucket, ...]:
    """A section asks for the same skeleton several times (a 90-day range has 2,160 hours): built once."""
    return tuple(window._buckets(granularity))
