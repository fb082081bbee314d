"""Where cached answers live: Redis when `REDIS_URL` is set (shared by every replica), else this process's memory.

Both stores speak the same small vocabulary: versions (counters whose bump invalidates in O(1), never `KEYS`),
values with a TTL, and short locks for single flight across processes. A Redis store raises `StoreUnavailable` on any
trouble; the caller answers uncached.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from typing import Protocol

import redis
import redis.asyncio
from redis.commands.core import AsyncScript


class StoreUnavailable(Exception):
    """The cache store did not answer in time or at all."""


class CacheStore(Protocol):
    def versions(self, names: list[str]) -> list[int]: ...

    def bump(self, name: str) -> int: ...

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    def set_many(self, values: dict[str, bytes], ttl_seconds: float) -> None: ...

    def acquire(self, key: str, ttl_seconds: float) -> bool: ...

    def release(self, key: str) -> None: ...


class MemoryStore:
    """A TTL dictionary for one process (SQLite mode and deployments without Redis)."""

    def __init__(self, max_entries: int = 2048) -> None:
        self._values: dict[str, tuple[float, bytes]] = {}
        self._versions: dict[str, int] = {}
        self._locks: dict[str, float] = {}
        self._guard = threading.Lock()
        self._max_entries = max_entries

    def versions(self, names: list[str]) -> list[int]:
        with self._guard:
            return [self._versions.get(name, 0) for name in names]

    def bump(self, name: str) -> int:
        with self._guard:
            self._versions[name] = self._versions.get(name, 0) + 1
            return self._versions[name]

    def get(self, key: str) -> bytes | None:
        with self._guard:
            entry = self._values.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= time.monotonic():
                del self._values[key]
                return None
            return value

    def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        now = time.monotonic()
        with self._guard:
            if len(self._values) >= self._max_entries:
                self._evict(now)
            self._values[key] = (now + ttl_seconds, value)

    def set_many(self, values: dict[str, bytes], ttl_seconds: float) -> None:
        for key, value in values.items():
            self.set(key, value, ttl_seconds)

    def _evict(self, now: float) -> None:
        """Drop expired entries; if that frees nothing, the oldest-expiring tenth."""
        for key in [key for key, (expires, _) in self._values.items() if expires <= now]:
            del self._values[key]
        if len(self._values) >= self._max_entries:
            by_expiry = sorted(self._values, key=lambda key: self._values[key][0])
            for key in by_expiry[: max(1, self._max_entries // 10)]:
                del self._values[key]

    def acquire(self, key: str, ttl_seconds: float) -> bool:
        now = time.monotonic()
        with self._guard:
            if self._locks.get(key, 0) > now:
                return False
            self._locks[key] = now + ttl_seconds
            return True

    def release(self, key: str) -> None:
        with self._guard:
            self._locks.pop(key, None)


# One round trip for a cached answer: the credentials epoch, then the entry under the versions in force. The entry's
# key is built here as `DashboardCache._key` builds it: namespace:global.section:section:digest.
_EPOCH_AND_ENTRY = """
local epoch = redis.call('GET', KEYS[1])
local versions = redis.call('MGET', KEYS[2], KEYS[3])
local key = ARGV[1] .. ':' .. (versions[1] or '0') .. '.' .. (versions[2] or '0') .. ':' .. ARGV[2] .. ':' .. ARGV[3]
return {epoch or false, redis.call('GET', key) or false}
"""


# The hit path's Redis calls in flight per event loop: a burst of hits queues for these (the wait is not counted
# against the timeout) instead of opening a connection per request in flight.
HIT_PATH_CONNECTIONS = 16


class RedisStore:
    """Redis with short timeouts: a slow or absent Redis must cost a request milliseconds, not seconds."""

    def __init__(self, url: str, timeout_seconds: float) -> None:
        self.url = url
        self._timeout_seconds = timeout_seconds
        # Asynchronous clients for the hit path, one per event loop (a connection belongs to the loop that opened it).
        self._async_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[redis.asyncio.Redis, AsyncScript, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry_on_timeout=False,
            health_check_interval=30,
        )

    def _call(self, operation, *args, **kwargs):
        try:
            return operation(*args, **kwargs)
        except (redis.RedisError, OSError) as exc:
            raise StoreUnavailable(type(exc).__name__) from None

    def versions(self, names: list[str]) -> list[int]:
        return [int(value or 0) for value in self._call(self._client.mget, names)]

    def bump(self, name: str) -> int:
        return int(self._call(self._client.incr, name))

    def get(self, key: str) -> bytes | None:
        return self._call(self._client.get, key)

    def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        self._call(self._client.set, key, value, px=max(1, int(ttl_seconds * 1000)))

    def set_many(self, values: dict[str, bytes], ttl_seconds: float) -> None:
        """Every entry in one round trip (a pipeline, not a transaction)."""
        pipeline = self._client.pipeline(transaction=False)
        for key, value in values.items():
            pipeline.set(key, value, px=max(1, int(ttl_seconds * 1000)))
        self._call(pipeline.execute)

    def acquire(self, key: str, ttl_seconds: float) -> bool:
        return bool(self._call(self._client.set, key, b"1", nx=True, px=max(1, int(ttl_seconds * 1000))))

    def release(self, key: str) -> None:
        self._call(self._client.delete, key)

    def close(self) -> None:
        self._client.close()

    def _hit_path(self) -> tuple[redis.asyncio.Redis, AsyncScript, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        found = self._async_clients.get(loop)
        if found is None:
            client = redis.asyncio.Redis.from_url(
                self.url,
                socket_timeout=self._timeout_seconds,
                socket_connect_timeout=self._timeout_seconds,
                retry_on_timeout=False,
                health_check_interval=30,
            )
            found = self._async_clients[loop] = (
                client,
                client.register_script(_EPOCH_AND_ENTRY),
                asyncio.Semaphore(HIT_PATH_CONNECTIONS),
            )
        return found

    async def epoch_and_entry(
        self, epoch_key: str, version_names: list[str], namespace: str, section: str, digest: str
    ) -> tuple[int, bytes | None]:
        """The credentials epoch and the entry for `digest` under the versions in force, read in one round trip (one
        script: nothing can change between the reads); raises StoreUnavailable."""
        try:
            _, script, slots = self._hit_path()
            async with slots:
                epoch, value = await script(keys=[epoch_key, *version_names], args=[namespace, section, digest])
            return int(epoch or 0), value
        except (redis.RedisError, OSError, ValueError) as exc:
            raise StoreUnavailable(type(exc).__name__) from None

    async def aclose(self) -> None:
        """Close this event loop's asynchronous client, if it has one."""
        found = self._async_clients.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].aclose()
