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
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Integer, String, and_, delete, func, literal, or_, select, union

from pantau.aggregation.buckets import HOUR, bucket_start, buckets_between
from pantau.core.sql import UPSERT_BATCH, epoch, upsert
from pantau.dashboard.facts import cohort_filter, conversation_facts
from pantau.dashboard.parts import ConversationParts, Grouping, collect_grouped_parts
from pantau.models import AnalyticsSnapshot, Conversation, User
from pantau.models.enums import ScopeType, SnapshotType

snapshots = AnalyticsSnapshot.__table__
conversations = Conversation.__table__
users = User.__table__

# Bumped when the parts change shape; rows of another version are not read.
PARTS_VERSION = 1

ScopeKey = tuple[ScopeType, str]


def _hour_index(moment, origin: datetime):
    return func.floor((epoch(moment) - origin.timestamp()) / 3600.0).cast(Integer)


# Spans per statement: a run may recompute many scattered old hours (see jobs.touched_buckets).
SPANS_PER_STATEMENT = 48


def _created_in(spans: list[tuple[datetime, datetime]]):
    return or_(*(cohort_filter(start, end) for start, end in spans))


def hourly_parts(
    connection: Connection, spans: list[tuple[datetime, datetime]], *, now: datetime, sla_target_seconds: float
) -> dict[ScopeKey, dict[datetime, ConversationParts]]:
    """Parts of the conversations created in the spans (each starting on an hour boundary), per scope and hour."""
    by_scope: dict[ScopeKey, dict[datetime, ConversationParts]] = defaultdict(dict)
    for offset in range(0, len(spans), SPANS_PER_STATEMENT):
        batch = spans[offset : offset + SPANS_PER_STATEMENT]
        for scope, hours in _hourly_parts_of(connection, batch, now, sla_target_seconds).items():
            by_scope[scope].update(hours)
    return by_scope


def _hourly_parts_of(
    connection: Connection, spans: list[tuple[datetime, datetime]], now: datetime, sla_target_seconds: float
) -> dict[ScopeKey, dict[datetime, ConversationParts]]:
    origin = min(start for start, _ in spans)
    created_in = _created_in(spans)
    facts = conversation_facts(created_in, name="snapshot_facts")
    hour = _hour_index(facts.c.created_at, origin)

    # A conversation is in a team's scope through its own team or its assignee's (SPEC §4): one row per pair.
    membership = union(
        select(conversations.c.id.label("conversation_id"), conversations.c.team_id.label("team_id")).where(
            conversations.c.team_id.is_not(None), created_in
        ),
        select(conversations.c.id, users.c.team_id)
        .select_from(conversations.join(users, users.c.id == conversations.c.assigned_to))
        .where(users.c.team_id.is_not(None), created_in),
    ).subquery("team_membership")

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
    by_scope: dict[ScopeKey, dict[datetime, ConversationParts]] = defaultdict(dict)
    for scope_type, found in ((ScopeType.org, org), (ScopeType.agent, agents), (ScopeType.team, teams)):
        for (scope_id, index), parts in found.items():
            if scope_id is not None:
                by_scope[(scope_type, scope_id)][origin + index * HOUR] = parts
    return by_scope


def roll_up(
    kind: SnapshotType, hours: dict[datetime, ConversationParts], zone: ZoneInfo
) -> dict[datetime, ConversationParts]:
    if kind is SnapshotType.hourly:
        return hours
    buckets: dict[datetime, ConversationParts] = {}
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
            _row(kind, bucket, ScopeType.org, "", org.get(bucket, ConversationParts()), now, sla_target_seconds)
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
            update_columns=["metrics", "computed_at"],
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
    parts: ConversationParts,
    now: datetime,
    sla_target_seconds: float,
) -> dict:
    return {
        "snapshot_type": kind.value,
        "snapshot_date": bucket,
        "scope_type": scope_type.value,
        "scope_id": scope_id,
        "metrics": {"version": PARTS_VERSION, "slaTargetSeconds": sla_target_seconds, "conversations": parts.to_json()},
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


def computed_times(
    connection: Connection, kinds: list[SnapshotType], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """(bucket start, computed_at) of the organisation rows of these kinds starting in [start, end): no metrics."""
    return [
        (row.snapshot_date, row.computed_at)
        for row in connection.execute(
            select(snapshots.c.snapshot_date, snapshots.c.computed_at).where(
                snapshots.c.snapshot_type.in_([kind.value for kind in kinds]),
                snapshots.c.scope_type == ScopeType.org.value,
                snapshots.c.scope_id == "",
                snapshots.c.snapshot_date >= start,
                snapshots.c.snapshot_date < end,
            )
        )
    ]
