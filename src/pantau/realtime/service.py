"""The live dashboard of one server process: its bus and its hub, kept on `app.state.realtime`.

Code that changes what the dashboards show announces it with `announce(app, change)` after its commit; code outside
the server (the CLI, the scheduler) with `announce_elsewhere(settings, change)`, which reaches the servers through
Redis when REDIS_URL is set.
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from pantau.business_settings.service import effective_settings
from pantau.cache.store import StoreUnavailable
from pantau.core.config import Settings
from pantau.core.database import release_connection
from pantau.core.replica import Reads
from pantau.dashboard.router import SectionRequest, section_bodies, section_body, section_window
from pantau.realtime.bus import PUBLISH_TIMEOUT_SECONDS, LocalBus, RedisBus, build_bus, realtime_channel
from pantau.realtime.changes import Change
from pantau.realtime.database_watch import DatabaseWatch
from pantau.realtime.hub import Hub, Subscription

log = logging.getLogger("pantau.realtime")


class Realtime:
    def __init__(self, app: FastAPI, bus: LocalBus) -> None:
        self.app = app
        self.bus = bus
        self.hub = Hub(self._compute, degraded=lambda: bus.degraded, compute_many=self._compute_many)
        bus.listen(self.hub.notify)
        engine = app.state.engine
        self.database_watch = (
            DatabaseWatch(engine.url, self._database_changed) if engine.dialect.name == "postgresql" else None
        )

    def _database_changed(self, change: Change) -> None:
        """Rows written behind ingest's back: cached answers are stale too, so they go before the recomputation."""
        try:
            self.app.state.cache.invalidate()
        except StoreUnavailable:
            log.warning("the dashboard cache could not be invalidated after a change in the database")
        self.hub.notify(change)

    def start(self) -> None:
        """The first socket of the process starts the bus's listener (and, on PostgreSQL, the database's)."""
        self.bus.start()
        if self.database_watch is not None:
            self.database_watch.start()

    def publish(self, change: Change) -> None:
        """After a commit: every process's subscribers whose scope the change touches are pushed the new answer."""
        if change.at is None:
            change = Change(change.reason, change.scopes, time.time())
        self.bus.publish(change)

    async def _compute(self, subscription: Subscription) -> bytes:
        return await run_in_threadpool(self._compute_now, subscription)

    def _compute_now(self, subscription: Subscription) -> bytes:
        with self.app.state.session_factory() as session:
            settings = effective_settings(session.connection(), self.app.state.settings)
            window = section_window(subscription.section, settings, subscription.parameters)
            checked = SectionRequest(scope=subscription.scope, window=window, settings=settings)
            reads = Reads(session, self.app.state.reads)
            body, _outcome = section_body(self.app.state.cache, subscription.section, checked, reads)
            release_connection(session)
        return body

    async def _compute_many(self, subscriptions: list[Subscription]) -> list[bytes]:
        return await run_in_threadpool(self._compute_many_now, subscriptions)

    def _compute_many_now(self, subscriptions: list[Subscription]) -> list[bytes]:
        """One group's answers (same section and range, agents' and teams' scopes) in one computation. Not read from
        the cache (under a stream of changes an answer is outdated within a second), but stored there, for the HTTP
        reads that follow a push."""
        section, parameters = subscriptions[0].section, subscriptions[0].parameters
        with self.app.state.session_factory() as session:
            settings = effective_settings(session.connection(), self.app.state.settings)
            window = section_window(section, settings, parameters)
            reads = Reads(session, self.app.state.reads)
            bodies = section_bodies(
                self.app.state.cache, section, [s.scope for s in subscriptions], window, settings, reads
            )
            release_connection(session)
        return bodies

    def close(self) -> None:
        if self.database_watch is not None:
            self.database_watch.close()
        self.hub.close()
        self.bus.close()


def install_realtime(app: FastAPI, settings: Settings) -> Realtime:
    realtime = Realtime(app, build_bus(settings))
    app.state.realtime = realtime
    return realtime


def announce(app: FastAPI, change: Change) -> None:
    """Announce a committed change from inside a server process."""
    realtime: Realtime | None = getattr(app.state, "realtime", None)
    if realtime is not None:
        realtime.publish(change)


def announce_elsewhere(settings: Settings, change: Change) -> None:
    """Announce a committed change from outside the servers (the CLI, the scheduler): through Redis when REDIS_URL
    is set; without it there is no other process to tell, and the servers' periodic refresh shows it."""
    if not settings.redis_url:
        return
    bus = RedisBus(settings.redis_url, realtime_channel(settings), PUBLISH_TIMEOUT_SECONDS)
    try:
        bus.publish_now(Change(change.reason, change.scopes, change.at or time.time()))
    finally:
        bus.close()
