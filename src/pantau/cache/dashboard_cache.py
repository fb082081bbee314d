"""The dashboard's read-through cache (SPEC §6).

- Key: section + normalised parameters + the caller's resolved scope (its `cache_key`: rows and phone masking, never
  just the user id) + time zone + the namespace versions (global and per section). Two callers with the same scope
  share an entry; callers of different scopes can never read each other's. The parts are hashed (SHA-256 of their
  canonical JSON), so no id can forge another key.
- Invalidation bumps a version: O(1), old entries simply stop being read and expire.
- Identical concurrent misses compute once: threads of this process wait for the first one; with Redis, other
  processes wait (briefly) for the holder of a short lock.
- A request never fails because of the cache: when the store errors or is slow, the answer is computed uncached, a
  warning is logged (at most once per `WARN_EVERY_SECONDS`), the error is counted, and the store is left alone for
  `BACKOFF_SECONDS` so a dead Redis does not add a timeout to every request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from prometheus_client import Counter

from pantau.cache.store import CacheStore, MemoryStore, RedisStore, StoreUnavailable
from pantau.core.config import Settings

log = logging.getLogger("pantau.cache")

BACKOFF_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0
# How long a process waits for another one computing the same entry before computing it itself.
FLIGHT_WAIT_SECONDS = 5.0
FLIGHT_POLL_SECONDS = 0.02

CacheOutcome = Literal["hit", "miss", "bypass"]

CACHE_REQUESTS = Counter(
    "pantau_cache_requests", "Dashboard answers by cache outcome (hit, miss, bypass = computed uncached)", ["outcome"]
)
CACHE_ERRORS = Counter("pantau_cache_errors", "Cache store operations that failed or timed out")


@dataclass(frozen=True)
class CacheKeyParts:
    section: str
    parameters: dict[str, str | None]
    scope_key: str
    timezone: str

    def digest(self) -> str:
        canonical = json.dumps(
            {"section": self.section, "parameters": self.parameters, "scope": self.scope_key, "tz": self.timezone},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


class DashboardCache:
    def __init__(self, store: CacheStore, ttl_seconds: float, namespace: str) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self.namespace = namespace
        self._unavailable_until = 0.0
        self._last_warning = 0.0
        self._flights: dict[str, threading.Event] = {}
        self._flights_guard = threading.Lock()

    @property
    def store_url(self) -> str | None:
        """The Redis the entries live in; None for this process's memory."""
        return self.store.url if isinstance(self.store, RedisStore) else None

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0

    def _store_failed(self, operation: str, exc: StoreUnavailable) -> None:
        CACHE_ERRORS.inc()
        now = time.monotonic()
        self._unavailable_until = now + BACKOFF_SECONDS
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            log.warning("cache store unavailable (%s during %s); answering uncached", exc, operation)

    def _usable(self) -> bool:
        return self.enabled and time.monotonic() >= self._unavailable_until

    def version_name(self, section: str | None) -> str:
        return f"{self.namespace}:version" + ("" if section is None else f":{section}")

    def _key(self, parts: CacheKeyParts) -> str:
        global_version, section_version = self.store.versions(
            [self.version_name(None), self.version_name(parts.section)]
        )
        return f"{self.namespace}:{global_version}.{section_version}:{parts.section}:{parts.digest()}"

    def fill(self, section: str, entries: list[tuple[CacheKeyParts, bytes]]) -> None:
        """Store answers of one section computed together (not through `read_through`), each under its own key, for
        the TTL, in two round trips to the store whatever their number. Never raises because of the store; a store
        that fails is left alone as `read_through` does."""
        if not entries or not self._usable():
            return
        try:
            versions = self.store.versions([self.version_name(None), self.version_name(section)])
        except StoreUnavailable as exc:
            self._store_failed("read", exc)
            return
        prefix = f"{self.namespace}:{versions[0]}.{versions[1]}:{section}"
        try:
            self.store.set_many({f"{prefix}:{parts.digest()}": value for parts, value in entries}, self.ttl_seconds)
        except StoreUnavailable as exc:
            self._store_failed("write", exc)

    def read_through(
        self, parts: CacheKeyParts, compute: Callable[[], bytes], fill: Callable[[], bytes] | None = None
    ) -> tuple[bytes, CacheOutcome]:
        """The cached answer, or `compute()`'s, stored for the TTL. Never raises because of the store.

        `fill`, when given, computes the answers that will be stored (`compute` those served uncached): the dashboard
        reads a stored answer only from a database that has every write the cache's version reflects
        (`pantau.core.replica`)."""
        if not self._usable():
            CACHE_REQUESTS.labels("bypass").inc()
            return compute(), "bypass"
        try:
            key = self._key(parts)
            cached = self.store.get(key)
        except StoreUnavailable as exc:
            self._store_failed("read", exc)
            CACHE_REQUESTS.labels("bypass").inc()
            return compute(), "bypass"
        if cached is not None:
            CACHE_REQUESTS.labels("hit").inc()
            return cached, "hit"
        value, outcome = self._single_flight(key, compute, fill or compute)
        CACHE_REQUESTS.labels(outcome).inc()
        return value, outcome

    async def epoch_and_entry(self, parts: CacheKeyParts, epoch_key: str) -> tuple[int, bytes | None] | None:
        """The credentials epoch (under `epoch_key`) and the stored answer for `parts`, in one round trip, without a
        worker thread: the hit path (`pantau.dashboard.router`). None when the store cannot do that (no Redis, or it
        failed lately) or did not answer in time: the full path then asks again, and decides whether Redis is down.

        A late answer here does not mark the store down: on the event loop the wait includes the time the loop spends
        on other requests, so under a burst a healthy Redis can seem late, and turning to computing every answer
        uncached is the worst answer to a busy moment. The full path's reads wait in their own threads and time Redis
        alone."""
        if not self._usable() or not isinstance(self.store, RedisStore):
            return None
        try:
            return await self.store.epoch_and_entry(
                epoch_key,
                [self.version_name(None), self.version_name(parts.section)],
                self.namespace,
                parts.section,
                parts.digest(),
            )
        except StoreUnavailable:
            return None

    def _single_flight(
        self, key: str, compute: Callable[[], bytes], fill: Callable[[], bytes]
    ) -> tuple[bytes, CacheOutcome]:
        with self._flights_guard:
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = threading.Event()
        if not leader:
            flight.wait(FLIGHT_WAIT_SECONDS)
            value = self._get_quietly(key)
            return (value, "hit") if value is not None else (compute(), "miss")
        try:
            return self._compute_once_across_processes(key, compute, fill)
        finally:
            with self._flights_guard:
                self._flights.pop(key, None)
            flight.set()

    def _compute_once_across_processes(
        self, key: str, compute: Callable[[], bytes], fill: Callable[[], bytes]
    ) -> tuple[bytes, CacheOutcome]:
        lock = f"{key}:lock"
        try:
            holder = self.store.acquire(lock, FLIGHT_WAIT_SECONDS)
        except StoreUnavailable as exc:
            self._store_failed("lock", exc)
            return compute(), "bypass"
        if not holder:
            deadline = time.monotonic() + FLIGHT_WAIT_SECONDS
            while time.monotonic() < deadline:
                time.sleep(FLIGHT_POLL_SECONDS)
                value = self._get_quietly(key)
                if value is not None:
                    return value, "hit"
        try:
            value = fill()
            self._set_quietly(key, value)
        finally:
            # Released even when the computation fails, so the next identical request does not wait in vain.
            if holder:
                self._release_quietly(lock)
        return value, "miss"

    def _set_quietly(self, key: str, value: bytes) -> None:
        try:
            self.store.set(key, value, self.ttl_seconds)
        except StoreUnavailable as exc:
            self._store_failed("write", exc)

    def _release_quietly(self, lock: str) -> None:
        try:
            self.store.release(lock)
        except StoreUnavailable as exc:
            self._store_failed("release", exc)

    def _get_quietly(self, key: str) -> bytes | None:
        try:
            return self.store.get(key)
        except StoreUnavailable as exc:
            self._store_failed("read", exc)
            return None

    async def aclose(self) -> None:
        """Close the hit path's Redis connections of the running event loop (at the server's end)."""
        if isinstance(self.store, RedisStore):
            await self.store.aclose()

    def invalidate(self, section: str | None = None) -> None:
        """Bump the global version (every section) or one section's; raises StoreUnavailable if the store is down."""
        self.store.bump(self.version_name(section))


def build_cache(settings: Settings) -> DashboardCache:
    store: CacheStore
    if settings.redis_url:
        store = RedisStore(settings.redis_url, settings.cache_redis_timeout_ms / 1000)
    else:
        store = MemoryStore()
    return DashboardCache(store, settings.cache_ttl_seconds, settings.cache_namespace)


_process_cache: DashboardCache | None = None
_process_cache_guard = threading.Lock()


def process_cache(settings: Settings) -> DashboardCache:
    """The cache for code outside a request (CLI, jobs): built once per process from the settings."""
    global _process_cache
    with _process_cache_guard:
        if _process_cache is None:
            _process_cache = build_cache(settings)
        return _process_cache


def invalidate_dashboard_cache(cache: DashboardCache | None = None) -> None:
    """Invalidate every cached dashboard answer (SPEC §6)."""
    from pantau.core.config import get_settings

    (cache or process_cache(get_settings())).invalidate()


def invalidate_section_cache(section: str, cache: DashboardCache | None = None) -> None:
    """Invalidate one section's cached answers (SPEC §6)."""
    from pantau.core.config import get_settings

    (cache or process_cache(get_settings())).invalidate(section)
