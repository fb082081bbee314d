"""What an hourly or daily run rewrites (see `jobs.aggregate`), made of fresh parts and of parts already stored.

A run computes afresh the buckets of its own kind that it must (the look-back, and older buckets whose conversations
moved) and writes them. The ended buckets of the kind above that hold them are written too, so readers can keep
reading one row for them; each is the sum of its buckets of the run's kind, the fresh ones and, for the others, the
rows stored for them: parts add up, so nothing else needs computing again. Stored rows stand in only when they can:
an organisation row for every one of those buckets, computed in the current time zone (a row of another zone, or
of none recorded, is never summed into a bucket of this one), of the current parts version and SLA target, whose
conversation parts settle at the run's time (`ConversationParts.settled_at`: no wait or bot conversation still to
cross its threshold unseen; every scope's parts are a share of the organisation's, so they settle too). When they
cannot, the bucket above is computed whole, as a backfill would.

Ended buckets above whose conversations moved but lie wholly before the look-back get fresh conversation parts only,
keeping the first contacts and message parts they hold (`store_rows`), and only in the rows of the scopes the moved
conversations are in, bucket by bucket: the other rows of those buckets hold none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Engine, select

from pantau.core.business_time import BusinessCalendar
from pantau.core.database import read_side_by_side
from pantau.core.sql import UPSERT_BATCH
from pantau.metrics.broadcast_store import broadcasts_created, write_broadcast_results
from pantau.metrics.buckets import bucket_start, buckets_between, next_bucket_start
from pantau.metrics.contact_history import ContactParts
from pantau.metrics.message_parts import MessageParts
from pantau.metrics.parts import ConversationParts
from pantau.metrics.parts_version import PARTS_VERSION
from pantau.metrics.snapshots import (
    BucketParts,
    ScopeKey,
    hourly_parts,
    roll_up,
    snapshots,
    store_rows,
)
from pantau.models.enums import ScopeType, SnapshotType

Parts = dict[ScopeKey, dict[datetime, BucketParts]]


@dataclass(frozen=True)
class Rewrite:
    """What one run rewrites: buckets of its kind, and of the kind above."""

    kind: SnapshotType
    above: SnapshotType
    fresh: set[datetime]  # computed and written in full
    ended: set[datetime]  # above: written in full, of fresh and stored buckets
    moved: set[datetime]  # before the look-back: fresh conversation parts only
    moved_above: set[datetime]  # above, holding them: conversation parts only
    # Per moved bucket, the scopes its moved conversations are in: the only rows of it whose parts can change.
    moved_scopes: dict[datetime, set[ScopeKey]]


def write_rewrite(
    connection: Connection,
    rewrite: Rewrite,
    *,
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None = None,
    readers: Engine | None = None,
) -> tuple[int, int]:
    """Write what the run rewrites; (buckets, rows) written. `readers`: see `hourly_parts`."""
    kind, above = rewrite.kind, rewrite.above
    fresh, moved = set(rewrite.fresh), set(rewrite.moved)
    scopes = {bucket: rewrite.moved_scopes.get(bucket, set()) for bucket in moved}
    scopes_above: dict[datetime, set[ScopeKey]] = {}
    for bucket, its_scopes in scopes.items():
        scopes_above.setdefault(bucket_start(above, bucket, zone), set()).update(its_scopes)
    any_scope = set().union(*scopes.values())

    def inside(holder: datetime) -> set[datetime]:
        """The buckets of the run's kind that make up a bucket above."""
        return set(buckets_between(kind, holder, next_bucket_start(above, holder, zone), zone))

    def others(buckets_above: set[datetime], computed: set[datetime]) -> set[datetime]:
        return {bucket for holder in buckets_above for bucket in inside(holder) - computed if bucket < now}

    stored_full, unusable = _stored_parts(
        connection,
        kind,
        others(rewrite.ended, fresh),
        now=now,
        zone=zone,
        sla_target_seconds=sla_target_seconds,
        calendar=calendar,
    )
    stored_moved, unusable_moved = _stored_parts(
        connection,
        kind,
        others(rewrite.moved_above, moved),
        now=now,
        zone=zone,
        sla_target_seconds=sla_target_seconds,
        calendar=calendar,
        conversations_only=True,
        scopes=any_scope,
    )
    # A bucket above with a stored bucket that cannot stand in is computed whole.
    for holder in {bucket_start(above, bucket, zone) for bucket in unusable}:
        fresh |= inside(holder)
    recompute_moved = set(moved)
    for holder in {bucket_start(above, bucket, zone) for bucket in unusable_moved}:
        recompute_moved |= inside(holder)

    options: dict[str, Any] = {"now": now, "zone": zone, "sla_target_seconds": sla_target_seconds, "calendar": calendar}
    timing: dict[str, Any] = {**options, "readers": readers}
    # The fresh buckets and the moved ones are computed side by side when the run may read so.
    computed = read_side_by_side(
        connection,
        {
            "full": lambda reader: _computed(reader, kind, fresh, **timing),
            "moved": lambda reader: _computed(
                reader, kind, recompute_moved, conversations_only=True, scopes=any_scope, **timing
            ),
        },
        readers,
    )
    full, conversations = computed["full"], computed["moved"]
    rows = store_rows(connection, kind, sorted(fresh), full, **options)
    rows += store_rows(
        connection, above, sorted(rewrite.ended), roll_up(above, _merged(full, stored_full), zone), **options
    )
    if recompute_moved:
        rows += store_rows(
            connection, kind, sorted(moved), conversations, **options, conversations_only=True, scopes=scopes
        )
        made = roll_up(above, _merged(conversations, stored_moved), zone)
        rows += store_rows(
            connection,
            above,
            sorted(rewrite.moved_above),
            made,
            **options,
            conversations_only=True,
            scopes=scopes_above,
        )
    rows += write_broadcast_results(connection, broadcasts_created(connection, _spans(kind, fresh, now, zone)), now)
    return len(fresh) + len(rewrite.ended) + len(moved) + len(rewrite.moved_above), rows


def _spans(
    kind: SnapshotType, buckets: set[datetime], now: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The buckets as few spans as they make, each up to `now` at most."""
    spans: list[tuple[datetime, datetime]] = []
    for bucket in sorted(buckets):
        end = min(next_bucket_start(kind, bucket, zone), now)
        if spans and spans[-1][1] == bucket:
            spans[-1] = (spans[-1][0], end)
        elif bucket < now:
            spans.append((bucket, end))
    return spans


def _computed(
    connection: Connection,
    kind: SnapshotType,
    buckets: set[datetime],
    *,
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None = None,
    conversations_only: bool = False,
    scopes: set[ScopeKey] | None = None,
    readers: Engine | None = None,
) -> Parts:
    spans = _spans(kind, buckets, now, zone)
    if not spans:
        return {}
    hours = hourly_parts(
        connection,
        spans,
        now=now,
        zone=zone,
        sla_target_seconds=sla_target_seconds,
        calendar=calendar,
        conversations_only=conversations_only,
        scopes=scopes,
        readers=readers,
    )
    return roll_up(kind, hours, zone)


def _merged(computed: Parts, stored: Parts) -> Parts:
    """Stored and computed parts together; computed ones where both have a bucket."""
    merged: Parts = {scope: dict(buckets) for scope, buckets in stored.items()}
    for scope, buckets in computed.items():
        merged.setdefault(scope, {}).update(buckets)
    return merged


def _stored_parts(
    connection: Connection,
    kind: SnapshotType,
    buckets: set[datetime],
    *,
    now: datetime,
    zone: ZoneInfo,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None = None,
    conversations_only: bool = False,
    scopes: set[ScopeKey] | None = None,
) -> tuple[Parts, set[datetime]]:
    """The stored parts of these buckets, settled at `now` (with `conversations_only`, their conversation parts
    alone, for these `scopes`); and the buckets whose rows cannot stand in for a fresh computation."""
    wanted = sorted(buckets)
    columns: list[ColumnElement[Any]] = [
        snapshots.c.scope_type,
        snapshots.c.scope_id,
        snapshots.c.snapshot_date,
        snapshots.c.metrics,
    ]
    if not conversations_only:
        columns += [snapshots.c.message_metrics, snapshots.c.contact_metrics]
    found: Parts = {}
    usable: set[datetime] = set()
    unusable: set[datetime] = set()
    for offset in range(0, len(wanted), UPSERT_BATCH):
        rows = connection.execute(
            select(*columns).where(
                snapshots.c.snapshot_type == kind.value,
                snapshots.c.snapshot_date.in_(wanted[offset : offset + UPSERT_BATCH]),
            )
        )
        row: Any  # JSON documents and the columns of the select above
        for row in rows:
            scope_type, scope_id, bucket, metrics, *documents = row
            scope = (ScopeType(scope_type), scope_id)
            if scope_type == ScopeType.org.value:
                current = (
                    metrics.get("version") == PARTS_VERSION
                    and metrics.get("timeZone") == zone.key
                    and metrics.get("slaTargetSeconds") == sla_target_seconds
                    and metrics.get("businessHours") == (None if calendar is None else calendar.key)
                    and None not in documents
                )
                (usable if current else unusable).add(bucket)
            elif conversations_only and scopes is not None and scope not in scopes:
                continue
            if bucket in unusable:
                continue
            if metrics.get("version") != PARTS_VERSION:
                # Parts of another version are another set of parts, perhaps without today's: never decoded.
                unusable.add(bucket)
                continue
            conversations = ConversationParts.from_json(metrics["conversations"]).settled_at(
                now, sla_target_seconds, calendar
            )
            if conversations is None:
                unusable.add(bucket)
                continue
            parts = BucketParts(conversations)
            if not conversations_only:
                parts.first_contacts = metrics["firstContacts"]
                parts.messages = MessageParts.from_json(documents[0])
                parts.contacts = ContactParts.from_json(documents[1])
            found.setdefault(scope, {})[bucket] = parts
    unusable |= buckets - usable  # no organisation row: never computed
    usable_parts = {
        scope: {bucket: parts for bucket, parts in buckets.items() if bucket not in unusable}
        for scope, buckets in found.items()
    }
    return usable_parts, unusable
