"""How a change reaches every server process: in-process without Redis, through Redis pub/sub with it.

`publish` may be called from any thread (a request's worker thread, the event loop, a job); listeners are called
with each change, on the publishing thread (in-process) or on the bus's listener thread (Redis), and must hand the
change to their own loop themselves.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

import redis

from pantau.core.config import Settings
from pantau.realtime.changes import Change

log = logging.getLogger("pantau.realtime")

Listener = Callable[[Change], None]


class LocalBus:
    """One process: what is published here reaches this process's listeners, and nobody else."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._guard = threading.Lock()

    @property
    def degraded(self) -> bool:
        """True while changes from other processes may be missed (never, for one process)."""
        return False

    def start(self) -> None:
        """Nothing to start in one process."""

    def listen(self, listener: Listener) -> None:
        with self._guard:
            self._listeners.append(listener)

    def publish(self, change: Change) -> None:
        self._deliver(change)

    def _deliver(self, change: Change) -> None:
        with self._guard:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                log.exception("a realtime listener failed on a change")

    def close(self) -> None:
        with self._guard:
            self._listeners.clear()


LISTEN_POLL_SECONDS = 1.0
# A publish is off the request's path (its own thread), so it may wait longer than a cache read.
PUBLISH_TIMEOUT_SECONDS = 1.0
RECONNECT_FIRST_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 5.0


class RedisBus(LocalBus):
    """Every process: a change is published on the Redis channel, and each process's listener thread hands what it
    hears (its own changes among them) to its listeners.

    When Redis is away the bus is `degraded`: a change published here still reaches this process's listeners, the
    hub recomputes every few seconds instead of waiting for other processes' changes (`hub.DEGRADED_REFRESH_SECONDS`),
    and the listener reconnects with back-off. Once back, everything is recomputed once, for what was missed.
    """

    def __init__(self, url: str, channel: str, timeout_seconds: float) -> None:
        super().__init__()
        self._client = redis.Redis.from_url(url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds)
        self._url = url
        self._channel = channel
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        self._start_guard = threading.Lock()
        self._outgoing: queue.SimpleQueue[Change | None] = queue.SimpleQueue()
        self._publisher: threading.Thread | None = None

    @property
    def degraded(self) -> bool:
        return not self._connected.is_set()

    def start(self) -> None:
        """Start listening (once); the first socket of a process does it."""
        with self._start_guard:
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="pantau-realtime-bus", daemon=True)
                self._thread.start()

    def publish(self, change: Change) -> None:
        """Hand the change to the publishing thread: a request never waits on Redis."""
        with self._start_guard:
            if self._publisher is None:
                self._publisher = threading.Thread(target=self._publish_queued, name="pantau-realtime-pub", daemon=True)
                self._publisher.start()
        self._outgoing.put(change)

    def publish_now(self, change: Change) -> bool:
        """Publish on this thread; False (the change delivered to this process only) when Redis did not take it."""
        try:
            self._client.publish(self._channel, change.encode())
            return True
        except redis.RedisError as exc:
            log.warning("realtime change not published to Redis (%s); other processes catch up periodically", exc)
            self._deliver(change)
            return False

    def _publish_queued(self) -> None:
        while (change := self._outgoing.get()) is not None:
            self.publish_now(change)

    def _listen(self) -> None:
        backoff = RECONNECT_FIRST_SECONDS
        first = True
        while not self._stop.is_set():
            pubsub = None
            try:
                client = redis.Redis.from_url(self._url, socket_connect_timeout=2, health_check_interval=10)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self._channel)
                self._connected.set()
                if not first:
                    log.info("realtime bus: Redis is back")
                    self._deliver(Change.of("bus-recovered"))
                first = False
                backoff = RECONNECT_FIRST_SECONDS
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
                    if message is not None and message.get("type") == "message":
                        self._heard(message["data"])
            except redis.RedisError as exc:
                if self._connected.is_set():
                    log.warning("realtime bus: Redis went away (%s); pushing periodically until it is back", exc)
                self._connected.clear()
                first = False
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except redis.RedisError:
                        pass

    def _heard(self, raw: bytes) -> None:
        try:
            change = Change.decode(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("realtime bus: a message on the channel is not a change; ignored")
            return
        self._deliver(change)

    def close(self) -> None:
        self._stop.set()
        self._outgoing.put(None)
        super().close()


def realtime_channel(settings: Settings) -> str:
    return f"{settings.cache_namespace}:realtime"


def build_bus(settings: Settings) -> LocalBus:
    if settings.redis_url:
        return RedisBus(settings.redis_url, realtime_channel(settings), PUBLISH_TIMEOUT_SECONDS)
    return LocalBus()
