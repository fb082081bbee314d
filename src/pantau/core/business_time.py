"""The organisation's working week as settings write it: business hours per weekday, holidays and peak hours.

Each value has a text form (what `.env`, the CLI and the settings form take) and a structured form (what the database
and the API hold). The parsers take either and give the structured form, or raise `ValueError` with a message that
says what is wrong and how to write it. Times are local to `TIMEZONE`; a range's end is excluded, and `24:00` is the
end of the day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60

# {"mon": [("08:00", "17:00")], ...}: the weekdays that have business hours, Monday first, ranges in order.
BusinessHours = dict[str, list[tuple[str, str]]]

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_HOURS_EXAMPLE = "mon-fri 08:00-17:00; sat 09:00-13:00"
_HOLIDAYS_EXAMPLE = "2026-12-25,2027-01-01"
_PEAK_EXAMPLE = "09:00-12:00,14:00-17:00"


def minutes(text: str) -> int:
    """Minutes after local midnight of `HH:MM` (00:00 to 24:00)."""
    match = _TIME.match(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a time like 08:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59 or hour > 24 or (hour == 24 and minute != 0):
        raise ValueError(f"{text.strip()!r} is not a time of day (00:00 to 24:00)")
    return hour * 60 + minute


def clock_time(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def _range(text: str, example: str) -> tuple[int, int]:
    start, sep, end = text.strip().partition("-")
    if not sep:
        raise ValueError(f"{text.strip()!r} is not a time range like {example}")
    first, last = minutes(start), minutes(end)
    if first >= last:
        raise ValueError(f"{text.strip()!r} ends before it starts")
    return first, last


def _in_order(ranges: list[tuple[int, int]], where: str) -> list[tuple[int, int]]:
    ranges = sorted(ranges)
    for (_, earlier_end), (later_start, _) in zip(ranges, ranges[1:], strict=False):
        if later_start < earlier_end:
            raise ValueError(f"{where}: time ranges overlap")
    return ranges


def _days(text: str) -> list[str]:
    """`mon`, `mon-fri`, `sat,sun` (or a mix): the weekdays named, in the week's order."""
    found: set[int] = set()
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        first, sep, last = part.partition("-")
        for day in (first, last) if sep else (first,):
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a weekday; use {', '.join(WEEKDAYS)}")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last if sep else first)
        if end < start:
            raise ValueError(f"{part!r}: a span of days runs forward, like mon-fri")
        found.update(range(start, end + 1))
    if not found:
        raise ValueError(f"name the days, like {_HOURS_EXAMPLE}")
    return [WEEKDAYS[index] for index in sorted(found)]


def parse_business_hours(value: object) -> BusinessHours:
    """`mon-fri 08:00-17:00; sat 09:00-13:00` (several ranges a day: `mon 08:00-12:00,13:00-17:00`), or the
    structured form. Empty: no business hours set (the clock runs round the week)."""
    per_day: dict[str, list[tuple[int, int]]] = {}
    if isinstance(value, dict):
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a weekday; use {', '.join(WEEKDAYS)}")
            if not isinstance(ranges, list):
                raise ValueError(f"{day}: give a list of [start, end] times")
            for each in ranges:
                if not isinstance(each, list | tuple) or len(each) != 2 or not all(isinstance(t, str) for t in each):
                    raise ValueError(f"{day}: each range is [start, end], like ['08:00', '17:00']")
                per_day.setdefault(day, []).append(_range(f"{each[0]}-{each[1]}", "08:00-17:00"))
    elif isinstance(value, str):
        for group in filter(None, (g.strip() for g in value.split(";"))):
            days, sep, ranges = group.partition(" ")
            if not sep or not ranges.strip():
                raise ValueError(f"{group!r} is not days and times like {_HOURS_EXAMPLE}")
            parsed = [_range(part, "08:00-17:00") for part in ranges.split(",") if part.strip()]
            for day in _days(days):
                per_day.setdefault(day, []).extend(parsed)
    else:
        raise ValueError(f"write business hours like {_HOURS_EXAMPLE}")
    return {
        day: [(clock_time(start), clock_time(end)) for start, end in _in_order(per_day[day], day)]
        for day in WEEKDAYS
        if day in per_day
    }


def business_hours_text(hours: BusinessHours) -> str:
    """The text form, with days of the same hours run together: `mon-fri 08:00-17:00; sat 09:00-13:00`."""
    groups: list[tuple[list[str], list[tuple[str, str]]]] = []
    for index, day in enumerate(WEEKDAYS):
        ranges = hours.get(day)
        if not ranges:
            continue
        previous = groups[-1] if groups else None
        if previous is not None and previous[1] == ranges and WEEKDAYS.index(previous[0][-1]) == index - 1:
            previous[0].append(day)
        else:
            groups.append(([day], list(ranges)))
    parts = []
    for days, ranges in groups:
        named = days[0] if len(days) == 1 else f"{days[0]}-{days[-1]}"
        parts.append(f"{named} " + ",".join(f"{start}-{end}" for start, end in ranges))
    return "; ".join(parts)


def parse_holidays(value: object) -> list[date]:
    """`2026-12-25,2027-01-01` (local dates), or a list of such dates; sorted, each once."""
    if isinstance(value, str):
        items: list[object] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"write holidays like {_HOLIDAYS_EXAMPLE}")
    days: set[date] = set()
    for item in items:
        if isinstance(item, date):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            raise ValueError(f"{item!r} is not a date like 2026-12-25") from None
    return sorted(days)


def holidays_text(days: list[date]) -> str:
    return ",".join(day.isoformat() for day in days)


def parse_peak_hours(value: object) -> list[tuple[int, int]]:
    """`09:00-12:00,14:00-17:00` (whole local hours, end excluded; `9-12` also reads), or [[9, 12], ...] / [["09:00",
    "12:00"], ...]. Peak hours split the hourly figures, so they start and end on the hour."""
    if isinstance(value, str):
        items: list[object] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"write peak hours like {_PEAK_EXAMPLE}")
    ranges = []
    for item in items:
        if isinstance(item, list | tuple) and len(item) == 2:
            start_text, end_text = (f"{part}:00" if isinstance(part, int) else str(part) for part in item)
            text = f"{start_text}-{end_text}"
        elif isinstance(item, str):
            start_text, sep, end_text = item.partition("-")
            if sep and start_text.strip().isdigit() and end_text.strip().isdigit():
                start_text, end_text = f"{start_text.strip()}:00", f"{end_text.strip()}:00"
            text = f"{start_text}-{end_text}" if sep else item
        else:
            raise ValueError(f"{item!r} is not an hour range like 09:00-12:00")
        start, end = _range(text, "09:00-12:00")
        if start % 60 or end % 60:
            raise ValueError(f"{text!r}: peak hours start and end on the hour, like 09:00-12:00")
        ranges.append((start // 60, end // 60))
    return _in_order(ranges, "peak hours")


def peak_hours_text(ranges: list[tuple[int, int]]) -> str:
    return ",".join(f"{clock_time(start * 60)}-{clock_time(end * 60)}" for start, end in ranges)


# The business clock counts from a Monday 00:00 on the local wall clock, long enough ago that every timestamp is
# after it (so whole weeks and the time inside the week are plain integer division and remainder).
CLOCK_EPOCH = datetime(1900, 1, 1)  # a Monday
MICROSECONDS_PER_MINUTE = 60_000_000
MICROSECONDS_PER_DAY = MINUTES_PER_DAY * MICROSECONDS_PER_MINUTE
MICROSECONDS_PER_WEEK = 7 * MICROSECONDS_PER_DAY


@dataclass(frozen=True)
class BusinessCalendar:
    """Business hours and holidays in force, in the organisation's time zone: what the first-response SLA counts
    when business hours are set (SPEC §8.5).

    The business clock B(t) is the business time, in microseconds, from CLOCK_EPOCH to t on the local wall clock:
    whole weeks times the business time of a week, plus the business time of the current week up to t, minus the
    business time of the holidays before t. The business time between two moments is B(later) - B(earlier). Times
    are read on the local wall clock, so on a day the clock is set forward or back, an hour inside business hours
    counts as the clock shows it (Asia/Jakarta never changes its clock).
    """

    zone: str
    hours: BusinessHours
    holidays: tuple[date, ...]

    @property
    def key(self) -> str:
        """What the calendar is, as text: recorded with the snapshot parts computed under it, and read back by
        `from_key`."""
        return f"{self.zone}|{business_hours_text(self.hours)}|{holidays_text(list(self.holidays))}"

    @classmethod
    def from_key(cls, key: str) -> BusinessCalendar:
        return _calendar_of_key(key)

    @cached_property
    def week_ranges(self) -> tuple[tuple[int, int], ...]:
        """The business ranges of the week as (start, length) in microseconds after Monday 00:00."""
        ranges = []
        for index, day in enumerate(WEEKDAYS):
            for start, end in self.hours.get(day, []):
                first = index * MICROSECONDS_PER_DAY + minutes(start) * MICROSECONDS_PER_MINUTE
                ranges.append((first, (minutes(end) - minutes(start)) * MICROSECONDS_PER_MINUTE))
        return tuple(ranges)

    @cached_property
    def week_length(self) -> int:
        """Business microseconds in a whole week."""
        return sum(length for _, length in self.week_ranges)

    @cached_property
    def holiday_ranges(self) -> tuple[tuple[int, int], ...]:
        """The business ranges that holidays take away, as (start after CLOCK_EPOCH, length) in microseconds."""
        ranges = []
        for day in self.holidays:
            day_start = (day - CLOCK_EPOCH.date()).days * MICROSECONDS_PER_DAY
            for start, end in self.hours.get(WEEKDAYS[day.weekday()], []):
                first = day_start + minutes(start) * MICROSECONDS_PER_MINUTE
                ranges.append((first, (minutes(end) - minutes(start)) * MICROSECONDS_PER_MINUTE))
        return tuple(ranges)

    def wall_microseconds(self, moment: datetime) -> int:
        """Microseconds from CLOCK_EPOCH to the moment, on the local wall clock."""
        local = moment.astimezone(ZoneInfo(self.zone)).replace(tzinfo=None)
        return (local - CLOCK_EPOCH) // timedelta(microseconds=1)

    def clock(self, moment: datetime) -> int:
        """B(moment): business microseconds from CLOCK_EPOCH to the moment."""
        wall = self.wall_microseconds(moment)
        weeks, within = divmod(wall, MICROSECONDS_PER_WEEK)
        total = weeks * self.week_length
        total += sum(_clamp(within - start, length) for start, length in self.week_ranges)
        total -= sum(_clamp(wall - start, length) for start, length in self.holiday_ranges)
        return total

    def business_seconds(self, earlier: datetime, later: datetime) -> float:
        """Seconds inside business hours and outside holidays between two moments."""
        return (self.clock(later) - self.clock(earlier)) / 1_000_000


def _clamp(value: int, length: int) -> int:
    return min(max(value, 0), length)


@lru_cache(maxsize=16)
def _calendar_of_key(key: str) -> BusinessCalendar:
    zone, hours, holidays = key.split("|")
    return BusinessCalendar(zone, parse_business_hours(hours), tuple(parse_holidays(holidays)))


def business_calendar(zone: str, hours: BusinessHours, holidays: list[date]) -> BusinessCalendar | None:
    """The calendar the first-response SLA counts in, or None when no business hours are set (the clock then runs
    round the week, and holidays alone change nothing)."""
    if not hours:
        return None
    return BusinessCalendar(zone, hours, tuple(holidays))
