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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    Integer,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    update,
)

from pantau.auth.scope import conversation_scopes
from pantau.core.business_time import BusinessCalendar
from pantau.core.database import read_side_by_side
from pantau.core.sql import UPSERT_BATCH, epoch, upsert
from pantau.metrics.broadcast_store import broadcasts_created, write_broadcast_results
from pantau.metrics.buckets import HOUR, bucket_start, buckets_between
from pantau.metrics.contact_history import ContactParts, is_second_conversation, previous_conversation_at
from pantau.metrics.facts import conversation_facts, in_range, in_ranges
from pantau.metrics.message_parts import (
    MessageGrouping,
    MessageParts,
    collect_message_parts,
    messages_with_their_conversations,
)
from pantau.metrics.parts import (
    ConversationParts,
    Grouping,
    collect_grouped_parts,
    parts_reader,
    summed_part_columns,
)
from pantau.metrics.parts_version import PARTS_VERSION
from pantau.models import AnalyticsSnapshot, Conversation, Message, User
from pantau.models.enums import ScopeType, SnapshotType

snapshots = AnalyticsSnapshot.__table__
conversations = Conversation.__table__
messages = Message.__table__
users = User.__table__

ScopeKey = tuple[ScopeType, str]
_FINEST_FIRST = [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly]


@dataclass(slots=True)
class BucketParts:
    """What one snapshot row holds for its bucket and scope: the conversation parts, and how many of the bucket's
    conversations are their contact's first in that scope (see `metrics.contact_history`)."""

    conversations: ConversationParts = field(default_factory=ConversationParts)
    first_contacts: int = 0
    messages: MessageParts = field(default_factory=MessageParts)  # of the messages created in the bucket
    contacts: ContactParts = field(default_factory=ContactParts)  # the days of the previous conversations

    @classmethod
    def total(cls, many: list[BucketParts]) -> BucketParts:
        """The parts of many buckets added up (the conversation parts field by field, see ConversationParts.total)."""
        total = cls(ConversationParts.total([parts.conversations for parts in many]))
        for parts in many:
            total.first_contacts += parts.first_contacts
            total.messages += parts.messages
            total.contacts += parts.contacts
        return total


def _hour_index(moment, origin: datetime):
    return func.floor((epoch(moment) - origin.timestamp()) / 3600.0).cast(Integer)


# Spans per statement: a run may recompute many scattered old hours (see jobs.moved_conversations).
SPANS_PER_STATEMENT = 48


def _created_in(spans: list[tuple[datetime, datetime]]):
    return in_ranges(conversations.c.created_at, spans)


def hourly_parts(
    connection: Connection,
    spans: list[tuple[datetime, datetime]],
    *,
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None = None,
    conversations_only: bool = False,
    scopes: set[ScopeKey] | None = None,
    readers: Engine | None = None,
) -> dict[ScopeKey, dict[datetime, BucketParts]]:
    """Parts of the conversations created in the spans (each starting on an hour boundary), per scope and hour;
    with `conversations_only`, the conversation parts alone (no first contacts, no message parts); for these
    `scopes` only, if given. With `readers`, the conversations, their contacts' histories and the messages are read
    side by side on connections of their own (`read_side_by_side`)."""
    by_scope: dict[ScopeKey, dict[datetime, BucketParts]] = defaultdict(dict)
    for offset in range(0, len(spans), SPANS_PER_STATEMENT):
        batch = spans[offset : offset + SPANS_PER_STATEMENT]
        found = _hourly_parts_of(
            connection, batch, now, zone, sla_target_seconds, calendar, conversations_only, scopes, readers
        )
        for scope, hours in found.items():
            by_scope[scope].update(hours)
    return by_scope


# A conversation is in a team's scope through its own team or, where that differs, its assignee's (SPEC §4). The
# parts of a bucket are computed once per (hour, team, assignee, assignee's team) and spread over the scopes here.
assignee = users.alias("assignee")
HourKey = tuple[int, str | None, str | None, str | None]  # hour index, team, assignee, assignee's team


def _contact_history_of(
    connection: Connection, created_in: ColumnElement[bool], origin: datetime, zone: ZoneInfo
) -> dict[tuple[ScopeKey, int], tuple[int, ContactParts]]:
    """(scope, hour index) -> how many of the hour's conversations in the scope are their contact's first there, and
    the days of the others' previous ones. One row per conversation, its history looked up once per scope it is in
    (the organisation, its assignee, its own team, its assignee's team: the order of `conversation_scopes`)."""
    hour = _hour_index(conversations.c.created_at, origin)

    def in_team(team: ColumnElement, outer: FromClause):
        def same_scope(earlier: FromClause) -> ColumnElement[bool]:
            member = users.alias("member")
            members = select(member.c.id).where(member.c.team_id == team).correlate(outer)
            return or_(earlier.c.team_id == team, earlier.c.assigned_to.in_(members))

        return same_scope

    team_id, assigned_to, assignee_team = conversations.c.team_id, conversations.c.assigned_to, assignee.c.team_id
    flavours = [
        (true(), lambda earlier: true()),
        (assigned_to.is_not(None), lambda earlier: earlier.c.assigned_to == assigned_to),
        (team_id.is_not(None), in_team(team_id, conversations)),
        (
            and_(assignee_team.is_not(None), or_(team_id.is_(None), assignee_team != team_id)),
            in_team(assignee_team, assignee),
        ),
    ]
    columns = []
    for applies, same_scope in flavours:
        # CASE: the history is looked at only where the scope applies; null where it does not.
        columns += [
            case((applies, previous_conversation_at(conversations, same_scope))),
            case((applies, case((is_second_conversation(conversations, same_scope), 1), else_=0))),
        ]
    rows = connection.execute(
        select(hour, team_id, assigned_to, assignee_team, *columns)
        .select_from(conversations.outerjoin(assignee, assignee.c.id == assigned_to))
        .where(created_in)
    )
    found: dict[tuple[ScopeKey, int], tuple[int, ContactParts]] = {}
    for index, team, assignee_id, assignee_team_id, *histories in rows:
        applying = [
            (histories[2 * position], histories[2 * position + 1])
            for position, applies in enumerate(
                [True, assignee_id is not None, team is not None, assignee_team_id not in (None, team)]
            )
            if applies
        ]
        scopes = conversation_scopes(team, assignee_id, assignee_team_id)
        for scope, (previous_at, second) in zip(scopes, applying, strict=True):
            first_contacts, history = found.get((scope, index), (0, ContactParts()))
            history.add(previous_at, bool(second), zone)
            found[(scope, index)] = (first_contacts + (previous_at is None), history)
    return found


def _hourly_parts_of(
    connection: Connection,
    spans: list[tuple[datetime, datetime]],
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None,
    conversations_only: bool,
    scopes: set[ScopeKey] | None,
    readers: Engine | None,
) -> dict[ScopeKey, dict[datetime, BucketParts]]:
    origin = min(start for start, _ in spans)
    created_in = _created_in(spans)
    facts = conversation_facts(created_in, name="snapshot_facts", calendar=calendar, with_message_counts=True)
    keys = [_hour_index(facts.c.created_at, origin), facts.c.team_id, facts.c.assigned_to, assignee.c.team_id]
    # The intent is a key too: its counts are the group's, and the facts are computed in one statement.
    grouping = Grouping([*keys, facts.c.intent], joined=facts.outerjoin(assignee, assignee.c.id == facts.c.assigned_to))
    reads: dict[str, Callable[[Connection], Any]] = {
        "conversations": lambda reader: collect_grouped_parts(
            reader,
            facts,
            [grouping],
            now=now,
            sla_target_seconds=sla_target_seconds,
            calendar=calendar,
            with_intents=False,
        )[0]
    }
    if not conversations_only:
        reads["contacts"] = lambda reader: _contact_history_of(reader, created_in, origin, zone)
        reads["messages"] = lambda reader: _message_parts_of(reader, spans, origin)
    found = read_side_by_side(connection, reads, readers)
    grouped = found["conversations"]
    by_scope: dict[ScopeKey, dict[datetime, BucketParts]] = defaultdict(dict)

    def bucket(scope: ScopeKey, index: int) -> BucketParts:
        hours = by_scope[scope]
        hour = origin + index * HOUR
        if hour not in hours:
            hours[hour] = BucketParts()
        return hours[hour]

    # Each group's parts go to every scope it is in, and are added up once per scope and hour.
    per_scope_hour: dict[tuple[ScopeKey, int], list[ConversationParts]] = defaultdict(list)
    for (index, team_id, assignee_id, assignee_team, intent), parts in grouped.items():
        if intent is not None:
            parts.intents[intent] = [parts.conversations, parts.bot_only_resolved]
        for scope in conversation_scopes(team_id, assignee_id, assignee_team):
            if scopes is None or scope in scopes:
                per_scope_hour[(scope, index)].append(parts)
    for (scope, index), many in per_scope_hour.items():
        bucket(scope, index).conversations = ConversationParts.total(many)
    if conversations_only:
        return by_scope
    for (scope, index), (first_contacts, history) in found["contacts"].items():
        hour = bucket(scope, index)
        hour.first_contacts, hour.contacts = first_contacts, history
    for (index, *scope_ids), parts in found["messages"].items():
        for scope in conversation_scopes(*scope_ids):
            bucket(scope, index).messages += parts
    return by_scope


def _message_parts_of(
    connection: Connection, spans: list[tuple[datetime, datetime]], origin: datetime
) -> dict[HourKey, MessageParts]:
    """Hour key -> parts of the messages created in the spans, by their own hour and their conversation's team,
    assignee and assignee's team."""
    created_in = in_ranges(messages.c.created_at, spans)
    hour = _hour_index(messages.c.created_at, origin)
    joined, conversation = messages_with_their_conversations(connection)
    source = joined.outerjoin(assignee, assignee.c.id == conversation.c.assigned_to)
    (grouped,) = collect_message_parts(
        connection,
        created_in,
        [MessageGrouping([hour, conversation.c.team_id, conversation.c.assigned_to, assignee.c.team_id], source)],
        conversation=conversation,
    )
    return grouped


def roll_up(
    kind: SnapshotType, finer: dict[ScopeKey, dict[datetime, BucketParts]], zone: ZoneInfo
) -> dict[ScopeKey, dict[datetime, BucketParts]]:
    """Per scope, the buckets of `kind` made of finer ones (hours into days, days into weeks: local buckets nest)."""
    holders = {start: bucket_start(kind, start, zone) for buckets in finer.values() for start in buckets}
    if all(holder == start for start, holder in holders.items()):
        return finer
    rolled: dict[ScopeKey, dict[datetime, BucketParts]] = {}
    for scope, buckets in finer.items():
        mine: dict[datetime, list[BucketParts]] = defaultdict(list)
        for start, parts in buckets.items():
            mine[holders[start]].append(parts)
        rolled[scope] = {bucket: BucketParts.total(many) for bucket, many in mine.items()}
    return rolled


def write_snapshots(
    connection: Connection,
    kinds: list[SnapshotType],
    spans: list[tuple[datetime, datetime]],
    *,
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None = None,
    readers: Engine | None = None,
) -> int:
    """Recompute every bucket of `kinds` in the spans (each starting and ending on bucket boundaries of every kind,
    the last possibly at `now`), with the broadcasts created in them; returns the number of rows written.
    `readers`: see `hourly_parts`."""
    spans = [(start, min(end, now)) for start, end in spans if start < now]
    if not spans:
        return 0
    rolled = hourly_parts(
        connection, spans, now=now, zone=zone, sla_target_seconds=sla_target_seconds, calendar=calendar, readers=readers
    )
    written = 0
    for kind in sorted(kinds, key=_FINEST_FIRST.index):  # each rolled up from the one before
        rolled = roll_up(kind, rolled, zone)
        covered = sorted({bucket for start, end in spans for bucket in buckets_between(kind, start, end, zone)})
        written += store_rows(
            connection,
            kind,
            covered,
            rolled,
            now=now,
            zone=zone,
            sla_target_seconds=sla_target_seconds,
            calendar=calendar,
        )
    return written + write_broadcast_results(connection, broadcasts_created(connection, spans), now)


def store_rows(
    connection: Connection,
    kind: SnapshotType,
    covered: list[datetime],
    parts: dict[ScopeKey, dict[datetime, BucketParts]],
    *,
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None = None,
    conversations_only: bool = False,
    scopes: dict[datetime, set[ScopeKey]] | None = None,
) -> int:
    """Write the rows of these buckets of a kind from their parts per scope (parts of other buckets are ignored);
    returns the number of rows written. Every bucket gets an organisation row; rows of scopes that have no parts
    there any more are deleted. The buckets are local to `zone`, which every row records.

    With `conversations_only`, the rows get fresh conversation parts and keep the first contacts, message and
    contact parts they hold: for buckets whose conversations moved but whose messages and contacts' histories did
    not (see `jobs.aggregate`); only rows already there are rewritten, none added or deleted, and with `scopes`,
    only the rows of the scopes given for their bucket (the ones its moved conversations are in)."""
    wanted = set(covered)
    found: dict[tuple[ScopeType, str, datetime], BucketParts] = {
        (ScopeType.org, "", bucket): BucketParts() for bucket in covered
    }
    for (scope_type, scope_id), scope_buckets in parts.items():
        for bucket, bucket_parts in scope_buckets.items():
            if bucket in wanted:
                found[(scope_type, scope_id, bucket)] = bucket_parts
    stored = _stored_rows(connection, kind, covered, with_first_contacts=conversations_only)
    if conversations_only:
        if scopes is not None:
            found = {key: value for key, value in found.items() if key[:2] in scopes.get(key[2], ())}
            stored = {key: row for key, row in stored.items() if key[:2] in scopes.get(key[2], ())}
        # Rows already there only: one this rewrite would add could hold its conversation parts alone (its
        # bucket never computed in full, or a scope it gained without a timestamp: a backfill's work).
        found = {
            key: BucketParts(found[key].conversations if key in found else ConversationParts(), first_contacts)
            for key, (_, first_contacts) in stored.items()
        }
    else:
        # Scopes that had rows in these buckets and have none now.
        vanished = [row_id for key, (row_id, _) in stored.items() if key not in found]
        for offset in range(0, len(vanished), UPSERT_BATCH):
            batch = vanished[offset : offset + UPSERT_BATCH]
            connection.execute(delete(snapshots).where(snapshots.c.id.in_(batch)))
    rows = [
        _row(kind, bucket, scope_type, scope_id, bucket_parts, now, zone, sla_target_seconds, calendar)
        for (scope_type, scope_id, bucket), bucket_parts in found.items()
    ]
    columns = ["metrics"] if conversations_only else ["metrics", "message_metrics", "contact_metrics"]
    # Rows already there are updated by id, and only where their parts changed: an upsert would lock (and so
    # write) every row it finds, changed or not, and most rows of a look-back do not change from one run to the next.
    # Organisation rows always: their computed_at tells readers the bucket is fresh.
    updates, inserts = [], []
    for row in rows:
        known = stored.get((ScopeType(row["scope_type"]), row["scope_id"], row["snapshot_date"]))
        if known is None:
            inserts.append(row)
        else:
            values = {f"new_{column}": row[column] for column in [*columns, "computed_at"]}
            updates.append({"row_id": known[0], "always": row["scope_type"] == ScopeType.org.value, **values})
    if updates:
        new = {column: bindparam(f"new_{column}", type_=snapshots.c[column].type) for column in columns}
        statement = (
            update(snapshots)
            .where(
                snapshots.c.id == bindparam("row_id"),
                or_(bindparam("always"), *(snapshots.c[column].is_distinct_from(new[column]) for column in columns)),
            )
            .values({**new, "computed_at": bindparam("new_computed_at")})
        )
        for offset in range(0, len(updates), UPSERT_BATCH):
            connection.execute(statement, updates[offset : offset + UPSERT_BATCH])
    upsert(
        connection,
        snapshots,
        inserts,
        conflict_columns=["snapshot_type", "snapshot_date", "scope_type", "scope_id"],
        update_columns=[*columns, "computed_at"],
    )
    return len(rows)


def _stored_rows(
    connection: Connection, kind: SnapshotType, buckets: list[datetime], *, with_first_contacts: bool = False
) -> dict[tuple[ScopeType, str, datetime], tuple[int, int]]:
    """(scope type, scope id, bucket) -> (row id, first contacts) of every row of these buckets; first contacts 0
    unless asked for (reading them reads each row's document)."""
    found = {}
    first_contacts = snapshots.c.metrics["firstContacts"].as_numeric(30, 0) if with_first_contacts else literal(0)
    for offset in range(0, len(buckets), UPSERT_BATCH):
        rows = connection.execute(
            select(
                snapshots.c.scope_type, snapshots.c.scope_id, snapshots.c.snapshot_date, snapshots.c.id, first_contacts
            ).where(
                snapshots.c.snapshot_type == kind.value,
                snapshots.c.snapshot_date.in_(buckets[offset : offset + UPSERT_BATCH]),
            )
        )
        for scope_type, scope_id, bucket, row_id, count in rows:
            found[(ScopeType(scope_type), scope_id, bucket)] = (row_id, int(count or 0))
    return found


def current_buckets(
    connection: Connection, kind: SnapshotType, buckets: list[datetime], zone: ZoneInfo
) -> set[datetime]:
    """The buckets whose organisation row holds parts of the current version computed in `zone`, message and contact
    parts included."""
    found: set[datetime] = set()
    for offset in range(0, len(buckets), UPSERT_BATCH):
        rows = connection.execute(
            select(snapshots.c.snapshot_date).where(
                snapshots.c.snapshot_type == kind.value,
                snapshots.c.snapshot_date.in_(buckets[offset : offset + UPSERT_BATCH]),
                snapshots.c.scope_type == ScopeType.org.value,
                snapshots.c.scope_id == "",
                snapshots.c.metrics["version"].as_numeric(30, 0) == PARTS_VERSION,
                snapshots.c.metrics["timeZone"].as_string() == zone.key,
                snapshots.c.message_metrics.is_not(None),
                snapshots.c.contact_metrics.is_not(None),
            )
        )
        found.update(rows.scalars())
    return found


def _row(
    kind: SnapshotType,
    bucket: datetime,
    scope_type: ScopeType,
    scope_id: str,
    parts: BucketParts,
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None,
) -> dict:
    metrics = {
        "version": PARTS_VERSION,
        # The zone whose local hours, days and weeks the row's bucket and its contacts' days are: read only there.
        "timeZone": zone.key,
        "slaTargetSeconds": sla_target_seconds,
        "conversations": parts.conversations.to_json(),
        "firstContacts": parts.first_contacts,
    }
    if calendar is not None:
        # The business hours the SLA parts were computed under (SPEC §8.5): read only while they are in force.
        metrics["businessHours"] = calendar.key
    return {
        "snapshot_type": kind.value,
        "snapshot_date": bucket,
        "scope_type": scope_type.value,
        "scope_id": scope_id,
        "metrics": metrics,
        "message_metrics": parts.messages.to_json(),
        "contact_metrics": parts.contacts.to_json(),
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
                in_range(snapshots.c.snapshot_date, start, end),
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
    read = parts_reader(tuple(rows.keys()))
    return {(row[0], SnapshotType(row[1]), row[2]) if per_bucket else (row[0],): read(row) for row in rows}


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


def stored_contact_parts(
    connection: Connection, buckets: list[tuple[SnapshotType, datetime]], scope_type: ScopeType, scope_id: str
) -> ContactParts | None:
    """The contact histories of these buckets for one scope, added up; None if a row predates them."""
    total = ContactParts()
    if buckets:
        for (stored,) in connection.execute(
            select(snapshots.c.contact_metrics).where(_in_buckets(buckets, scope_type, [scope_id]))
        ):
            if stored is None:
                return None
            total += ContactParts.from_json(stored)
    return total


def stored_parts_per_bucket(
    connection: Connection,
    buckets: list[tuple[SnapshotType, datetime]],
    scope_type: ScopeType,
    scope_id: str,
    names: tuple[str, ...],
) -> dict[tuple[SnapshotType, datetime], list[int]]:
    """(snapshot_type, bucket start) -> the named conversation parts of the bucket, for one scope: those parts
    alone, not all of them."""
    if not buckets:
        return {}
    rows = connection.execute(
        select(snapshots.c.snapshot_type, snapshots.c.snapshot_date, *(_stored_part(name) for name in names)).where(
            _in_buckets(buckets, scope_type, [scope_id])
        )
    )
    return {(SnapshotType(row[0]), row[1]): [int(value) for value in row[2:]] for row in rows}


@dataclass(frozen=True)
class Freshness:
    """What tells whether an organisation row can stand in for a live count, read without its parts."""

    computed_at: datetime
    version: int | None
    time_zone: str | None  # the zone the bucket is local to; None for rows written before rows recorded it
    sla_target_seconds: float | None
    business_hours: str | None  # the calendar key the parts were computed under; None without business hours
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
            metrics["timeZone"].as_string(),
            number("slaTargetSeconds"),
            metrics["businessHours"].as_string(),
            *(
                _stored_part(name)
                for name in ("pending", "pending_latest_s0_us", "drop_candidates", "drop_candidates_latest_us")
            ),
        ).where(
            snapshots.c.scope_type == ScopeType.org.value,
            snapshots.c.scope_id == "",
            snapshots.c.snapshot_type == kind.value,
            in_range(snapshots.c.snapshot_date, start, end),
        )
    )
    return {
        row[0]: Freshness(
            computed_at=row[1],
            version=None if row[2] is None else int(row[2]),
            time_zone=row[3],
            sla_target_seconds=None if row[4] is None else float(row[4]),
            business_hours=row[5],
            pending=int(row[6] or 0),
            pending_latest_s0_us=int(row[7] or 0),
            drop_candidates=int(row[8] or 0),
            drop_candidates_latest_us=int(row[9] or 0),
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
                in_range(snapshots.c.snapshot_date, start, end),
                snapshots.c.computed_at > after,
            )
        )
    ]
