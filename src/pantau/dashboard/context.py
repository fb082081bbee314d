"""What every section computes from: the caller's effective scope, the time window, the settings, `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import Connection

from pantau.auth.scope import Scope
from pantau.core.business_time import BusinessCalendar
from pantau.core.config import Settings
from pantau.core.windows import Window, iso_local
from pantau.dashboard.schemas import OutdatedSnapshots, RangeInfo
from pantau.metrics.parts_source import PartsSource


@dataclass(frozen=True)
class SectionContext:
    connection: Connection
    scope: Scope
    window: Window
    settings: Settings
    # Off, every figure is computed from the raw tables; on, whole past buckets come from snapshots (same numbers).
    use_snapshots: bool = True

    @property
    def now(self) -> datetime:
        return self.window.now

    @property
    def zone(self):
        return self.window.zone

    @cached_property
    def parts(self) -> PartsSource:
        """The cohort's additive parts for this scope, from snapshots and a live edge."""
        return PartsSource(self.connection, self.scope, self.settings, self.now, self.use_snapshots)

    def outdated_snapshots(self) -> OutdatedSnapshots | None:
        """What the answer says when snapshots made under another SLA target were left aside (None if none were, or
        the section read no parts)."""
        parts: PartsSource | None = self.__dict__.get("parts")
        if parts is None or not (parts.outdated_targets or parts.outdated_business_hours):
            return None
        outdated_hours = parts.outdated_business_hours
        return OutdatedSnapshots(
            sla_target_seconds=self.settings.sla_first_response_seconds,
            snapshot_sla_target_seconds=sorted(parts.outdated_targets),
            business_hours=_hours_of(parts.calendar) if outdated_hours else None,
            snapshot_business_hours=sorted(_hours_of_key(key) for key in outdated_hours) if outdated_hours else None,
        )

    @property
    def calendar(self) -> BusinessCalendar | None:
        """The business hours and holidays the SLA counts in; None without business hours."""
        return self.settings.business_calendar

    def range_info(self) -> RangeInfo:
        return RangeInfo(**self.window.describe())

    def local_iso(self, moment: datetime | None) -> str | None:
        return None if moment is None else iso_local(moment, self.window.zone)


def _hours_of_key(key: str) -> str:
    """ "hours|holidays" of a calendar key ("" for none): the time zone is the one in force."""
    return "" if not key else key.split("|", 1)[1]


def _hours_of(calendar: BusinessCalendar | None) -> str:
    return "" if calendar is None else _hours_of_key(calendar.key)
