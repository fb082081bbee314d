"""The ingest journal (SPEC §8.1): every authenticated body, stored raw in a transaction of its own before it is
applied, then marked applied, duplicate or failed.

Applying starts by claiming the entry (an UPDATE of its row, the transaction's first statement): a second applier
of the same entry, a replay running beside a live request, waits for the first to finish and then finds it no
longer pending. So an entry is applied once, however many try. On SQLite that first write also takes the
database's write lock, so the rest of the transaction reads what it writes against.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from pantau.models import IngestEvent, IngestJournalEntry, ParkedItem
from pantau.models.enums import EventOutcome, IngestSource, JournalState, ReferentKind

_journal = IngestJournalEntry.__table__
_events = IngestEvent.__table__
_parked = ParkedItem.__table__

# Parked items older than this are listed by `pantau ingest status`: their referent is probably never coming.
PARKED_REPORT_AGE = timedelta(days=7)
FINISHED = (JournalState.applied, JournalState.duplicate, JournalState.failed)
ERROR_LENGTH = 1000


class JournalUnavailable(RuntimeError):
    """The body could not be stored: nothing is applied, and the sender should send it again."""


@dataclass(frozen=True)
class JournalEntry:
    id: int
    source: IngestSource
    body: bytes
    received_at: datetime
    token_id: int | None


def record(
    engine: Engine,
    *,
    source: IngestSource,
    body: bytes,
    headers: dict[str, str],
    received_at: datetime,
    token_id: int | None = None,
) -> int:
    """Store the body as received, committed; its entry's id. Raises JournalUnavailable."""
    try:
        with engine.begin() as connection:
            result = connection.execute(
                insert(_journal).values(
                    source=source,
                    received_at=received_at,
                    body=body,
                    headers=headers,
                    token_id=token_id,
                    state=JournalState.received,
                )
            )
            return result.inserted_primary_key[0]
    except SQLAlchemyError as exc:
        raise JournalUnavailable(f"the ingest journal could not be written ({type(exc).__name__})") from exc


def record_many(
    connection: Connection, bodies: list[tuple[bytes, dict[str, str]]], *, source: IngestSource, received_at: datetime
) -> list[int]:
    """Store the bodies as received, in the caller's transaction (committed by it), in one statement; their entries'
    ids in the order of the bodies."""
    values = [
        {"source": source, "received_at": received_at, "body": body, "headers": headers, "state": JournalState.received}
        for body, headers in bodies
    ]
    ids = connection.execute(insert(_journal).returning(_journal.c.id, sort_by_parameter_order=True), values)
    return list(ids.scalars())


def claim_many(connection: Connection, entry_ids: list[int], states: tuple[JournalState, ...]) -> list[JournalEntry]:
    """`claim` for several entries in one statement: those still in one of `states`, by id."""
    rows = connection.execute(
        update(_journal)
        .where(_journal.c.id.in_(entry_ids), _journal.c.state.in_(states))
        .values(attempts=_journal.c.attempts + 1)
        .returning(_journal.c.id, _journal.c.source, _journal.c.body, _journal.c.received_at, _journal.c.token_id)
    ).all()
    return sorted(
        (
            JournalEntry(
                id=row.id,
                source=IngestSource(row.source),
                body=row.body,
                received_at=row.received_at,
                token_id=row.token_id,
            )
            for row in rows
        ),
        key=lambda entry: entry.id,
    )


def claim(connection: Connection, entry_id: int, states: tuple[JournalState, ...]) -> JournalEntry | None:
    """The entry, if it is in one of `states`; None when it is not (applied meanwhile, by a replay or a request)."""
    row = connection.execute(
        update(_journal)
        .where(_journal.c.id == entry_id, _journal.c.state.in_(states))
        .values(attempts=_journal.c.attempts + 1)
        .returning(_journal.c.id, _journal.c.source, _journal.c.body, _journal.c.received_at, _journal.c.token_id)
    ).first()
    if row is None:
        return None
    return JournalEntry(
        id=row.id, source=IngestSource(row.source), body=row.body, received_at=row.received_at, token_id=row.token_id
    )


def finish(
    connection: Connection,
    entry_id: int,
    state: JournalState,
    *,
    at: datetime,
    summary: dict[str, int] | None = None,
    error: str | None = None,
) -> None:
    connection.execute(
        update(_journal)
        .where(_journal.c.id == entry_id)
        .values(state=state, finished_at=at, summary=summary, error=error[:ERROR_LENGTH] if error else None)
    )


@dataclass(frozen=True)
class Finished:
    entry_id: int
    state: JournalState
    summary: dict[str, int] | None = None
    error: str | None = None


def finish_many(connection: Connection, finished: list[Finished], *, at: datetime) -> None:
    """`finish` for several entries, in one round trip."""
    if not finished:
        return
    connection.execute(
        update(_journal)
        .where(_journal.c.id == bindparam("entry_id"))
        .values(
            state=bindparam("new_state"), finished_at=at, summary=bindparam("new_summary"), error=bindparam("new_error")
        ),
        [
            {
                "entry_id": item.entry_id,
                "new_state": item.state,
                "new_summary": item.summary,
                "new_error": item.error[:ERROR_LENGTH] if item.error else None,
            }
            for item in finished
        ],
    )


def mark_failed(engine: Engine, entry_id: int, at: datetime, error: str) -> None:
    """After a failed attempt, in a transaction of its own; an entry applied meanwhile keeps its state."""
    with engine.begin() as connection:
        connection.execute(
            update(_journal)
            .where(_journal.c.id == entry_id, _journal.c.state.in_((JournalState.received, JournalState.failed)))
            .values(state=JournalState.failed, finished_at=at, error=error[:ERROR_LENGTH])
        )


def pending_ids(connection: Connection, *, include_failed: bool, since: datetime | None) -> list[int]:
    """Entries to replay, oldest first: those never applied, and with `include_failed` those that failed."""
    states = (JournalState.received, JournalState.failed) if include_failed else (JournalState.received,)
    query = select(_journal.c.id).where(_journal.c.state.in_(states)).order_by(_journal.c.id)
    if since is not None:
        query = query.where(_journal.c.received_at >= since)
    return list(connection.execute(query).scalars())


@dataclass(frozen=True)
class ParkedSummary:
    waiting_kind: ReferentKind
    waiting_id: str
    source: IngestSource
    event_id: str | None
    parked_at: datetime


@dataclass(frozen=True)
class JournalStatus:
    counts: dict[JournalState, int]
    oldest_unapplied: tuple[int, datetime] | None
    parked: int
    parked_old_count: int
    # The oldest of those, up to `old_listed`.
    parked_old: list[ParkedSummary]


def status(connection: Connection, now: datetime, *, old_listed: int = 50) -> JournalStatus:
    """Counts by state, the oldest entry not applied yet, and the parked items (those older than 7 days listed)."""
    counted = Counter(
        {
            JournalState(state): count
            for state, count in connection.execute(
                select(_journal.c.state, func.count()).group_by(_journal.c.state)
            ).all()
        }
    )
    oldest = connection.execute(
        select(_journal.c.id, _journal.c.received_at)
        .where(_journal.c.state == JournalState.received)
        .order_by(_journal.c.id)
        .limit(1)
    ).first()
    parked = connection.execute(select(func.count()).select_from(_parked)).scalar_one()
    is_old = _parked.c.parked_at < now - PARKED_REPORT_AGE
    old_count = connection.execute(select(func.count()).select_from(_parked).where(is_old)).scalar_one()
    old = connection.execute(
        select(_parked.c.waiting_kind, _parked.c.waiting_id, _parked.c.source, _parked.c.event_id, _parked.c.parked_at)
        .where(is_old)
        .order_by(_parked.c.parked_at, _parked.c.id)
        .limit(old_listed)
    ).all()
    return JournalStatus(
        counts={state: counted.get(state, 0) for state in JournalState},
        oldest_unapplied=(oldest.id, oldest.received_at) if oldest else None,
        parked=parked,
        parked_old_count=old_count,
        parked_old=[
            ParkedSummary(
                waiting_kind=ReferentKind(row.waiting_kind),
                waiting_id=row.waiting_id,
                source=IngestSource(row.source),
                event_id=row.event_id,
                parked_at=row.parked_at,
            )
            for row in old
        ],
    )


@dataclass(frozen=True)
class Purged:
    entries: int
    event_ids: int


def purge(engine: Engine, now: datetime, days: int) -> Purged:
    """Forget what is older than the retention: finished journal entries, and the events API's ids (an id older
    than that is no longer recognised as a repeat). Entries never applied stay until replayed; parked items, and
    their events' ids, stay until their referent arrives (`pantau ingest status` lists the old ones)."""
    cutoff = now - timedelta(days=days)
    with engine.begin() as connection:
        entries = connection.execute(
            delete(_journal).where(_journal.c.received_at < cutoff, _journal.c.state.in_(FINISHED))
        ).rowcount
        event_ids = connection.execute(
            delete(_events).where(_events.c.received_at < cutoff, _events.c.outcome != EventOutcome.parked)
        ).rowcount
    return Purged(entries=entries, event_ids=event_ids)
