"""`pantau bench report`: how long the PDF summary takes on the configured database (SPEC §10 target for 90 days
on M: ≤ 3 s on 2 cores). Each run computes every figure afresh (no cache) for the whole organisation, then draws."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from pantau.auth.scope import Scope
from pantau.cache.dashboard_cache import DashboardCache
from pantau.cache.store import MemoryStore
from pantau.core.config import Settings
from pantau.core.windows import resolve_window
from pantau.models.enums import Role
from pantau.reports.figures import summary_figures
from pantau.reports.pdf import render_summary


@dataclass(frozen=True)
class ReportTiming:
    figures_seconds: float
    render_seconds: float
    pages: int
    size_bytes: int

    @property
    def total_seconds(self) -> float:
        return self.figures_seconds + self.render_seconds


def time_summary(engine: Engine, settings: Settings, preset: str, language: str) -> ReportTiming:
    now = datetime.now(UTC)
    window = resolve_window(now=now, zone=settings.zone, preset=preset)
    organisation = Scope(level="all", role=Role.owner, user_id="bench")
    uncached = DashboardCache(MemoryStore(), ttl_seconds=0, namespace="bench-report")
    started = time.perf_counter()
    with engine.connect() as connection:
        figures = summary_figures(connection, uncached, organisation, window, settings)
    computed = time.perf_counter()
    document = render_summary(figures, language, now)
    drawn = time.perf_counter()
    return ReportTiming(computed - started, drawn - computed, document.count(b"/Type /Page\n"), len(document))


def summarise(timings: list[ReportTiming]) -> dict[str, float]:
    totals = sorted(timing.total_seconds for timing in timings)
    return {
        "median": statistics.median(totals),
        "max": totals[-1],
        "figures_median": statistics.median(timing.figures_seconds for timing in timings),
        "render_median": statistics.median(timing.render_seconds for timing in timings),
    }
