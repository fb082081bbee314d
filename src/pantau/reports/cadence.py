"""When a schedule runs and which days its report covers, in TIMEZONE (SPEC §8.4).

daily at HH:MM covers the previous day; weekly on a weekday covers the 7 days before the run's day; monthly on day
1..28 covers the previous calendar month. The range is given as the API's custom dates, so a report's figures are
exactly what `?startDate=..&endDate=..` answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pantau.core.windows import local_date
from pantau.models.enums import ReportCadence

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class CadenceError(ValueError):
    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter
        self.detail = f"{parameter}: {problem}"


@dataclass(frozen=True)
class Cadence:
    kind: ReportCadence
    at: time
    weekday: int | None = None  # 0 = Monday
    month_day: int | None = None

    @classmethod
    def parse(cls, kind: str, at: str, weekday: str | int | None = None, month_day: int | None = None) -> Cadence:
        try:
            cadence = ReportCadence(kind)
        except ValueError:
            raise CadenceError("cadence", f"must be daily, weekly or monthly, got {kind!r}") from None
        match = _CLOCK.match(at or "")
        if match is None:
            raise CadenceError("at", f"must be a local time as HH:MM (00:00 to 23:59), got {at!r}")
        clock = time(int(match.group(1)), int(match.group(2)))
        day_of_week = None
        if cadence is ReportCadence.weekly:
            if weekday is None or weekday == "":
                raise CadenceError("weekday", "a weekly report needs a weekday (mon..sun)")
            if isinstance(weekday, int):
                day_of_week = weekday if 0 <= weekday <= 6 else None
            elif weekday.lower() in WEEKDAYS:
                day_of_week = WEEKDAYS.index(weekday.lower())
            if day_of_week is None:
                raise CadenceError("weekday", f"must be one of {', '.join(WEEKDAYS)}, got {weekday!r}")
        elif weekday not in (None, ""):
            raise CadenceError("weekday", "only a weekly report takes a weekday")
        if cadence is ReportCadence.monthly:
            if month_day is None or not 1 <= month_day <= 28:
                raise CadenceError("day", f"a monthly report needs a day of the month from 1 to 28, got {month_day}")
        elif month_day is not None:
            raise CadenceError("day", "only a monthly report takes a day of the month")
        return cls(cadence, clock, day_of_week, month_day if cadence is ReportCadence.monthly else None)

    def describe(self) -> str:
        clock = self.at.strftime("%H:%M")
        if self.kind is ReportCadence.weekly:
            return f"weekly on {WEEKDAYS[self.weekday or 0]} at {clock}"
        if self.kind is ReportCadence.monthly:
            return f"monthly on day {self.month_day} at {clock}"
        return f"daily at {clock}"

    def _runs_on(self, day: date) -> bool:
        if self.kind is ReportCadence.weekly:
            return day.weekday() == self.weekday
        if self.kind is ReportCadence.monthly:
            return day.day == self.month_day
        return True

    def next_run_after(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The first run strictly after `moment`, in UTC."""
        day = local_date(moment, zone)
        for _ in range(32):
            if self._runs_on(day):
                run = datetime.combine(day, self.at, zone).astimezone(UTC)
                if run > moment:
                    return run
            day += timedelta(days=1)
        raise AssertionError("every cadence runs within 32 days")

    def report_dates(self, due_at: datetime, zone: ZoneInfo) -> tuple[date, date]:
        """The local days (first, last; both inclusive) the run due at `due_at` reports on."""
        day = local_date(due_at, zone)
        if self.kind is ReportCadence.daily:
            return day - timedelta(days=1), day - timedelta(days=1)
        if self.kind is ReportCadence.weekly:
            return day - timedelta(days=7), day - timedelta(days=1)
        last = day.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
