"""Subscriptions, grouped so that one computation serves everyone who would get the same answer, and the pushes.

- A *topic* is a section + the subscriber's effective scope (its `cache_key`: rows and phone masking) + the range
  parameters. Every subscriber of a topic gets the same bytes, computed once per change by `section_body`, the
  function (and cache) of `GET /api/dashboard/<section>`: what is pushed is byte-for-byte the HTTP answer.
- A change marks dirty the topics whose scope it touches (`Change.touches`); the others are not recomputed.
- Topics of a section that computes many scopes at once (the KPI strip) whose scope is a team's or a person's form a
  *group* per range parameters: they share one point of the second, so that under a steady stream of changes they
  are due together, and those due at the same moment are computed together, in one grouped computation
  (`compute_many`) that hands each topic its own bytes (the same as its own computation's).
- A topic computes about once a second at most: at once after a second or more without computing, otherwise on its
  own point of the second (`topic_phase`, `next_run`), the same in every process; a process runs at most
  `COMPUTING_AT_ONCE` computations at a time. A subscriber gets at most one push per section per second, and only
  when the bytes differ from what it was last sent for that section.
- Windows slide: every `REFRESH_SECONDS` each topic is recomputed (pushed only if its answer changed); every
  `DEGRADED_REFRESH_SECONDS` while the bus may be missing other processes' changes (Redis down).

Everything here runs on the server's event loop; the computation runs on a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pantau.auth.scope import Scope
from pantau.core import clock
from pantau.dashboard.router import RangeParameters, Section
from pantau.realtime.changes import Change

log = logging.getLogger("pantau.realtime")

PUSH_INTERVAL_SECONDS = 1.0
# How much later than a second after its last computation a busy topic may compute, to move towards its phase.
PHASE_STEP_SECONDS = 0.2
# How late a computation may have started after its phase and still count as on it.
PHASE_TOLERANCE_SECONDS = 0.05
# Computations of one process under way at once; the others wait their turn, first come first served. Started all
# together, they would share the process and finish all late, each answer as old as the wait; one after the other,
# each answer is computed from what was committed just before it is sent.
COMPUTING_AT_ONCE = 2
REFRESH_SECONDS = 30.0
DEGRADED_REFRESH_SECONDS = 5.0
# A client that lets this many messages pile up unread is disconnected rather than buffered without end.
OUTBOX_LIMIT = 64


@dataclass(frozen=True)
class Subscription:
    """One section of a subscribe message, checked: the effective scope (filters applied) and the range."""

    section: Section
    scope: Scope
    parameters: RangeParameters

    @property
    def topic_key(self) -> tuple:
        p = self.parameters
        return (self.section.name, self.scope.cache_key, p.date_range, p.period, p.start_date, p.end_date)

    @property
    def group_key(self) -> tuple | None:
        """The group the topic computes with (None: on its own): the organisation's scope is cheaper alone."""
        if self.section.compute_many is None or self.scope.level == "all":
            return None
        p = self.parameters
        return (self.section.name, p.date_range, p.period, p.start_date, p.end_date)


Compute = Callable[[Subscription], Awaitable[bytes]]
# The bytes for each of several subscriptions of one group, in their order.
ComputeMany = Callable[[list[Subscription]], Awaitable[list[bytes]]]


def topic_phase(topic_key: tuple) -> float:
    """Where in each second (0 to 1, on the wall clock) a busy topic computes: the same for a topic in every process,
    so that they compute together and share one computation through the cache; spread over the second for different
    topics, so that one process's topics do not all compute at the same moment and wait for each other."""
    digest = hashlib.sha256(repr(topic_key).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def next_run(last_run: float, now: float, phase: float, wall_offset: float) -> float:
    """When a topic marked dirty at `now` computes (monotonic seconds; `wall_offset` is wall clock less monotonic).

    At once when its last computation was a second ago or more (the leading edge: a lone change is computed as soon
    as it arrives). Otherwise a second after its last computation, plus up to `PHASE_STEP_SECONDS` towards its phase:
    under a steady stream of changes a topic reaches its phase within a few seconds and then computes once a second,
    on it. A computation that started a little after its phase (the event loop was busy) is followed by one on the
    next phase point, a little less than a second later, so that the lateness does not add up; the subscribers are
    still pushed at most once a second each (`Subscriber.push` holds what comes early)."""
    earliest = last_run + PUSH_INTERVAL_SECONDS
    if now >= earliest:
        return now
    ahead = (phase - (earliest + wall_offset)) % 1.0
    if ahead > 1.0 - PHASE_TOLERANCE_SECONDS:
        return earliest - (1.0 - ahead)
    return earliest + min(ahead, PHASE_STEP_SECONDS)


def section_message(section: str, body: bytes, timestamp: str) -> str:
    """`{type, section, data, timestamp}` with `data` the answer's bytes as they are (never decoded and re-encoded)."""
    return f'{{"type":"section","section":"{section}","data":{body.decode()},"timestamp":"{timestamp}"}}'


class Subscriber:
    """One socket: what it is subscribed to, what it was sent, and its outbox (written by `run_outbox`)."""

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send
        self.topics: dict[str, Topic] = {}
        self._sent: dict[str, tuple[float, bytes]] = {}
        self._held: dict[str, tuple[bytes, str]] = {}
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.closed = False

    def queue(self, message: str) -> None:
        if self.closed:
            return
        if self._outbox.qsize() >= OUTBOX_LIMIT:
            log.warning("a realtime client stopped reading; closing its socket")
            self.close()
            return
        self._outbox.put_nowait(message)

    def close(self) -> None:
        self.closed = True
        self._outbox.put_nowait(None)

    async def run_outbox(self) -> None:
        """Send what is queued, in order, until the subscriber is closed."""
        while (message := await self._outbox.get()) is not None:
            await self._send(message)

    def push(self, section: str, body: bytes, timestamp: str) -> None:
        """Send the section's answer if it differs from the last one sent, at most once a second per section."""
        last = self._sent.get(section)
        if last is not None and last[1] == body:
            self._held.pop(section, None)
            return
        wait = 0.0 if last is None else last[0] + PUSH_INTERVAL_SECONDS - time.monotonic()
        if wait > 0:
            held = section in self._held
            self._held[section] = (body, timestamp)
            if not held:
                asyncio.get_running_loop().call_later(wait, self._release, section)
            return
        self._sent[section] = (time.monotonic(), body)
        self.queue(section_message(section, body, timestamp))

    def _release(self, section: str) -> None:
        held = self._held.pop(section, None)
        if held is not None and section in self.topics:
            self.push(section, *held)

    def forget(self, section: str) -> None:
        """Unsubscribed: a later subscription to the section starts with a push."""
        self._sent.pop(section, None)
        self._held.pop(section, None)


class Topic:
    """Subscribers who get the same bytes, and the one computation that serves them."""

    def __init__(self, hub: Hub, subscription: Subscription) -> None:
        self.hub = hub
        self.subscription = subscription
        self.subscribers: set[Subscriber] = set()
        self.body: bytes | None = None
        self.timestamp = ""
        self._dirty = False
        self._task: asyncio.Task | None = None
        self._last_run = -math.inf
        self.group_key = subscription.group_key if hub.groups else None
        self.phase = topic_phase(self.group_key or subscription.topic_key)

    @property
    def section(self) -> str:
        return self.subscription.section.name

    def mark(self) -> None:
        self._dirty = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self._dirty and self.subscribers:
                # Coalescing: changes arriving within a second of the last computation are served by one more.
                now = time.monotonic()
                wait = next_run(self._last_run, now, self.phase, time.time() - now) - now
                if wait > 0:
                    await asyncio.sleep(wait)
                if self.group_key is not None:
                    self._dirty = False
                    self._last_run = time.monotonic()
                    try:
                        body = await self.hub.compute_in_group(self.group_key, self.subscription)
                    except Exception:
                        continue  # logged once for the group
                else:
                    async with self.hub.computing:
                        # The answer counts what was committed when it starts: a computation waiting here still
                        # takes in the changes that arrive meanwhile.
                        self._dirty = False
                        self._last_run = time.monotonic()
                        try:
                            body = await self.hub.compute(self.subscription)
                        except Exception:
                            log.exception("the realtime %s answer could not be computed", self.section)
                            continue
                    self.hub.computations += 1
                self.body = body
                self.timestamp = clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
                for subscriber in list(self.subscribers):
                    subscriber.push(self.section, body, self.timestamp)
        finally:
            self._task = None


class Hub:
    """This process's subscribers and topics."""

    def __init__(
        self, compute: Compute, degraded: Callable[[], bool] = lambda: False, compute_many: ComputeMany | None = None
    ) -> None:
        self._compute = compute
        self._compute_many = compute_many
        self._degraded = degraded
        self.topics: dict[tuple, Topic] = {}
        self.computations = 0
        self.computing = asyncio.Semaphore(COMPUTING_AT_ONCE)
        # Per group: the subscriptions due and waiting for the group's next computation, with their futures.
        self._due: dict[tuple, dict[Subscription, asyncio.Future[bytes]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticker: asyncio.Task | None = None

    @property
    def groups(self) -> bool:
        return self._compute_many is not None

    async def compute_in_group(self, group_key: tuple, subscription: Subscription) -> bytes:
        """The subscription's bytes from its group's next computation, which every topic of the group due before it
        starts joins (those woken at the same moment, and those that come while it waits for its turn)."""
        loop = asyncio.get_running_loop()
        due = self._due.get(group_key)
        if due is None:
            due = self._due[group_key] = {}
            loop.create_task(self._compute_group(group_key))
        future = due.get(subscription)
        if future is None:
            future = due[subscription] = loop.create_future()
        return await future

    async def _compute_group(self, group_key: tuple) -> None:
        async with self.computing:
            due = self._due.pop(group_key)
            subscriptions = list(due)
            try:
                assert self._compute_many is not None, "groups are formed only when there is a grouped computation"
                bodies = await self._compute_many(subscriptions)
            except Exception as exc:
                log.exception("the realtime %s answers could not be computed", subscriptions[0].section.name)
                for future in due.values():
                    future.set_exception(exc)
                    future.exception()  # retrieved: each topic skips this round
                return
        self.computations += 1
        for subscription, body in zip(subscriptions, bodies, strict=True):
            due[subscription].set_result(body)

    async def compute(self, subscription: Subscription) -> bytes:
        return await self._compute(subscription)

    def _started(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._ticker = self._loop.create_task(self._tick())

    def subscribe(self, subscriber: Subscriber, subscriptions: list[Subscription]) -> None:
        """Replace the subscriber's subscriptions; each section is pushed as soon as it is computed."""
        self._started()
        self.unsubscribe(subscriber)
        for subscription in subscriptions:
            topic = self.topics.get(subscription.topic_key)
            if topic is None:
                topic = self.topics[subscription.topic_key] = Topic(self, subscription)
            topic.subscribers.add(subscriber)
            subscriber.topics[topic.section] = topic
            # A fresh answer for the newcomer; those already subscribed are pushed only if it differs.
            topic.mark()

    def unsubscribe(self, subscriber: Subscriber) -> None:
        for section, topic in list(subscriber.topics.items()):
            topic.subscribers.discard(subscriber)
            subscriber.forget(section)
            if not topic.subscribers:
                self.topics.pop(topic.subscription.topic_key, None)
        subscriber.topics.clear()

    def notify(self, change: Change) -> None:
        """From any thread: the change reaches the loop, where the topics it touches are marked."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self.changed, change)

    def changed(self, change: Change) -> None:
        for topic in list(self.topics.values()):
            if change.touches(topic.subscription.scope):
                topic.mark()

    async def _tick(self) -> None:
        """Sliding windows, and the fallback while the bus is degraded: recompute every topic now and then."""
        last = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            every = DEGRADED_REFRESH_SECONDS if self._degraded() else REFRESH_SECONDS
            if time.monotonic() - last >= every:
                last = time.monotonic()
                for topic in list(self.topics.values()):
                    topic.mark()

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
