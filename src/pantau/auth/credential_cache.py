"""Who a credential names, remembered briefly in this process, so that a request does not look its session or token
up in the database every time (docs/decisions.md, "Credentials remembered for a few seconds").

An entry is the caller a session cookie or an API token named when it was last looked up, stored under the
credential's hash (never the credential itself), with the credentials epoch read before that lookup. The epoch is a
counter in Redis that every process bumps whenever it writes to users, sessions or tokens in a way that may change a
credential (sign-out, a revoked token, a deactivated user, a new role or team: `pantau.core.database` watches the
statements); a request reads it first and trusts only entries of the epoch it reads. So a sign-out or a revocation
takes effect at once in every process that shares the Redis. Besides, an entry is kept at most `REMEMBER_SECONDS`
(and never past its session's expiry): a change made behind Pantau's back (by hand in the database) takes effect
within that bound.

The business settings in force (SPEC §8.5) are remembered on the same terms: any write to them bumps the same epoch.

Without Redis nothing is remembered: another process (`pantau token revoke`) could not tell this one. When Redis
does not answer, the request looks the credential up in the database as before.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from datetime import datetime
from typing import Generic, Literal, TypeVar

import redis

from pantau.core import clock
from pantau.core.config import Settings, get_settings
from pantau.core.credentials_epoch import REMEMBER_SECONDS, bump_epoch, epoch_key
from pantau.core.database import on_credentials_changed

log = logging.getLogger("pantau.auth")

MAX_ENTRIES = 10_000
# After Redis failed to answer, it is left alone this long (credentials are then looked up in the database).
BACKOFF_SECONDS = 5.0

CredentialKind = Literal["session", "token"]
Caller = TypeVar("Caller")


class CredentialCache(Generic[Caller]):
    """The callers of recently seen credentials, valid for one credentials epoch and at most `REMEMBER_SECONDS`."""

    def __init__(self, redis_url: str, namespace: str, timeout_seconds: float) -> None:
        self.redis_url = redis_url
        self.namespace = namespace
        self._client = redis.Redis.from_url(
            redis_url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds, retry_on_timeout=False
        )
        self._entries: dict[tuple[CredentialKind, str], tuple[int, float, datetime | None, Caller]] = {}
        self._guard = threading.Lock()
        self._unavailable_until = 0.0
        self._settings: tuple[int, float, Settings] | None = None
        _caches.add(self)

    def epoch(self) -> int | None:
        """The credentials epoch now, or None when Redis does not answer (then nothing is remembered or trusted)."""
        if time.monotonic() < self._unavailable_until:
            return None
        try:
            return int(self._client.get(epoch_key(self.namespace)) or 0)
        except (redis.RedisError, OSError, ValueError) as exc:
            self._unavailable_until = time.monotonic() + BACKOFF_SECONDS
            log.warning(
                "credentials epoch unavailable (%s); looking credentials up in the database", type(exc).__name__
            )
            return None

    def get(self, kind: CredentialKind, digest: str, epoch: int) -> Caller | None:
        found = self.peek(kind, digest)
        return found[1] if found is not None and found[0] == epoch else None

    def peek(self, kind: CredentialKind, digest: str) -> tuple[int, Caller] | None:
        """The caller remembered for the credential and the epoch it was looked up in, whatever the epoch now (the
        hit path reads the epoch afterwards, with the answer, and trusts the caller only if it still stands)."""
        if time.monotonic() < self._unavailable_until:
            return None
        with self._guard:
            entry = self._entries.get((kind, digest))
        if entry is None:
            return None
        entry_epoch, expires, session_expires, caller = entry
        if time.monotonic() >= expires:
            return None
        if session_expires is not None and session_expires <= clock.now():
            return None
        return entry_epoch, caller

    def remember(
        self, kind: CredentialKind, digest: str, epoch: int, caller: Caller, session_expires: datetime | None = None
    ) -> None:
        """Keep `caller` for the credential whose hash is `digest`, as looked up in `epoch` (read before the lookup)."""
        expires = time.monotonic() + REMEMBER_SECONDS
        with self._guard:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[(kind, digest)] = (epoch, expires, session_expires, caller)

    def settings(self, epoch: int) -> Settings | None:
        """The settings in force as last read in `epoch`, if read less than `REMEMBER_SECONDS` ago."""
        found = self.peek_settings()
        return found[1] if found is not None and found[0] == epoch else None

    def peek_settings(self) -> tuple[int, Settings] | None:
        """The settings in force as last read, and the epoch they were read in (if read less than `REMEMBER_SECONDS`
        ago), whatever the epoch now."""
        remembered = self._settings
        if remembered is None or time.monotonic() >= remembered[1] or time.monotonic() < self._unavailable_until:
            return None
        return remembered[0], remembered[2]

    def remember_settings(self, epoch: int, settings: Settings) -> None:
        """Keep the settings in force as read in `epoch` (read before the settings were)."""
        self._settings = (epoch, time.monotonic() + REMEMBER_SECONDS, settings)

    def forget_all(self) -> None:
        with self._guard:
            self._entries.clear()
            self._settings = None

    def close(self) -> None:
        self._client.close()


_caches: weakref.WeakSet[CredentialCache] = weakref.WeakSet()


def build_credential_cache(settings: Settings) -> CredentialCache | None:
    """The cache for a server process: None without Redis (nothing remembered)."""
    if not settings.redis_url:
        return None
    return CredentialCache(settings.redis_url, settings.cache_namespace, settings.cache_redis_timeout_ms / 1000)


def forget_and_announce() -> None:
    """A credential changed in this process: every cache here forgets its entries, and raises the epoch in its Redis
    when that is not the configured one (which `pantau.core.database` has told already)."""
    try:
        settings = get_settings()
        configured = (settings.redis_url, settings.cache_namespace)
    except Exception:  # noqa: BLE001 - no valid settings: no configured Redis was told
        configured = None
    places = set()
    for cache in list(_caches):
        cache.forget_all()
        places.add((cache.redis_url, cache.namespace))
    for url, namespace in places - {configured}:
        bump_epoch(url, namespace)


on_credentials_changed(forget_and_announce)
