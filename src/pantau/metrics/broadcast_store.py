"""The stored broadcast results per scope (see `metrics.broadcast_results`), written by the aggregation runs and
read by the sections: rewritten whole per broadcast, an organisation row for every broadcast computed (even one
without messages), so a missing team or agent row means none of its messages is in that scope."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, select

from pantau.core.sql import UPSERT_BATCH, upsert
from pantau.metrics.broadcast_results import REPLY_WINDOW, results_per_scope
from pantau.metrics.facts import in_ranges
from pantau.models import Broadcast, BroadcastResult
from pantau.models.enums import ScopeType

broadcasts = Broadcast.__table__
results = BroadcastResult.__table__
COUNTS = ("total", "sent", "delivered", "read", "failed", "responded")


def broadcasts_created(connection: Connection, spans: list[tuple[datetime, datetime]]) -> list[str]:
    if not spans:
        return []
    created_in = in_ranges(broadcasts.c.created_at, spans)
    return list(connection.execute(select(broadcasts.c.id).where(created_in).order_by(broadcasts.c.id)).scalars())


def closing_broadcasts(connection: Connection, before: datetime, now: datetime, lookback_hours: float) -> list[str]:
    """Broadcasts created before `before` whose reply windows may have closed since the look-back began: a run
    recomputes them so their results become final."""
    since = now - REPLY_WINDOW - timedelta(hours=lookback_hours)
    return broadcasts_created(connection, [(since, before)]) if since < before else []


def write_broadcast_results(connection: Connection, ids: list[str], now: datetime) -> int:
    """Recompute the results of these broadcasts for every scope; returns the rows written."""
    written = 0
    for offset in range(0, len(ids), UPSERT_BATCH):
        batch = ids[offset : offset + UPSERT_BATCH]
        found = results_per_scope(connection, batch)
        rows = []
        for broadcast_id, per_scope in found.by_scope.items():
            per_scope.setdefault((ScopeType.org.value, ""), (0,) * len(COUNTS))
            for (scope_type, scope_id), counts in per_scope.items():
                rows.append(
                    {
                        "broadcast_id": broadcast_id,
                        "scope_type": scope_type,
                        "scope_id": scope_id,
                        **dict(zip(COUNTS, counts, strict=True)),
                        "replies_close_at": found.replies_close_at[broadcast_id],
                        "computed_at": now,
                    }
                )
        # Upserted, not deleted and inserted: runs of two kinds (hourly and daily at midnight) may recompute the same
        # broadcast at once, and the second then updates what the first wrote instead of colliding with it.
        upsert(
            connection,
            results,
            rows,
            conflict_columns=["broadcast_id", "scope_type", "scope_id"],
            update_columns=[*COUNTS, "replies_close_at", "computed_at"],
        )
        # Scopes that had a row and have none now.
        connection.execute(delete(results).where(results.c.broadcast_id.in_(batch), results.c.computed_at != now))
        written += len(rows)
    return written


def stored_broadcast_results(
    connection: Connection, ids: list[str], scope_type: ScopeType, scope_id: str
) -> dict[str, tuple[int, ...] | None]:
    """Broadcast id -> its stored counts in the scope (None: no message of it there), for the broadcasts whose
    organisation row was computed once every reply window had closed; the others are not in the answer."""
    organisation, mine = results.alias("organisation"), results.alias("mine")
    found: dict[str, tuple[int, ...] | None] = {}
    for offset in range(0, len(ids), UPSERT_BATCH):
        rows = connection.execute(
            select(organisation.c.broadcast_id, *(mine.c[name] for name in COUNTS))
            .select_from(
                organisation.outerjoin(
                    mine,
                    and_(
                        mine.c.broadcast_id == organisation.c.broadcast_id,
                        mine.c.scope_type == scope_type.value,
                        mine.c.scope_id == scope_id,
                    ),
                )
            )
            .where(
                organisation.c.broadcast_id.in_(ids[offset : offset + UPSERT_BATCH]),
                organisation.c.scope_type == ScopeType.org.value,
                organisation.c.scope_id == "",
                organisation.c.computed_at >= organisation.c.replies_close_at,
            )
        )
        for broadcast_id, *counts in rows:
            # No row in the scope, or an empty organisation row (a broadcast without messages): not listed.
            found[broadcast_id] = tuple(counts) if counts[0] else None
    return found
