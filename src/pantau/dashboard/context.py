"""What every section computes from: the caller's effective scope, the time window, the settings, `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from pantau.auth.scope import Scope
from pantau.core.config import Settings
from pantau.core.windows import Window, iso_local
from pantau.dashboard.schemas import RangeInfo


@dataclass(frozen=True)
class SectionContext:
    connection: Connection
    scope: Scope
    window: Window
    settings: Settings

    @property
    def now(self) -> datetime:
        return self.window.now

    @property
    def zone(self):
        return self.window.zone

    def range_info(self) -> RangeInfo:
        return RangeInfo(**self.window.describe())

    def local_iso(self, moment: datetime | None) -> str | None:
        return None if moment is None else iso_local(moment, self.window.zone)
