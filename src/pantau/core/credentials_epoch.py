"""The credentials epoch: a counter in Redis that goes up whenever a process writes to users, sessions or tokens in a
way that may change a credential (see `pantau.core.database`). Processes that remember callers briefly trust an
entry only while the epoch they read before looking it up stands (`pantau.auth.credential_cache`)."""

from __future__ import annotations

import logging
import threading

import redis

log = logging.getLogger("pantau.auth")

# How long a remembered caller is trusted at most, whatever the epoch: the bound for a change made where no process
# could announce it (by hand in the database, or while Redis did not answer).
REMEMBER_SECONDS = 10.0

_clients: dict[str, redis.Redis] = {}
_clients_guard = threading.Lock()


def epoch_key(namespace: str) -> str:
    return f"{namespace}:credentials-epoch"


def _client(url: str) -> redis.Redis:
    """A client per Redis, kept for the process (a bulk write to users announces once per statement)."""
    with _clients_guard:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return _clients[url]


def bump_epoch(url: str, namespace: str) -> None:
    """Raise the epoch in one Redis; never raises (logged: others then notice within REMEMBER_SECONDS)."""
    try:
        _client(url).incr(epoch_key(namespace))
    except (redis.RedisError, OSError) as exc:
        log.warning(
            "could not announce a credential change through Redis (%s); other processes notice it within %g s",
            type(exc).__name__,
            REMEMBER_SECONDS,
        )


def bump_configured_epoch() -> None:
    """Raise the epoch in the Redis this process is configured with (REDIS_URL), if any."""
    from pantau.core.config import get_settings

    try:
        settings = get_settings()
    except Exception:  # noqa: BLE001 - a process without valid settings has no configured Redis to tell
        return
    if settings.redis_url:
        bump_epoch(settings.redis_url, settings.cache_namespace)
