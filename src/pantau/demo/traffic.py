"""When customers write: the demo's calendar and the arrival rhythm of new chats, in the organisation's time zone."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pantau.demo.catalog import PAYDAY

# Relative arrivals per local hour on a weekday: quiet nights, peaks 9-12 and 14-17, a lunch dip, a busy evening.
HOURLY_LOAD = (
    0.15,
    0.08,
    0.05,
    0.04,
    0.05,
    0.12,
    0.30,
    0.60,
    1.20,
    2.20,
    2.60,
    2.40,
    1.50,
    1.70,
    2.30,
    2.50,
    2.20,
    1.40,
    1.00,
    1.10,
    1.00,
    0.80,
    0.50,
    0.30,
)
# Monday first: a Monday backlog, lighter weekends.
WEEKDAY_LOAD = (1.06, 1.0, 1.0, 0.98, 0.95, 0.62, 0.5)


def is_twin_date(day: date) -> bool:
    """9.9, 10.10, 11.11, 12.12: the marketplaces' flash-sale days."""
    return day.day == day.month and day.month >= 9


@dataclass(frozen=True)
class HourSlot:
    start: float  # epoch seconds
    end: float
    hour: int  # local hour of day
    load: float  # expected arrivals relative to an average weekday hour


class Calendar:
    """The demo period: `days` whole local days before today, then today up to `now`; nothing after `now`."""

    def __init__(self, now: datetime, zone: ZoneInfo, days: int, rng: random.Random) -> None:
        self.zone = zone
        self.now = now
        self.now_ts = now.timestamp()
        self.today = now.astimezone(zone).date()
        self.days = [self.today - timedelta(days=offset) for offset in range(days, -1, -1)]
        self.start_ts = self.midnight(self.days[0])
        # Some days are simply busier than others; paydays and flash sales more so.
        self._day_load = {day: self._calendar_load(day) * rng.uniform(0.88, 1.12) for day in self.days}

    def midnight(self, day: date) -> float:
        return self.local(day, 0)

    def local(self, day: date, hour: int, minute: int = 0) -> float:
        return datetime.combine(day, time(hour, minute), self.zone).timestamp()

    def local_time(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.zone)

    @staticmethod
    def _calendar_load(day: date) -> float:
        load = WEEKDAY_LOAD[day.weekday()]
        if PAYDAY <= day.day <= PAYDAY + 2:
            load *= 1.2
        if is_twin_date(day):
            load *= 1.35
        return load

    def hour_slots(self, day: date) -> Iterator[HourSlot]:
        """The day's local hours that have started by `now`; the current one ends at `now`."""
        day_load = self._day_load[day]
        for hour in range(24):
            start = self.local(day, hour)
            end = min(self.local(day, hour + 1) if hour < 23 else self.midnight(day + timedelta(days=1)), self.now_ts)
            if end > start:
                yield HourSlot(start, end, hour, HOURLY_LOAD[hour] * day_load)

    def total_load(self) -> float:
        """Σ load × hours over the period: divides a conversation target into a rate per unit of load."""
        return sum(slot.load * (slot.end - slot.start) / 3600 for day in self.days for slot in self.hour_slots(day))

    def load_at(self, ts: float) -> float:
        local = self.local_time(ts)
        return HOURLY_LOAD[local.hour] * self._day_load.get(local.date(), 1.0)


def arrivals(rng: random.Random, slots: Iterator[HourSlot], rate_per_load_hour: float) -> list[float]:
    """A Poisson process whose intensity follows the hourly load: the moments new chats arrive."""
    moments = []
    for slot in slots:
        rate = rate_per_load_hour * slot.load / 3600
        moment = slot.start + rng.expovariate(rate)
        while moment < slot.end:
            moments.append(moment)
            moment += rng.expovariate(rate)
    return moments


def at(ts: float) -> datetime:
    """An epoch instant as an aware UTC datetime (to the microsecond; `now` is a whole second, so never after it)."""
    return datetime.fromtimestamp(ts, UTC)
