"""The ingest service: journal a body, then apply it in one transaction; replay what is not applied; purge.

This is what every door calls (the webhook, the events API, `pantau ingest replay`), and what a CSV import or the
demo data can call to feed rows through the same rules.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NoReturn

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from pantau.cache.dashboard_cache import DashboardCache
from pantau.cache.store import StoreUnavailable
from pantau.ingest import journal
from pantau.ingest.apply import BodyRefused, apply_bodies, apply_body, final_state
from pantau.ingest.context import ApplyContext, NeedsIsolation
from pantau.ingest.journal import JournalUnavailable
from pantau.ingest.schemas import EventResult
from pantau.models.enums import IngestSource, JournalState, ScopeType

log = logging.getLogger("pantau.ingest")

# PostgreSQL may pick one of two transactions that wait on each other (two bodies locking the same keys in turn)
# and abort it; the body is simply applied again.
_RETRIED_SQLSTATES = {"40P01", "40001"}
ATTEMPTS = 3


class ApplyFailed(RuntimeError):
    """The body is journaled but applying it failed (the error is logged and on the entry); a replay retries it."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"journal entry {entry_id} could not be applied")
        self.entry_id = entry_id


@dataclass(frozen=True)
class Applied:
    entry_id: int
    state: JournalState
    summary: dict[str, int]
    results: list[EventResult] = field(default_factory=list)
    changed: bool = False
    refusal: BodyRefused | None = None
    # The stored scopes the changes touched (None: every scope), for the live dashboard.
    touched: frozenset[tuple[ScopeType, str]] | None = None


def receive(
    engine: Engine,
    *,
    source: IngestSource,
    body: bytes,
    headers: dict[str, str],
    now: datetime,
    token_id: int | None = None,
) -> Applied | None:
    """Journal the body (JournalUnavailable if that fails), then apply it. None when a replay applied it first."""
    entry_id = journal.record(engine, source=source, body=body, headers=headers, received_at=now, token_id=token_id)
    return apply_entry(engine, entry_id, now=now)


@dataclass(frozen=True)
class Incoming:
    """One authenticated body, as it came through a door."""

    body: bytes
    headers: dict[str, str]


# What receiving one body of a group came to: applied (None when a replay applied it first), ApplyFailed (journaled,
# a replay retries it) or JournalUnavailable (nothing stored).
Outcome = Applied | None | ApplyFailed | JournalUnavailable


def touched_by(applied: list[Applied]) -> frozenset[tuple[ScopeType, str]] | None:
    """The scopes the bodies touched together: None (every scope) when one of them touched every scope."""
    scopes: set[tuple[ScopeType, str]] = set()
    for one in applied:
        if one.touched is None:
            return None
        scopes |= one.touched
    return frozenset(scopes)


def receive_group(engine: Engine, *, source: IngestSource, bodies: list[Incoming], now: datetime) -> list[Outcome]:
    """`receive` for bodies that arrived together, with two commits for all of them instead of two each: their
    journal entries in one transaction, committed before any is applied (journal first), then applied in order in
    one transaction, each with an ApplyContext of its own, and marked applied, duplicate or failed in it. Each
    body's outcome is what `receive` would have given it: applying them one after another in one transaction is
    what applying them one by one does. Should anything go wrong in that second transaction (an event the database
    refuses, a deadlock, an error), nothing of it is kept and each entry is applied again on its own by
    `apply_entry`, so that a body that fails never takes another with it."""
    # One connection for both transactions: one checkout from the pool instead of two.
    connection: Connection | None = None
    try:
        connection = engine.connect()
        with connection.begin():
            entry_ids = journal.record_many(
                connection, [(item.body, item.headers) for item in bodies], source=source, received_at=now
            )
    except SQLAlchemyError as exc:
        if connection is not None:
            connection.close()
        unavailable = JournalUnavailable(f"the ingest journal could not be written ({type(exc).__name__})")
        return [unavailable for _ in bodies]
    with connection:
        try:
            return _apply_together(connection, entry_ids, now)
        except Exception as exc:
            failure = exc
    return _apply_each(engine, entry_ids, now, failure)


def _apply_each(engine: Engine, entry_ids: list[int], now: datetime, failure: Exception) -> list[Outcome]:
    log.info(
        "%d journal entries could not be applied together (%s); applying each alone",
        len(entry_ids),
        type(failure).__name__,
    )
    outcomes: list[Outcome] = []
    for entry_id in entry_ids:
        try:
            outcomes.append(apply_entry(engine, entry_id, now=now))
        except ApplyFailed as failed:
            outcomes.append(failed)
    return outcomes


def _apply_together(connection: Connection, entry_ids: list[int], now: datetime) -> list[Outcome]:
    applied: dict[int, Applied] = {}
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL pantau.writer = 'ingest'")
        entries = journal.claim_many(connection, entry_ids, (JournalState.received,))
        # Not isolated: an event the database refuses raises NeedsIsolation, and the entries are applied alone.
        contexts = [
            ApplyContext(connection, source=entry.source, now=now, journal_id=entry.id, isolated=False)
            for entry in entries
        ]
        finished = []
        for entry, ctx, outcome in zip(
            entries, contexts, apply_bodies(contexts, [entry.body for entry in entries]), strict=True
        ):
            if isinstance(outcome, BodyRefused):
                finished.append(journal.Finished(entry.id, JournalState.failed, error=outcome.detail))
                applied[entry.id] = Applied(entry_id=entry.id, state=JournalState.failed, summary={}, refusal=outcome)
                continue
            summary = {name: count for name, count in sorted(ctx.tally.items()) if count}
            state = final_state(Counter(summary))
            finished.append(journal.Finished(entry.id, state, summary=summary))
            applied[entry.id] = Applied(
                entry_id=entry.id,
                state=state,
                summary=summary,
                results=outcome,
                changed=ctx.changed,
                touched=ctx.touched() if ctx.changed else frozenset(),
            )
        journal.finish_many(connection, finished, at=now)
    return [applied.get(entry_id) for entry_id in entry_ids]


def _retried(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _RETRIED_SQLSTATES


def apply_entry(
    engine: Engine, entry_id: int, *, now: datetime, states: tuple[JournalState, ...] = (JournalState.received,)
) -> Applied | None:
    """Apply one journal entry if it is in one of `states`, in one transaction; None when it is not (any more).
    Raises ApplyFailed, the entry marked failed, when applying fails."""
    attempt = 1
    isolated = False
    while True:
        try:
            return _apply_once(engine, entry_id, now, states, isolated)
        except NeedsIsolation:
            # An event the database refuses (a unique value): applied again, each event in a savepoint, so that
            # only that event is rejected.
            isolated = True
        except OperationalError as exc:
            if not _retried(exc) or attempt == ATTEMPTS:
                _give_up(engine, entry_id, now, exc)
            log.info("journal entry %s met a concurrent transaction; applying it again", entry_id)
            attempt += 1
        except Exception as exc:
            _give_up(engine, entry_id, now, exc)


def _apply_once(
    engine: Engine, entry_id: int, now: datetime, states: tuple[JournalState, ...], isolated: bool
) -> Applied | None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The tables' change triggers (migration 0012) leave this transaction to the announcement below.
            connection.exec_driver_sql("SET LOCAL pantau.writer = 'ingest'")
        entry = journal.claim(connection, entry_id, states)
        if entry is None:
            return None
        ctx = ApplyContext(connection, source=entry.source, now=now, journal_id=entry.id, isolated=isolated)
        try:
            results = apply_body(ctx, entry.body)
        except BodyRefused as refusal:
            journal.finish(connection, entry.id, JournalState.failed, at=now, error=refusal.detail)
            return Applied(entry_id=entry.id, state=JournalState.failed, summary={}, refusal=refusal)
        summary = {outcome: count for outcome, count in sorted(ctx.tally.items()) if count}
        state = final_state(Counter(summary))
        journal.finish(connection, entry.id, state, at=now, summary=summary)
        touched = ctx.touched() if ctx.changed else frozenset()
    return Applied(
        entry_id=entry.id, state=state, summary=summary, results=results, changed=ctx.changed, touched=touched
    )


def _give_up(engine: Engine, entry_id: int, now: datetime, exc: Exception) -> NoReturn:
    log.error("journal entry %s could not be applied", entry_id, exc_info=exc)
    try:
        journal.mark_failed(engine, entry_id, now, f"applying failed: {type(exc).__name__}")
    except Exception:
        log.exception("journal entry %s could not be marked failed; it stays pending for a replay", entry_id)
    raise ApplyFailed(entry_id) from exc


@dataclass(frozen=True)
class Replayed:
    by_state: dict[JournalState, int]
    # Entries another process applied while the replay ran.
    skipped: int

    @property
    def total(self) -> int:
        return sum(self.by_state.values()) + self.skipped


def replay(
    engine: Engine,
    *,
    now: datetime,
    include_failed: bool = False,
    since: datetime | None = None,
    on_entry: Callable[[int, int], None] | None = None,
) -> Replayed:
    """Apply every entry not applied yet (with `include_failed`, also those that failed), oldest first. Applying is
    idempotent and each entry is claimed, so running it twice, or beside live requests, applies each entry once.
    Each entry is its own transaction; `on_entry(done, total)` is called after each."""
    with engine.connect() as connection:
        entry_ids = journal.pending_ids(connection, include_failed=include_failed, since=since)
    if on_entry is not None:
        on_entry(0, len(entry_ids))
    states = (JournalState.received, JournalState.failed) if include_failed else (JournalState.received,)
    by_state: Counter[JournalState] = Counter()
    skipped = 0
    for done, entry_id in enumerate(entry_ids, start=1):
        try:
            applied = apply_entry(engine, entry_id, now=now, states=states)
        except ApplyFailed:
            by_state[JournalState.failed] += 1
        else:
            if applied is None:
                skipped += 1
            else:
                by_state[applied.state] += 1
        if on_entry is not None:
            on_entry(done, len(entry_ids))
    return Replayed(by_state=dict(by_state), skipped=skipped)


def forget_cached_answers(cache: DashboardCache) -> None:
    """After a commit that changed rows: the dashboards read them at once instead of within CACHE_TTL_SECONDS.
    Bumping the cache's version is one call; if the cache's store is down, the answers expire on their own."""
    try:
        cache.invalidate()
    except StoreUnavailable:
        log.warning("the dashboard cache could not be invalidated after ingest; answers expire within the TTL")
