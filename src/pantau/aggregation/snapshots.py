"""Computing and storing snapshots (SPEC §7): the additive parts of every bucket, per organisation, team and agent.

Parts are computed once per local hour in SQL, then added up in Python into days and weeks (local hours tile local
days exactly, DST days included). Each run writes its rows with one `computed_at`, upserting on
(snapshot_type, snapshot_date, scope_type, scope_id), and deletes the rows of its span that it did not write (a
scope that no longer has conversations there), all in one transaction: a run lands whole or not at all.

Every bucket a run covers gets an organisation row, even an empty one: it marks the bucket as computed, so a missing
team or agent row there means "nothing", not "unknown".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    String,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.sql import Subquery

from pantau.aggregation.buckets import HOUR, bucket_start, buckets_between
from pantau.core.sql import UPSERT_BATCH, epoch, upsert
from pantau.dashboard.contact_history import is_first_conversation
from pantau.dashboard.facts import cohort_filter, conversation_facts
from pantau.dashboard.message_parts import (
    MessageGrouping,
    MessageParts,
    collect_message_parts,
    messages_with_conversations,
)
from pantau.dashboard.parts import (
    ConversationParts,
    Grouping,
    collect_grouped_parts,
    parts_from_row,
    summed_part_columns,
)
from pantau.models import AnalyticsSnapshot, Conversation, Message, User
from pantau.models.enums import ScopeType, SnapshotType

snapshots = AnalyticsSnapshot.__table__
conversations = Conversation.__table__
messages = Message.__table__
users = User.__table__

# Bumped when the parts change shape; rows of another version are not read. 2: firstContacts and messages.
PARTS_VERSION = 2

ScopeKey = tuple[ScopeType, str]


@dataclass(slots=True)
class BucketParts:
    """What one snapshot row holds for its bucket and scope: the conversation parts, and how many of the bucket's
    conversations are their contact's first in that scope (see `dashboard.contact_history`)."""

    conversations: ConversationParts = field(default_factory=ConversationParts)
    first_contacts: int = 0
    messages: MessageParts = field(default_factory=MessageParts)  # of the messages created in the bucket

    def __add__(self, other: BucketParts) -> BucketParts:
        return BucketParts(
            self.conversations + other.conversations,
            self.first_contacts + other.first_contacts,
            self.messages + other.messages,
        )


def _hour_index(moment, origin: datetime):
    return func.floor((epoch(moment) - origin.timestamp()) / 3600.0).cast(Integer)


# Spans per statement: a run may recompute many scattered old hours (see jobs.touched_buckets).
SPANS_PER_STATEMENT = 48


def _created_in(spans: list[tuple[datetime, datetime]]):
    return or_(*(cohort_filter(start, end) for start, end in spans))


def hourly_parts(
    connection: Connection, spans: list[tuple[datetime, datetime]], *, now: datetime, sla_target_seconds: float
) -> dict[ScopeKey, dict[datetime, BucketParts]]:
    """Parts of the conversations created in the spans (each starting on an hour boundary), per scope and hour."""
    by_scope: dict[ScopeKey, dict[datetime, BucketParts]] = defaultdict(dict)
    for offset in range(0, len(spans), SPANS_PER_STATEMENT):
        batch = spans[offset : offset + SPANS_PER_STATEMENT]
        for scope, hours in _hourly_parts_of(connection, batch, now, sla_target_seconds).items():
            by_scope[scope].update(hours)
    return by_scope


def _team_membership(created_in: ColumnElement[bool]) -> Subquery:
    """(conversation_id, team_id) of the conversations created in the spans: a conversation is in a team's scope
    through its own team or its assignee's (SPEC §4), one row per pair."""
    return union(
        select(conversations.c.id.label("conversation_id"), conversations.c.team_id.label("team_id")).where(
            conversations.c.team_id.is_not(None), created_in
        ),
        select(conversations.c.id, users.c.team_id)
        .select_from(conversations.join(users, users.c.id == conversations.c.assigned_to))
        .where(users.c.team_id.is_not(None), created_in),
    ).subquery("team_membership")


def _first_contacts_of(
    connection: Connection, created_in: ColumnElement[bool], origin: datetime
) -> dict[tuple[ScopeType, str, int], int]:
    """(scope type, scope id, hour index) -> conversations that are their contact's first in that scope."""
    hour = _hour_index(conversations.c.created_at, origin)
    membership = _team_membership(created_in)

    def in_team(earlier: FromClause) -> ColumnElement[bool]:
        # Two levels down from the membership row it reads: correlated by name, not left to inference.
        members = select(users.c.id).where(users.c.team_id == membership.c.team_id).correlate(membership)
        return or_(earlier.c.team_id == membership.c.team_id, earlier.c.assigned_to.in_(members))

    per_scope = [
        select(literal(ScopeType.org.value), literal("", String()), hour, func.count())
        .where(created_in, is_first_conversation(conversations, lambda earlier: true()))
        .group_by(hour),
        select(literal(ScopeType.agent.value), conversations.c.assigned_to, hour, func.count())
        .where(
            created_in,
            conversations.c.assigned_to.is_not(None),
            is_first_conversation(conversations, lambda earlier: earlier.c.assigned_to == conversations.c.assigned_to),
        )
        .group_by(conversations.c.assigned_to, hour),
        select(literal(ScopeType.team.value), membership.c.team_id, hour, func.count())
        .select_from(conversations.join(membership, membership.c.conversation_id == conversations.c.id))
        .where(is_first_conversation(conversations, in_team))
        .group_by(membership.c.team_id, hour),
    ]
    return {
        (ScopeType(scope_type), scope_id, index): count
        for scope_type, scope_id, index, count in connection.execute(union_all(*per_scope))
    }


def _hourly_parts_of(
    connection: Connection, spans: list[tuple[datetime, datetime]], now: datetime, sla_target_seconds: float
) -> dict[ScopeKey, dict[datetime, BucketParts]]:
    origin = min(start for start, _ in spans)
    created_in = _created_in(spans)
    facts = conversation_facts(created_in, name="snapshot_facts")
    hour = _hour_index(facts.c.created_at, origin)
    membership = _team_membership(created_in)

    org, agents, teams = collect_grouped_parts(
        connection,
        facts,
        [
            Grouping([literal("", String()), hour]),
            Grouping([facts.c.assigned_to, hour]),
            Grouping(
                [membership.c.team_id, hour], joined=facts.join(membership, membership.c.conversation_id == facts.c.id)
            ),
        ],
        now=now,
        sla_target_seconds=sla_target_seconds,
    )
    first_contacts = _first_contacts_of(connection, created_in, origin)
    message_parts = _message_parts_of(connection, spans, origin)
    by_scope: dict[ScopeKey, dict[datetime, BucketParts]] = defaultdict(dict)

    def bucket(scope_type: ScopeType, scope_id: str, index: int) -> BucketParts:
        return by_scope[(scope_type, scope_id)].setdefault(origin + index * HOUR, BucketParts())

    for scope_type, found in ((ScopeType.org, org), (ScopeType.agent, agents), (ScopeType.team, teams)):
        for (scope_id, index), parts in found.items():
            if scope_id is not None:
                bucket(scope_type, scope_id, index).conversations = parts
    for (scope_type, scope_id, index), count in first_contacts.items():
        bucket(scope_type, scope_id, index).first_contacts = count
    for (scope_type, scope_id, index), parts in message_parts.items():
        bucket(scope_type, scope_id, index).messages = parts
    return by_scope


def _message_parts_of(
    connection: Connection, spans: list[tuple[datetime, datetime]], origin: datetime
) -> dict[tuple[ScopeType, str, int], MessageParts]:
    """(scope type, scope id, hour index) -> parts of the messages created in the spans, in the scope of their
    conversation: a team's through the conversation's own team or, where that differs, its assignee's team."""
    created_in = or_(*(and_(messages.c.created_at >= start, messages.c.created_at < end) for start, end in spans))
    hour = _hour_index(messages.c.created_at, origin)
    source = messages_with_conversations()
    assignees = source.join(users, users.c.id == conversations.c.assigned_to)
    org, agents, own_teams, assignee_teams = collect_message_parts(
        connection,
        created_in,
        [
            MessageGrouping([literal("", String()), hour], source),
            MessageGrouping([conversations.c.assigned_to, hour], source, conversations.c.assigned_to.is_not(None)),
            MessageGrouping([conversations.c.team_id, hour], source, conversations.c.team_id.is_not(None)),
            MessageGrouping(
                [users.c.team_id, hour],
                assignees,
                and_(
                    users.c.team_id.is_not(None),
                    or_(conversations.c.team_id.is_(None), conversations.c.team_id != users.c.team_id),
                ),
            ),
        ],
    )
    found: dict[tuple[ScopeType, str, int], MessageParts] = {}
    for scope_type, grouped in (
        (ScopeType.org, org),
        (ScopeType.agent, agents),
        (ScopeType.team, own_teams),
        (ScopeType.team, assignee_teams),
    ):
        for (scope_id, index), parts in grouped.items():
            key = (scope_type, scope_id, index)
            found[key] = found[key] + parts if key in found else parts
    return found


def roll_up(kind: SnapshotType, hours: dict[datetime, BucketParts], zone: ZoneInfo) -> dict[datetime, BucketParts]:
    if kind is SnapshotType.hourly:
        return hours
    buckets: dict[datetime, BucketParts] = {}
    for hour, parts in hours.items():
        start = bucket_start(kind, hour, zone)
        buckets[start] = buckets[start] + parts if start in buckets else parts
    return buckets


def write_snapshots(
    connection: Connection,
    kinds: list[SnapshotType],
    spans: list[tuple[datetime, datetime]],
    *,
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
) -> int:
    """Recompute every bucket of `kinds` in the spans (each starting and ending on bucket boundaries of every kind,
    the last possibly at `now`); returns the number of rows written."""
    spans = [(start, min(end, now)) for start, end in spans if start < now]
    if not spans:
        return 0
    hours = hourly_parts(connection, spans, now=now, sla_target_seconds=sla_target_seconds)
    written = 0
    for kind in kinds:
        covered = sorted({bucket for start, end in spans for bucket in buckets_between(kind, start, end, zone)})
        org = roll_up(kind, hours.get((ScopeType.org, ""), {}), zone)
        rows = [
            _row(kind, bucket, ScopeType.org, "", org.get(bucket, BucketParts()), now, sla_target_seconds)
            for bucket in covered
        ]
        for (scope_type, scope_id), scope_hours in hours.items():
            if scope_type is not ScopeType.org:
                rows += [
                    _row(kind, bucket, scope_type, scope_id, parts, now, sla_target_seconds)
                    for bucket, parts in roll_up(kind, scope_hours, zone).items()
                ]
        upsert(
            connection,
            snapshots,
            rows,
            conflict_columns=["snapshot_type", "snapshot_date", "scope_type", "scope_id"],
            update_columns=["metrics", "message_metrics", "computed_at"],
        )
        # Scopes that had rows in these buckets and have none now.
        for offset in range(0, len(covered), UPSERT_BATCH):
            connection.execute(
                delete(snapshots).where(
                    snapshots.c.snapshot_type == kind.value,
                    snapshots.c.snapshot_date.in_(covered[offset : offset + UPSERT_BATCH]),
                    snapshots.c.computed_at != now,
                )
            )
        written += len(rows)
    return written


def _row(
    kind: SnapshotType,
    bucket: datetime,
    scope_type: ScopeType,
    scope_id: str,
    parts: BucketParts,
    now: datetime,
    sla_target_seconds: float,
) -> dict:
    return {
        "snapshot_type": kind.value,
        "snapshot_date": bucket,
        "scope_type": scope_type.value,
        "scope_id": scope_id,
        "metrics": {
            "version": PARTS_VERSION,
            "slaTargetSeconds": sla_target_seconds,
            "conversations": parts.conversations.to_json(),
            "firstContacts": parts.first_contacts,
        },
        "message_metrics": parts.messages.to_json(),
        "computed_at": now,
    }


def read_snapshots(
    connection: Connection,
    kind: SnapshotType,
    scope_type: ScopeType,
    scope_ids: list[str],
    start: datetime,
    end: datetime,
) -> dict[tuple[str, datetime], tuple[datetime, dict]]:
    """(scope_id, bucket start) -> (computed_at, metrics) for buckets starting in [start, end)."""
    rows = connection.execute(
        select(snapshots.c.scope_id, snapshots.c.snapshot_date, snapshots.c.computed_at, snapshots.c.metrics).where(
            and_(
                snapshots.c.snapshot_type == kind.value,
                snapshots.c.scope_type == scope_type.value,
                snapshots.c.scope_id.in_(scope_ids),
                snapshots.c.snapshot_date >= start,
                snapshots.c.snapshot_date < end,
            )
        )
    ).all()
    return {(row.scope_id, row.snapshot_date): (row.computed_at, row.metrics) for row in rows}


def _stored_part(*path: str | int) -> ColumnElement:
    """One stored conversation part, as an exact number."""
    return snapshots.c.metrics[("conversations", *path)].as_numeric(30, 0)


def _in_buckets(
    buckets: list[tuple[SnapshotType, datetime]], scope_type: ScopeType, scope_ids: list[str]
) -> ColumnElement[bool]:
    by_kind: dict[SnapshotType, list[datetime]] = defaultdict(list)
    for kind, bucket in buckets:
        by_kind[kind].append(bucket)
    return and_(
        snapshots.c.scope_type == scope_type.value,
        snapshots.c.scope_id.in_(scope_ids),
        or_(
            *(
                and_(snapshots.c.snapshot_type == kind.value, snapshots.c.snapshot_date.in_(dates))
                for kind, dates in by_kind.items()
            )
        ),
    )


def summed_snapshots(
    connection: Connection,
    buckets: list[tuple[SnapshotType, datetime]],
    scope_type: ScopeType,
    scope_ids: list[str],
    *,
    per_bucket: bool = False,
) -> dict[tuple, ConversationParts]:
    """The conversation parts of these buckets, added up by the database per scope id, or per scope id and bucket:
    keys (scope_id,) or (scope_id, snapshot_type, bucket start). Without intents: many rows in, few rows out, no
    document decoded in Python."""
    if not buckets or not scope_ids:
        return {}
    keys = [snapshots.c.scope_id] + ([snapshots.c.snapshot_type, snapshots.c.snapshot_date] if per_bucket else [])
    rows = connection.execute(
        select(*keys, *summed_part_columns(lambda path: _stored_part(*path)))
        .where(_in_buckets(buckets, scope_type, scope_ids))
        .group_by(*keys)
    )
    return {(row[0], SnapshotType(row[1]), row[2]) if per_bucket else (row[0],): parts_from_row(row) for row in rows}


def stored_first_contacts(
    connection: Connection, buckets: list[tuple[SnapshotType, datetime]], scope_type: ScopeType, scope_id: str
) -> int:
    """First conversations of contacts in these buckets, for one scope."""
    if not buckets:
        return 0
    total = connection.execute(
        select(func.sum(snapshots.c.metrics["firstContacts"].as_numeric(30, 0))).where(
            _in_buckets(buckets, scope_type, [scope_id])
        )
    ).scalar_one()
    return int(total or 0)


def stored_message_parts(
    connection: Connection, buckets: list[tuple[SnapshotType, datetime]], scope_type: ScopeType, scope_id: str
) -> MessageParts:
    """The message parts of these buckets for one scope, added up."""
    total = MessageParts()
    if buckets:
        for (stored,) in connection.execute(
            select(snapshots.c.message_metrics).where(_in_buckets(buckets, scope_type, [scope_id]))
        ):
            total += MessageParts.from_json(stored)
    return total


def conversation_counts(
    connection: Connection, buckets: list[tuple[SnapshotType, datetime]], scope_type: ScopeType, scope_id: str
) -> dict[tuple[SnapshotType, datetime], int]:
    """(snapshot_type, bucket start) -> conversations created in the bucket, for one scope: one part, not all."""
    if not buckets:
        return {}
    rows = connection.execute(
        select(snapshots.c.snapshot_type, snapshots.c.snapshot_date, _stored_part("conversations")).where(
            _in_buckets(buckets, scope_type, [scope_id])
        )
    )
    return {(SnapshotType(kind), bucket): int(count) for kind, bucket, count in rows}


@dataclass(frozen=True)
class Freshness:
    """What tells whether an organisation row can stand in for a live count, read without its parts."""

    computed_at: datetime
    version: int | None
    sla_target_seconds: float | None
    pending: int
    pending_latest_s0_us: int
    drop_candidates: int
    drop_candidates_latest_us: int


def organisation_freshness(
    connection: Connection, kind: SnapshotType, start: datetime, end: datetime
) -> dict[datetime, Freshness]:
    """Bucket start -> freshness of the organisation rows of this kind starting in [start, end)."""
    metrics = snapshots.c.metrics

    def number(*path: str) -> ColumnElement:
        return metrics[path].as_numeric(30, 6)

    rows = connection.execute(
        select(
            snapshots.c.snapshot_date,
            snapshots.c.computed_at,
            number("version"),
            number("slaTargetSeconds"),
            *(
                _stored_part(name)
                for name in ("pending", "pending_latest_s0_us", "drop_candidates", "drop_candidates_latest_us")
            ),
        ).where(
            snapshots.c.scope_type == ScopeType.org.value,
            snapshots.c.scope_id == "",
            snapshots.c.snapshot_type == kind.value,
            snapshots.c.snapshot_date >= start,
            snapshots.c.snapshot_date < end,
        )
    )
    return {
        row[0]: Freshness(
            computed_at=row[1],
            version=None if row[2] is None else int(row[2]),
            sla_target_seconds=None if row[3] is None else float(row[3]),
            pending=int(row[4] or 0),
            pending_latest_s0_us=int(row[5] or 0),
            drop_candidates=int(row[6] or 0),
            drop_candidates_latest_us=int(row[7] or 0),
        )
        for row in rows
    }


def computed_times(
    connection: Connection, kinds: list[SnapshotType], start: datetime, end: datetime, after: datetime
) -> list[tuple[datetime, datetime]]:
    """(bucket start, computed_at) of the organisation rows of these kinds starting in [start, end) and computed
    after `after`: no metrics."""
    return [
        (row.snapshot_date, row.computed_at)
        for row in connection.execute(
            select(snapshots.c.snapshot_date, snapshots.c.computed_at).where(
                snapshots.c.snapshot_type.in_([kind.value for kind in kinds]),
                snapshots.c.scope_type == ScopeType.org.value,
                snapshots.c.scope_id == "",
                snapshots.c.snapshot_date >= start,
                snapshots.c.snapshot_date < end,
                snapshots.c.computed_at > after,
            )
        )
    ]
