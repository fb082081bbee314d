"""Measuring the dashboard (SPEC §10): per section and range, a cache miss served from snapshots, the same range
computed live from the raw tables, and a cache hit through the whole HTTP stack; plus aggregation and backfill.

Misses are timed around the section's computation on its own connection (what a miss adds to a request); hits are
timed around a real request through the app (authentication, scope, cache read, response), with an owner's API
token. Every figure is a median (p50) and a 95th percentile over `repeat` runs.
"""

from __future__ import annotations

import logging
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from pantau.aggregation.jobs import backfill, run_aggregation
from pantau.auth.scope import Scope, resolve_scope
from pantau.auth.tokens import api_token_hash, issue_token
from pantau.core.config import Settings
from pantau.core.windows import local_date, resolve_window
from pantau.dashboard.context import SectionContext
from pantau.dashboard.router import SECTIONS
from pantau.models import ApiToken, Conversation, Message, User
from pantau.models.enums import Role, SnapshotType
from pantau.web.app import create_app


@dataclass(frozen=True)
class Timing:
    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Timing:
        ordered = sorted(seconds)
        p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
        return cls(statistics.median(ordered) * 1000, p95 * 1000)


@dataclass(frozen=True)
class SectionTiming:
    section: str
    range: str
    live: Timing
    snapshots: Timing
    cache_hit: Timing


@dataclass(frozen=True)
class BenchReport:
    database: str
    machine: str
    conversations: int
    messages: int
    backfill_seconds: float
    backfill_days: int
    hourly_run_seconds: float
    sections: list[SectionTiming]


def _timed(action: Callable[[], object], repeat: int) -> list[float]:
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
    return durations


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def _database(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version = connection.execute(text("SHOW server_version")).scalar_one().split(" ")[0]
            return f"PostgreSQL {version}"
        return "SQLite " + connection.execute(text("SELECT sqlite_version()")).scalar_one()


def _owner(engine: Engine) -> User:
    with Session(engine) as session:
        owner = session.scalars(select(User).where(User.role == Role.owner, User.is_active.is_(True))).first()
        if owner is None:
            raise RuntimeError("the database has no active owner; load demo data first (pantau demo)")
        session.expunge(owner)
        return owner


def _token_for(engine: Engine, owner: User) -> str:
    with Session(engine) as session, session.begin():
        return issue_token(session, session.get(User, owner.id), "pantau bench", datetime.now(UTC)).token


def _revoke(engine: Engine, token: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(ApiToken).where(ApiToken.token_hash == api_token_hash(token)).values(revoked_at=datetime.now(UTC))
        )


def run_bench(
    engine: Engine, settings: Settings, ranges: list[str], repeat: int, backfill_snapshots: bool
) -> BenchReport:
    with engine.connect() as connection:
        conversations = connection.execute(select(func.count()).select_from(Conversation)).scalar_one()
        messages = connection.execute(select(func.count()).select_from(Message)).scalar_one()
        first = connection.execute(select(func.min(Conversation.created_at))).scalar_one()
    if not conversations:
        raise RuntimeError("the database has no conversations; load demo data first (pantau demo --size M)")

    now = datetime.now(UTC)
    backfill_seconds, days = 0.0, 0
    if backfill_snapshots:
        first_day, last_day = local_date(first, settings.zone), local_date(now, settings.zone)
        days = (last_day - first_day).days + 1
        started = time.perf_counter()
        backfill(engine, settings, first_day, last_day, now=now)
        backfill_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run_aggregation(engine, settings, SnapshotType.hourly)
    hourly_seconds = time.perf_counter() - started

    owner = _owner(engine)
    scope = resolve_scope(owner)
    client = TestClient(create_app(settings=settings.model_copy(update={"cache_ttl_seconds": 3600}), engine=engine))
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line per request would drown the table
    token = _token_for(engine, owner)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        results = _measure_sections(engine, settings, scope, client, headers, ranges, repeat)
    finally:
        client.close()
        _revoke(engine, token)  # the owner's token lives only as long as the measurement
    return BenchReport(
        database=_database(engine),
        machine=_machine(),
        conversations=conversations,
        messages=messages,
        backfill_seconds=backfill_seconds,
        backfill_days=days,
        hourly_run_seconds=hourly_seconds,
        sections=results,
    )


def _measure_sections(
    engine: Engine,
    settings: Settings,
    scope: Scope,
    client: TestClient,
    headers: dict[str, str],
    ranges: list[str],
    repeat: int,
) -> list[SectionTiming]:
    results = []
    for name, section in SECTIONS.items():
        presets = [section.default_range if requested == "default" else requested for requested in ranges]
        if not section.ranged:
            presets = [section.default_range]
        for preset in dict.fromkeys(presets):  # in order, each once (a section's default may be 30d itself)

            def compute(use_snapshots: bool, preset=preset, section=section) -> None:
                with engine.connect() as connection:
                    window = resolve_window(now=datetime.now(UTC), zone=settings.zone, preset=preset)
                    section.compute(SectionContext(connection, scope, window, settings, use_snapshots=use_snapshots))

            live = _timed(lambda: compute(False), repeat)
            snapshots = _timed(lambda: compute(True), repeat)
            url = f"/api/dashboard/{name}?dateRange={preset}"
            client.get(url, headers=headers)  # fill the cache
            hits = _timed(lambda url=url: client.get(url, headers=headers), max(repeat, 20))
            results.append(SectionTiming(name, preset, Timing.of(live), Timing.of(snapshots), Timing.of(hits)))
    return results
