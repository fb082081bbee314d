"""Where the dashboard's reads go: a PostgreSQL streaming replica (`DATABASE_READ_URL`) while it answers and keeps up,
else the primary (`DATABASE_URL`). Every write goes to the primary: only `Reads.connection` ever hands out the
replica, and only to code that computes figures.

The one decision is `ReadRouter.read_engine()`. Its verdict on the replica is taken at most once per
`DATABASE_READ_CHECK_SECONDS` and kept in between:

- the replica does not answer → the primary (reason `unreachable`);
- the server at DATABASE_READ_URL is not in recovery (a promoted or a primary server: its lag cannot be known) →
  the primary (reason `not_replica`);
- the replica is behind the primary by `DATABASE_READ_MAX_LAG_SECONDS` or more → the primary (reason `lagging`).

Lag is measured in WAL positions, never with `now() - pg_last_xact_replay_timestamp()` (which grows on an idle
primary that has nothing to send). Each check samples the primary's `pg_current_wal_lsn()` and remembers it with the
time; the replica's `pg_last_wal_replay_lsn()` tells which samples it has replayed. Lag is the age of the oldest
sample it has not reached: zero when it has replayed everything the primary had written at the check. With a bound of
0, any WAL not yet replayed sends reads to the primary.

An answer that will be stored in the dashboard cache is read with `fill_engine()`, which checks afresh (ignoring the
kept verdict) and picks the replica only if it has replayed everything the primary had written when the check ran.
The check runs after the cache's version was read, so an aggregation whose invalidation that version reflects is on
the replica too: a replica that is behind never puts figures older than the last invalidation into the cache (see
docs/decisions.md).

Each fallback is counted (`pantau_replica_fallbacks_total{reason}`; `cache_fill` for an answer to be cached that was
read on the primary because the replica was a moment behind, without a warning) and each read by where it went
(`pantau_database_reads_total{database}`); a warning is logged when the replica is left aside, at most once per
`WARN_EVERY_SECONDS` per reason, with the replica's address without its password.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from prometheus_client import Counter
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pantau.core.database import describe_url

log = logging.getLogger("pantau.database")

WARN_EVERY_SECONDS = 60.0
# How many primary positions a router remembers to measure lag with (one per check).
MAX_SAMPLES = 10_000

Reason = Literal["unreachable", "not_replica", "lagging", "cache_fill"]

REPLICA_FALLBACKS = Counter(
    "pantau_replica_fallbacks",
    "Dashboard reads sent to the primary because the read replica did not answer, was not a replica, lagged, or (an "
    "answer to be cached) had not replayed every write yet",
    ["reason"],
)
DATABASE_READS = Counter(
    "pantau_database_reads", "Dashboard reads by the database that served them (replica or primary)", ["database"]
)


def lsn_number(lsn: str) -> int:
    """A WAL position as PostgreSQL writes it (`16/B374D848`) as one comparable number."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass(frozen=True)
class Verdict:
    use_replica: bool
    reason: Reason | None = None
    detail: str = ""
    lag_seconds: float = 0.0


class ReadRouter:
    """Chooses the engine for the dashboard's reads. Without a replica every read goes to the primary."""

    def __init__(
        self,
        primary: Engine,
        replica: Engine | None,
        *,
        max_lag_seconds: float = 5.0,
        check_seconds: float = 1.0,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_seconds = max_lag_seconds
        self.check_seconds = check_seconds
        self._guard = threading.Lock()
        self._verdict: Verdict | None = None
        self._verdict_at = 0.0
        self._checking = False
        self._samples: deque[tuple[float, int]] = deque(maxlen=MAX_SAMPLES)
        self._last_warning: dict[str, float] = {}

    def where(self) -> str:
        return "" if self.replica is None else describe_url(self.replica)

    def read_engine(self) -> Engine:
        """The engine for a dashboard read: the replica under the kept verdict, else the primary."""
        if self.replica is None:
            return self.primary
        with self._guard:
            verdict = self._verdict
            due = verdict is None or time.monotonic() - self._verdict_at >= self.check_seconds
            checking = due and not self._checking
            if checking:
                self._checking = True
        if checking:
            # One thread asks the servers, outside the lock; the others keep the verdict they had meanwhile (a
            # replica that does not answer delays only the read that asks it).
            try:
                positions = self._positions()
            finally:
                with self._guard:
                    self._checking = False
            with self._guard:
                now = time.monotonic()
                verdict = self._verdict = self._judge(now, positions)
                self._verdict_at = now
        if verdict is None:  # the first check is under way in another thread
            return self.primary
        return self._route(verdict)

    def fill_engine(self) -> Engine:
        """The engine for an answer that will be cached: the replica only if, checked now, it has replayed all the
        WAL the primary has written. The servers are asked outside the lock: cache misses do not queue behind each
        other's checks."""
        if self.replica is None:
            return self.primary
        with self._guard:
            kept = self._verdict
        if kept is not None and kept.reason in ("unreachable", "not_replica"):
            if time.monotonic() - self._verdict_at < self.check_seconds:
                return self._route(kept)
        positions = self._positions()
        with self._guard:
            now = time.monotonic()
            verdict = self._judge(now, positions, exact=True)
            if verdict.reason != "cache_fill":
                # A lag within the bound is no reason to stop reading the replica for uncached reads.
                self._verdict, self._verdict_at = verdict, now
        return self._route(verdict)

    def replica_failed(self, error: BaseException) -> Engine:
        """A read on the replica failed to connect: remember it until the next check and read the primary."""
        verdict = Verdict(False, "unreachable", self._reason_text(error))
        with self._guard:
            self._verdict, self._verdict_at = verdict, time.monotonic()
        return self._route(verdict)

    def _route(self, verdict: Verdict) -> Engine:
        if verdict.use_replica:
            assert self.replica is not None
            return self.replica
        if verdict.reason is not None:
            REPLICA_FALLBACKS.labels(verdict.reason).inc()
            if verdict.reason != "cache_fill":  # the ordinary price of a replica a moment behind: no warning
                self._warn(verdict)
        return self.primary

    def _warn(self, verdict: Verdict) -> None:
        assert verdict.reason is not None
        now = time.monotonic()
        last = self._last_warning.get(verdict.reason)
        if last is not None and now - last < WARN_EVERY_SECONDS:
            return
        self._last_warning[verdict.reason] = now
        log.warning(
            "dashboard reads go to the primary: the read replica at %s %s", self.where(), verdict.detail or "failed"
        )

    def _reason_text(self, error: BaseException) -> str:
        """Why a connection failed, in one line and without the replica's password."""
        original = getattr(error, "orig", None) or error
        line = (str(original).strip().splitlines() or [type(original).__name__])[0]
        password = self.replica.url.password if self.replica is not None else None
        if password:
            line = line.replace(str(password), "***")
        return f"did not answer ({type(original).__name__}: {line})"

    def _positions(self) -> Verdict | tuple[str, str]:
        """Where the replica has replayed to, then where the primary has written to (asked in that order, so the
        primary's position is never older than the replica's); or why the replica cannot be used."""
        assert self.replica is not None
        try:
            with self.replica.connect() as connection:
                row = connection.execute(text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")).one()
            in_recovery: bool = row[0]
            replayed: str | None = row[1]
        except SQLAlchemyError as exc:
            return Verdict(False, "unreachable", self._reason_text(exc))
        if not in_recovery or replayed is None:
            return Verdict(False, "not_replica", "is not in recovery (not a streaming replica): its lag is unknown")
        with self.primary.connect() as connection:
            written: str = connection.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
        return replayed, written

    def _judge(self, now: float, positions: Verdict | tuple[str, str], *, exact: bool = False) -> Verdict:
        """The verdict on the positions, remembering the primary's (under the lock); `exact`: any WAL not yet
        replayed counts as lag beyond the bound."""
        if isinstance(positions, Verdict):
            return positions
        replayed, written = positions
        replayed_at, written_at = lsn_number(replayed), lsn_number(written)
        self._samples.append((now, written_at))
        while self._samples and self._samples[0][1] <= replayed_at:
            self._samples.popleft()
        if not self._samples:
            return Verdict(True)
        lag = now - self._samples[0][0]
        if lag < self.max_lag_seconds and exact:
            return Verdict(False, "cache_fill", lag_seconds=lag)
        if lag >= self.max_lag_seconds:
            return Verdict(
                False,
                "lagging",
                f"has replayed WAL up to {replayed}, the primary is at {written} (behind for at least {lag:.1f} s; "
                f"DATABASE_READ_MAX_LAG_SECONDS={self.max_lag_seconds:g})",
                lag,
            )
        return Verdict(True, lag_seconds=lag)

    def dispose(self) -> None:
        if self.replica is not None:
            self.replica.dispose()


class Reads:
    """A request's way to its figures: `session` is its session on the primary (who is calling, audit rows, token
    last use: every write), `router` picks the database each read of figures runs on."""

    def __init__(self, session: Session, router: ReadRouter | None) -> None:
        self.session = session
        self.router = router

    @contextmanager
    def connection(self, *, cached: bool = False) -> Iterator[Connection]:
        """A connection to read figures on; `cached`: the answer goes into the dashboard cache (`fill_engine`).

        Without a replica it is the request's own session's connection (so the reads see the same transaction as
        before, and tests that wrap a request in one still do)."""
        router = self.router
        if router is None or router.replica is None:
            yield self.session.connection()
            return
        engine = router.fill_engine() if cached else router.read_engine()
        connection = None
        if engine is not router.primary:
            try:
                connection = engine.connect()
            except SQLAlchemyError as exc:
                router.replica_failed(exc)
        if connection is None:
            DATABASE_READS.labels("primary").inc()
            yield self.session.connection()
            return
        DATABASE_READS.labels("replica").inc()
        with connection:
            yield connection
            connection.rollback()
