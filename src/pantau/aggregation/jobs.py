"""The aggregation jobs (SPEC §7): hourly, daily and weekly runs, and backfill.

A run recomputes the current and the previous bucket of its kind plus every bucket that overlaps the look-back
(`AGGREGATION_LOOKBACK_HOURS`), so late statuses and late first responses land; and, further back, the buckets of
older conversations that moved within the look-back (a message, a resolution or an escalation since then), so a
reply or a resolution days later lands too. On PostgreSQL a run first takes a
transaction-scoped advisory lock for its kind: a second runner (another scheduler replica, a cron call arriving
twice) finds it taken and skips instead of computing the same buckets again.

Runs of different kinds write some of the same rows: an hourly run the days its look-back overlaps, which the daily
run computes too, and both the results of the same broadcasts, each in its own order (a broadcast whose reply window
may have closed first, its days later). Two such runs at once could each hold a row the other waits for, and
PostgreSQL would end one of them with a deadlock (SQLite would refuse the second's writes). So every run also
waits for the writers' turn (`_wait_for_the_writers_turn`): runs of different kinds take turns, whole, each reading
what the one before committed. One lock holds whatever rows a run writes and in whatever order; keeping every writer
to one global order of rows would hold only as long as no writer ever strays from it. Each week of a backfill takes
the turn too (on PostgreSQL it also holds every kind's lock, so runs skip meanwhile).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Engine, FromClause, delete, false, func, select, union

from pantau.aggregation.rewrite import Rewrite, write_rewrite
from pantau.auth.scope import conversation_scopes
from pantau.business_settings.service import effective_settings
from pantau.core import clock
from pantau.core.config import Settings
from pantau.core.windows import local_midnight
from pantau.metrics.broadcast_store import closing_broadcasts, write_broadcast_results
from pantau.metrics.buckets import bucket_start, buckets_between, next_bucket_start
from pantau.metrics.message_parts import messages_with_their_conversations
from pantau.metrics.snapshots import current_buckets, write_snapshots
from pantau.models import AnalyticsSnapshot, Conversation, Message, User
from pantau.models.enums import ScopeType, SnapshotType

conversations = Conversation.__table__
messages = Message.__table__
users = User.__table__

log = logging.getLogger("pantau.aggregation")

# Advisory lock ids, one per kind of run (backfill takes all three, in this order), and the writers' turn.
LOCK_IDS = {SnapshotType.hourly: 7_461_001, SnapshotType.daily: 7_461_002, SnapshotType.weekly: 7_461_003}
WRITER_LOCK_ID = 7_461_000
# The ended buckets of the kind above a run's own that hold a bucket it rewrites are rewritten whole (see aggregate).
_KIND_ABOVE = {SnapshotType.hourly: SnapshotType.daily, SnapshotType.daily: SnapshotType.weekly}


@dataclass(frozen=True)
class RunResult:
    kind: SnapshotType
    ran: bool  # False: another runner held the lock
    buckets: int
    rows: int
    started: datetime


def _try_lock(connection: Connection, kind: SnapshotType) -> bool:
    if connection.dialect.name != "postgresql":
        return True  # SQLite mode is one process by design; its writers queue on the database lock
    return bool(connection.execute(select(func.pg_try_advisory_xact_lock(LOCK_IDS[kind]))).scalar_one())


def _wait_for_the_writers_turn(connection: Connection) -> None:
    """Wait until no other run or backfill writes, then hold the turn until this transaction ends: taken before the
    first read, so the run reads what the writer before it committed.

    On PostgreSQL, the writers' advisory lock. A holder of it never waits for a kind's lock (those are only tried),
    so the two cannot wait on each other. On SQLite, the database's own write lock, taken by a first statement that
    writes (and changes nothing): a transaction that read first could not write at all once another had written
    since it began ("database is locked" at once), while one that writes first waits its turn (the busy timeout)."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(WRITER_LOCK_ID)))
    else:
        connection.execute(delete(AnalyticsSnapshot.__table__).where(false()))


def span_start(kind: SnapshotType, now: datetime, settings: Settings) -> datetime:
    """The first bucket a run at `now` recomputes: the previous bucket, or earlier if the look-back reaches further."""
    zone = settings.zone
    current = bucket_start(kind, now, zone)
    previous = bucket_start(kind, current - timedelta(microseconds=1), zone)
    look_back = bucket_start(kind, now - timedelta(hours=settings.aggregation_lookback_hours), zone)
    return min(previous, look_back)


@dataclass(frozen=True)
class Moved:
    """The buckets of the conversations that moved, and per bucket the scopes they are in there."""

    scopes: dict[datetime, set[tuple[ScopeType, str]]]

    @property
    def buckets(self) -> list[datetime]:
        return sorted(self.scopes)


def moved_conversations(
    connection: Connection, kind: SnapshotType, before: datetime, since: datetime, zone: ZoneInfo
) -> Moved:
    """Conversations created before `before` that moved since `since`: a message, a resolution or an escalation
    since then; their buckets and their scopes (the organisation, the assignee, the own team, the assignee's team).

    Any message counts, not only one that changes the conversation's facts: a reopened conversation loses its
    `resolved_at`, and a rating or an intent arrives with a message, with no timestamp of their own. Changes that
    leave no trace at all (a reassignment, a rating set without a message) reach old buckets by a backfill.
    """

    def moved_where(conversation: FromClause, source: FromClause, *conditions: ColumnElement[bool]):
        return (
            select(conversation.c.created_at, conversation.c.team_id, conversation.c.assigned_to, users.c.team_id)
            .select_from(source.outerjoin(users, users.c.id == conversation.c.assigned_to))
            .where(conversation.c.created_at < before, *conditions)
        )

    # The conversations of the look-back's messages, each looked up by its primary key (see the helper).
    with_messages, conversation = messages_with_their_conversations(connection)
    moved = union(
        moved_where(conversation, with_messages, messages.c.created_at >= since),
        moved_where(conversations, conversations, conversations.c.resolved_at >= since),
        moved_where(conversations, conversations, conversations.c.escalated_at >= since),
    )
    scopes: dict[datetime, set[tuple[ScopeType, str]]] = {}
    row: Any  # a union's rows: created_at, team, assignee, the assignee's team
    for row in connection.execute(moved):
        created, team_id, assigned_to, assignee_team = row
        scopes.setdefault(bucket_start(kind, created, zone), set()).update(
            conversation_scopes(team_id, assigned_to, assignee_team)
        )
    return Moved(scopes)


def aggregate(
    connection: Connection, settings: Settings, kind: SnapshotType, now: datetime, *, readers: Engine | None = None
) -> tuple[int, int]:
    """The work of one run on a connection already in a transaction: (buckets, rows) recomputed.

    A rewritten bucket is fresher than the ended bucket of the next kind up that holds it, which the dashboard then
    reads bucket by finer bucket instead (see `PartsSource`). So an hourly run also writes the ended days its span
    overlaps, and a daily run the ended weeks: the larger bucket stays usable. Older ended buckets above that hold a
    moved conversation (`moved_conversations`) lie wholly before the look-back: their messages and their contacts'
    first conversations are as the last run left them, so only their conversation parts are recomputed, in the moved
    conversations' scopes. How each is made, of fresh and stored parts: `rewrite`. The weekly run has no kind above.
    Parts are written under the SLA target and business hours in force (`effective_settings`).
    """
    settings = effective_settings(connection, settings)
    zone = settings.zone
    start = span_start(kind, now, settings)
    since = now - timedelta(hours=settings.aggregation_lookback_hours)
    moved = moved_conversations(connection, kind, start, since, zone)
    older = moved.buckets
    target = settings.sla_first_response_seconds
    calendar = settings.business_calendar
    # Broadcasts before the span whose reply windows may have closed meanwhile (those in it are written with it).
    write_broadcast_results(
        connection, closing_broadcasts(connection, start, now, settings.aggregation_lookback_hours), now
    )
    above = _KIND_ABOVE.get(kind)
    if above is None:
        spans = [(bucket, next_bucket_start(kind, bucket, zone)) for bucket in older] + [(start, now)]
        rows = write_snapshots(
            connection, [kind], spans, now=now, zone=zone, sla_target_seconds=target, calendar=calendar, readers=readers
        )
        return len(older) + len(buckets_between(kind, start, now, zone)), rows

    current = bucket_start(above, now, zone)
    look_back = set(buckets_between(kind, start, now, zone))
    recent = {bucket_start(above, bucket, zone) for bucket in look_back} - {current}
    settled = {bucket_start(above, bucket, zone) for bucket in older} - recent - {current}
    moved_only = current_buckets(connection, above, sorted(settled), zone)
    rewrite = Rewrite(
        kind,
        above,
        fresh=look_back | {bucket for bucket in older if bucket_start(above, bucket, zone) not in moved_only},
        ended=recent | (settled - moved_only),
        moved={bucket for bucket in older if bucket_start(above, bucket, zone) in moved_only},
        moved_above=moved_only,
        moved_scopes=moved.scopes,
    )
    return write_rewrite(
        connection, rewrite, now=now, zone=zone, sla_target_seconds=target, calendar=calendar, readers=readers
    )


def _readers(engine: Engine) -> Engine | None:
    """Where a run may read raw tables side by side (see `read_side_by_side`): PostgreSQL's pool; SQLite mode is one
    process by design."""
    return engine if engine.dialect.name == "postgresql" else None


def run_aggregation(engine: Engine, settings: Settings, kind: SnapshotType, now: datetime | None = None) -> RunResult:
    """One run of a kind, in one transaction; raises on failure, leaving no row of it behind."""
    now = (now or clock.now()).astimezone(UTC)
    with engine.begin() as connection:
        if not _try_lock(connection, kind):
            log.info("%s aggregation skipped: another runner holds its lock", kind.value)
            return RunResult(kind, ran=False, buckets=0, rows=0, started=now)
        _wait_for_the_writers_turn(connection)
        buckets, rows = aggregate(connection, settings, kind, now, readers=_readers(engine))
    log.info("%s aggregation wrote %d rows for %d buckets", kind.value, rows, buckets)
    return RunResult(kind, ran=True, buckets=buckets, rows=rows, started=now)


def backfill_weeks(first_day: date, last_day: date, settings: Settings) -> list[tuple[datetime, datetime]]:
    """The whole local weeks (Monday to Monday) that cover the local days first_day..last_day."""
    zone = settings.zone
    start = bucket_start(SnapshotType.weekly, local_midnight(first_day, zone), zone)
    end = local_midnight(last_day + timedelta(days=1), zone)
    weeks = []
    while start < end:
        following = next_bucket_start(SnapshotType.weekly, start, zone)
        weeks.append((start, following))
        start = following
    return weeks


def backfill(
    engine: Engine,
    settings: Settings,
    first_day: date,
    last_day: date,
    now: datetime | None = None,
    on_week_done: Callable[[datetime], None] | None = None,
) -> int:
    """Rebuild the hourly, daily and weekly snapshots of every week that touches the days, a week per transaction;
    returns the rows written. Weekly buckets are whole weeks, so the span is widened to Mondays. Parts are written
    under the SLA target in force when the backfill starts."""
    now = (now or clock.now()).astimezone(UTC)
    with engine.connect() as connection:
        settings = effective_settings(connection, settings)
    kinds = [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly]
    written = 0
    for week_start, week_end in backfill_weeks(first_day, last_day, settings):
        if week_start >= now:
            break
        with engine.begin() as connection:
            for kind in kinds:
                if not _try_lock(connection, kind):
                    raise RuntimeError(f"the {kind.value} aggregation is running; try the backfill again after it")
            _wait_for_the_writers_turn(connection)
            written += write_snapshots(
                connection,
                kinds,
                [(week_start, week_end)],
                now=now,
                zone=settings.zone,
                sla_target_seconds=settings.sla_first_response_seconds,
                calendar=settings.business_calendar,
                readers=_readers(engine),
            )
        if on_week_done is not None:
            on_week_done(week_start)
    return written
