"""SQL functions SQLite lacks, registered on every SQLite connection.

PostgreSQL has native equivalents (`EXTRACT(EPOCH ...)`, `AT TIME ZONE`, `percentile_cont`); `pantau.core.sql`
picks one or the other, so queries are written once.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from pantau.core.business_time import BusinessCalendar


def _parse_utc(value: str | None) -> datetime | None:
    if value is None:
        return None
    return _utc(value)


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def epoch_seconds(value: str | None) -> float | None:
    """Seconds since 1970 of a stored UTC timestamp, exact to the microsecond."""
    moment = _parse_utc(value)
    return None if moment is None else moment.timestamp()


def seconds_between(later: str | None, earlier: str | None) -> float | None:
    """later - earlier in seconds, exact to the microsecond."""
    if later is None or earlier is None:
        return None
    return (_utc(later) - _utc(earlier)).total_seconds()


def microseconds_between(later: str | None, earlier: str | None) -> int | None:
    if later is None or earlier is None:
        return None
    return (_utc(later) - _utc(earlier)) // timedelta(microseconds=1)


def plus_seconds(value: str | None, seconds: float | None) -> str | None:
    """A stored UTC timestamp moved by whole or fractional seconds, written the way timestamps are stored (the
    fraction only when there is one), so text comparison with stored values stays correct."""
    if value is None or seconds is None:
        return None
    moved = datetime.fromisoformat(value) + timedelta(seconds=seconds)
    text = moved.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{moved.microsecond:06d}" if moved.microsecond else text


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(value: str | None, zone_name: str) -> str | None:
    """The local calendar date (YYYY-MM-DD) of an instant."""
    moment = _parse_utc(value)
    return None if moment is None else moment.astimezone(_zone(zone_name)).date().isoformat()


def business_clock(value: str | None, calendar_key: str) -> int | None:
    """B(instant) of a stored UTC timestamp under the calendar `calendar_key` names (see
    `business_time.BusinessCalendar`)."""
    moment = _parse_utc(value)
    return None if moment is None else BusinessCalendar.from_key(calendar_key).clock(moment)


class PercentileCont:
    """`percentile_cont(fraction) WITHIN GROUP (ORDER BY value)`: linear interpolation, NULLs ignored."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction: float | None = None

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        if not self.values or self.fraction is None:
            return None
        ordered = sorted(self.values)
        position = self.fraction * (len(ordered) - 1)
        lower = math.floor(position)
        upper = math.ceil(position)
        if lower == upper:
            return float(ordered[lower])
        return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def register(connection: sqlite3.Connection) -> None:
    try:
        connection.execute("SELECT floor(1.5)")
    except sqlite3.OperationalError:  # SQLite built without its math functions
        connection.create_function("floor", 1, lambda v: None if v is None else math.floor(v), deterministic=True)
    connection.create_function("pantau_epoch", 1, epoch_seconds, deterministic=True)
    connection.create_function("pantau_seconds_between", 2, seconds_between, deterministic=True)
    connection.create_function("pantau_microseconds_between", 2, microseconds_between, deterministic=True)
    connection.create_function("pantau_plus_seconds", 2, plus_seconds, deterministic=True)
    connection.create_function("pantau_local_date", 2, local_date, deterministic=True)
    connection.create_function("pantau_business_clock", 2, business_clock, deterministic=True)
    # typeshed knows aggregates of one argument only; this one takes the value and the fraction.
    connection.create_aggregate("pantau_percentile", 2, PercentileCont)  # type: ignore[arg-type]
