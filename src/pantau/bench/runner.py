"""Measuring the dashboard (SPEC §10): per section and range, a cache miss served from snapshots, the same range
computed live from the raw tables, and a cache hit through the whole HTTP stack; 50 dashboard users at once; the
web worker's memory; plus aggregation and backfill.

Misses are timed around the section's computation on its own connection (what a miss adds to a request). Hits and
concurrent users go to a real server: `pantau serve` started as a separate process (one worker, the same settings,
a cache TTL long enough to outlast the measurement), reached over keep-alive HTTP with an owner's API token, so a
hit is timed around a real request (authentication, scope, cache read, response) and the worker's peak memory is
read from the operating system. Every figure is a median (p50) and a 95th percentile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from pantau.aggregation.jobs import backfill, backfill_weeks, run_aggregation
from pantau.auth.scope import Scope, resolve_scope
from pantau.auth.tokens import api_token_hash, issue_token
from pantau.core import clock
from pantau.core.config import Settings
from pantau.core.windows import local_date, resolve_window
from pantau.dashboard.context import SectionContext
from pantau.dashboard.router import SECTIONS
from pantau.models import ApiToken, Conversation, Message, User
from pantau.models.enums import Role, SnapshotType

# What one dashboard user's page asks for on each load (SPEC §5 sections with their default ranges, and the filters).
PAGE_REQUESTS = [f"/api/dashboard/{name}" for name in SECTIONS] + ["/api/dashboard/filters"]
CONCURRENT_USERS = 50
# The page refreshes every 30 s (docs/dashboard.md); a browser opens up to 6 connections to one host.
REFRESH_SECONDS = 30.0
BROWSER_CONNECTIONS = 6


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
class ConcurrentTiming:
    """Per-request timings of CONCURRENT_USERS dashboard users, with the page's answers in the cache."""

    users: int
    refreshes: int
    steady: Timing  # each user's page refreshing on its own 30-second clock, the users' clocks spread over 30 s
    steady_requests: int
    burst: Timing  # every user opening the page at the same instant
    burst_requests: int


@dataclass(frozen=True)
class BenchReport:
    database: str
    machine: str
    conversations: int
    messages: int
    backfill_seconds: float
    backfill_days: int
    hourly_run: Timing  # `repeat` hourly runs one after another, each a real run that commits
    sections: list[SectionTiming]
    concurrent: ConcurrentTiming
    floor: FloorTiming
    refresh_seconds: float
    worker_peak_mb: float | None


# Told (stage, done, total) as the measurement goes, for a progress display; total None: not known.
OnProgress = Callable[[str, int, int | None], None]


def _untold(stage: str, done: int, total: int | None) -> None:
    """No progress display."""


def _timed(action: Callable[[], object], repeat: int, on_each: Callable[[int], None] | None = None) -> list[float]:
    durations = []
    for done in range(1, repeat + 1):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
        if on_each is not None:
            on_each(done)
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
        return issue_token(session, session.get(User, owner.id), "pantau bench", clock.now()).token


def _revoke(engine: Engine, token: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(ApiToken).where(ApiToken.token_hash == api_token_hash(token)).values(revoked_at=clock.now())
        )


def run_bench(
    engine: Engine,
    settings: Settings,
    ranges: list[str],
    repeat: int,
    backfill_snapshots: bool,
    refreshes: int = 2,
    refresh_seconds: float = REFRESH_SECONDS,
    on_progress: OnProgress = _untold,
) -> BenchReport:
    with engine.connect() as connection:
        conversations = connection.execute(select(func.count()).select_from(Conversation)).scalar_one()
        messages = connection.execute(select(func.count()).select_from(Message)).scalar_one()
        first = connection.execute(select(func.min(Conversation.created_at))).scalar_one()
    if not conversations:
        raise RuntimeError("the database has no conversations; load demo data first (pantau demo --size M)")

    now = clock.now()
    backfill_seconds, days = 0.0, 0
    if backfill_snapshots:
        first_day, last_day = local_date(first, settings.zone), local_date(now, settings.zone)
        days = (last_day - first_day).days + 1
        weeks = len([week for week in backfill_weeks(first_day, last_day, settings) if week[0] < now])
        built = iter(range(1, weeks + 1))
        on_progress("backfill weeks", 0, weeks)
        started = time.perf_counter()
        backfill(
            engine,
            settings,
            first_day,
            last_day,
            now=now,
            on_week_done=lambda _: on_progress("backfill weeks", next(built), weeks),
        )
        backfill_seconds = time.perf_counter() - started
    on_progress("hourly runs", 0, repeat)
    hourly_run = Timing.of(
        _timed(
            lambda: run_aggregation(engine, settings, SnapshotType.hourly),
            repeat,
            lambda done: on_progress("hourly runs", done, repeat),
        )
    )

    owner = _owner(engine)
    scope = resolve_scope(owner)
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line per request would drown the table
    token = _token_for(engine, owner)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with served(settings) as (base_url, pid), httpx2.Client(base_url=base_url, headers=headers) as client:
            results = _measure_sections(engine, settings, scope, client, ranges, repeat, on_progress)
            on_progress("cache hit against its floor", 0, None)
            floor = measure_floor(client, settings, max(repeat * 20, 100))
            concurrent = asyncio.run(_concurrent_users(base_url, headers, refreshes, refresh_seconds, on_progress))
            peak_mb = _peak_memory_mb(pid)
    finally:
        _revoke(engine, token)  # the owner's token lives only as long as the measurement
    return BenchReport(
        database=_database(engine),
        machine=_machine(),
        conversations=conversations,
        messages=messages,
        backfill_seconds=backfill_seconds,
        backfill_days=days,
        hourly_run=hourly_run,
        sections=results,
        concurrent=concurrent,
        floor=floor,
        refresh_seconds=refresh_seconds,
        worker_peak_mb=peak_mb,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(
    settings: Settings, extra_env: dict[str, str] | None = None, workers: int | None = None
) -> Iterator[tuple[str, int]]:
    """`pantau serve` in its own process on a free local port, with these settings (and `extra_env`), with `serve`'s
    default number of workers unless `workers` says otherwise; yields (base URL, pid)."""
    port = free_port()
    environment = {
        **os.environ,
        "ENVIRONMENT": settings.environment,
        "SECRET_KEY": settings.secret_key,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "TIMEZONE": settings.timezone,
        "CACHE_NAMESPACE": settings.cache_namespace,
        "CACHE_TTL_SECONDS": "3600",
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "pantau", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile(mode="w+") as log:  # a file, not a pipe: a full pipe would stall the server
        server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, text=True)

        def server_log() -> str:
            log.seek(0)
            return log.read()[-4000:].strip()

        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"the server for the benchmark did not start:\n{server_log()}")
                try:
                    if httpx2.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server for the benchmark did not answer /healthz within 60 s")
                time.sleep(0.2)
            try:
                yield base_url, server.pid
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}; the server's last log lines:\n{server_log()}") from exc
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _peak_memory_mb(pid: int) -> float | None:
    """The process's peak resident memory (VmHWM), where the operating system tells it."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _load_page(client: httpx2.AsyncClient, durations: list[float]) -> None:
    """One page load: every section with its default range and the filters, in parallel as a browser asks."""

    async def one(url: str) -> None:
        started = time.perf_counter()
        response = await client.get(url)
        durations.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code} under load")

    await asyncio.gather(*(one(url) for url in PAGE_REQUESTS))


async def _concurrent_users(
    base_url: str,
    headers: dict[str, str],
    refreshes: int,
    refresh_seconds: float = REFRESH_SECONDS,
    on_progress: OnProgress = _untold,
) -> ConcurrentTiming:
    """CONCURRENT_USERS users, each a browser of its own (BROWSER_CONNECTIONS connections), the answers cached by
    one page load before. Steady: each user loads the page `refreshes` times, every `refresh_seconds`, starting at
    an offset of its own spread evenly over the first interval (50 open dashboards). Burst: all of them load the
    page at the same instant (everyone opening it as the shift starts)."""
    limits = httpx2.Limits(max_connections=BROWSER_CONNECTIONS)

    def browser() -> httpx2.AsyncClient:
        return httpx2.AsyncClient(base_url=base_url, headers=headers, timeout=120, limits=limits)

    async with browser() as client:
        await _load_page(client, [])  # fill the cache

    steady: list[float] = []
    steady_stage = f"page loads, {CONCURRENT_USERS} users refreshing"
    loads = CONCURRENT_USERS * refreshes
    loaded = iter(range(1, loads + 1))
    on_progress(steady_stage, 0, loads)

    async def user(index: int) -> None:
        async with browser() as client:
            await asyncio.sleep(refresh_seconds * index / CONCURRENT_USERS)
            for _ in range(refreshes):
                started = time.perf_counter()
                await _load_page(client, steady)
                on_progress(steady_stage, next(loaded), loads)
                await asyncio.sleep(max(0.0, refresh_seconds - (time.perf_counter() - started)))

    await asyncio.gather(*(user(index) for index in range(CONCURRENT_USERS)))

    burst: list[float] = []
    burst_stage = f"page loads, {CONCURRENT_USERS} users at once"
    opened = iter(range(1, CONCURRENT_USERS + 1))
    on_progress(burst_stage, 0, CONCURRENT_USERS)

    async def open_page(client: httpx2.AsyncClient) -> None:
        await _load_page(client, burst)
        on_progress(burst_stage, next(opened), CONCURRENT_USERS)

    clients = [browser() for _ in range(CONCURRENT_USERS)]
    try:
        await asyncio.gather(*(open_page(client) for client in clients))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return ConcurrentTiming(
        users=CONCURRENT_USERS,
        refreshes=refreshes,
        steady=Timing.of(steady),
        steady_requests=len(steady),
        burst=Timing.of(burst),
        burst_requests=len(burst),
    )


FLOOR_SECTION = "kpi"
FLOOR_KEY_SUFFIX = "bench-floor"


@dataclass(frozen=True)
class FloorTiming:
    """A cached section against its floor, measured side by side (one of each in turn, `rounds` times): the floor is
    `/healthz` (the framework's least answer, over the same HTTP connection) plus one Redis GET of as many bytes as
    the section's answer (what a hit cannot do without)."""

    section: str
    healthz: Timing
    redis_get: Timing | None  # None without REDIS_URL: the floor is /healthz alone
    hit: Timing
    rounds: int

    @property
    def floor_ms(self) -> float:
        return self.healthz.p50_ms + (self.redis_get.p50_ms if self.redis_get else 0.0)

    @property
    def ratio(self) -> float:
        return self.hit.p50_ms / self.floor_ms if self.floor_ms else float("nan")


def measure_floor(client: httpx2.Client, settings: Settings, rounds: int) -> FloorTiming:
    """`/healthz`, one Redis GET and a cache hit of FLOOR_SECTION, in turn, `rounds` times (so that a busy moment of
    the machine weighs on all three alike)."""
    import redis

    url = f"/api/dashboard/{FLOOR_SECTION}"
    body = client.get(url, timeout=600).raise_for_status().content  # fill the cache
    store = redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
    key = f"{settings.cache_namespace}:{FLOOR_KEY_SUFFIX}"
    healthz: list[float] = []
    gets: list[float] = []
    hits: list[float] = []
    try:
        if store is not None:
            store.set(key, body, px=600_000)
        for _ in range(rounds):
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            healthz.append(time.perf_counter() - started)
            if store is not None:
                started = time.perf_counter()
                if store.get(key) is None:
                    raise RuntimeError("the floor's Redis entry vanished during the measurement")
                gets.append(time.perf_counter() - started)
            started = time.perf_counter()
            response = client.get(url)
            hits.append(time.perf_counter() - started)
            if response.headers.get("X-Cache") != "hit":
                raise RuntimeError(f"{url} was not served from the cache ({response.headers.get('X-Cache')})")
    finally:
        if store is not None:
            store.delete(key)
            store.close()
    return FloorTiming(
        section=FLOOR_SECTION,
        healthz=Timing.of(healthz),
        redis_get=Timing.of(gets) if gets else None,
        hit=Timing.of(hits),
        rounds=rounds,
    )


@dataclass(frozen=True)
class HitsReport:
    """`pantau bench hits`: a cache hit against its floor, and every manager opening the page at once."""

    database: str
    machine: str
    workers: int | None  # None: `pantau serve`'s default
    floor: FloorTiming
    burst: Timing
    burst_requests: int
    users: int


def run_hits_bench(
    engine: Engine, settings: Settings, rounds: int, workers: int | None, users: int = CONCURRENT_USERS
) -> HitsReport:
    """The floor measurement and `users` users opening the page at the same instant (each a browser of its own,
    the page's answers cached by one load before), against `pantau serve` with its defaults (or `workers`)."""
    owner = _owner(engine)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    token = _token_for(engine, owner)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with (
            served(settings, workers=workers) as (base_url, _),
            httpx2.Client(base_url=base_url, headers=headers) as client,
        ):
            floor = measure_floor(client, settings, rounds)
            burst = asyncio.run(_burst(base_url, headers, users))
    finally:
        _revoke(engine, token)
    return HitsReport(
        database=_database(engine),
        machine=_machine(),
        workers=workers,
        floor=floor,
        burst=Timing.of(burst),
        burst_requests=len(burst),
        users=users,
    )


async def _burst(base_url: str, headers: dict[str, str], users: int) -> list[float]:
    """Every user's page load at the same instant, after one load that fills the cache: each request's duration."""
    limits = httpx2.Limits(max_connections=BROWSER_CONNECTIONS)
    clients = [httpx2.AsyncClient(base_url=base_url, headers=headers, timeout=120, limits=limits) for _ in range(users)]
    try:
        await _load_page(clients[0], [])
        durations: list[float] = []
        await asyncio.gather(*(_load_page(client, durations) for client in clients))
        return durations
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def _measure_sections(
    engine: Engine,
    settings: Settings,
    scope: Scope,
    client: httpx2.Client,
    ranges: list[str],
    repeat: int,
    on_progress: OnProgress = _untold,
) -> list[SectionTiming]:
    results = []
    measured = _section_ranges(ranges)
    on_progress("sections and ranges measured", 0, len(measured))
    for name, preset in measured:
        section = SECTIONS[name]

        def compute(use_snapshots: bool, preset=preset, section=section) -> None:
            with engine.connect() as connection:
                window = resolve_window(now=clock.now(), zone=settings.zone, preset=preset)
                section.compute(SectionContext(connection, scope, window, settings, use_snapshots=use_snapshots))

        live = _timed(lambda: compute(False), repeat)
        snapshots = _timed(lambda: compute(True), repeat)
        url = f"/api/dashboard/{name}?dateRange={preset}"
        client.get(url, timeout=600).raise_for_status()  # fill the cache

        def hit(url=url) -> None:
            response = client.get(url)
            if response.headers.get("X-Cache") != "hit":
                raise RuntimeError(f"{url} was not served from the cache ({response.headers.get('X-Cache')})")

        hits = _timed(hit, max(repeat, 50))
        results.append(SectionTiming(name, preset, Timing.of(live), Timing.of(snapshots), Timing.of(hits)))
        on_progress("sections and ranges measured", len(results), len(measured))
    return results


def _section_ranges(ranges: list[str]) -> list[tuple[str, str]]:
    """Each section with each range asked for (`default`: its own), in order, each once (a section's default may
    be 30d itself); a section without ranges with its default only."""
    measured = []
    for name, section in SECTIONS.items():
        presets = [section.default_range if requested == "default" else requested for requested in ranges]
        if not section.ranged:
            presets = [section.default_range]
        measured += [(name, preset) for preset in dict.fromkeys(presets)]
    return measured
