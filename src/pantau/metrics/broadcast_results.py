"""Broadcast results (SPEC §5.3 `broadcasts`, §5.7 `campaignConversion`): per broadcast, its outbound messages in
scope that carry a delivery status, by status, and `responded`, the distinct recipients who wrote back within 72
hours of their broadcast message.

A reply can come up to 72 hours after the last message, so a broadcast's result is final only then. The aggregation
runs store it per scope (`metrics.broadcast_store`) and keep recomputing it until its reply windows have closed; a
section reads the stored result of a broadcast whose windows had closed when it was computed, and counts the others
(the latest few, or all of them without snapshots) live. Either way the figures are the same.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, Connection, case, distinct, exists, func, select

from pantau.auth.scope import Scope, conversation_scopes
from pantau.auth.scope_sql import conversations_in_scope
from pantau.core.sql import plus_seconds
from pantau.metrics.facts import count_where, in_range
from pantau.metrics.message_parts import DELIVERED, SENT
from pantau.models import Broadcast, Conversation, Message, User

broadcasts = Broadcast.__table__
conversations = Conversation.__table__
messages = Message.__table__
users = User.__table__

REPLY_WINDOW = timedelta(hours=72)


@dataclass(frozen=True)
class BroadcastOutcome:
    broadcast_id: str
    name: str
    total: int
    sent: int
    delivered: int
    read: int
    failed: int
    responded: int


def wrote_back_in_time() -> ColumnElement[bool]:
    """The broadcast message's recipient (its conversation's contact) sent an inbound message in any of their
    conversations strictly after it and at most 72 hours later."""
    reply = messages.alias("reply")
    reply_conversation = conversations.alias("reply_conversation")
    return exists().where(
        reply_conversation.c.contact_id == conversations.c.contact_id,
        reply.c.conversation_id == reply_conversation.c.id,
        reply.c.direction == "inbound",
        reply.c.created_at > messages.c.created_at,
        reply.c.created_at <= plus_seconds(messages.c.created_at, REPLY_WINDOW.total_seconds()),
    )


def responders_conversations(scope: Scope, broadcast_id: str) -> ColumnElement[bool]:
    """The conversations behind a broadcast's `responded` in the scope, one per recipient who wrote back in time: of
    the conversations holding a counted message of the broadcast that was answered within 72 hours, the recipient's
    first (by `created_at`, then id). A condition on the `conversations` table."""
    answered = (
        select(
            conversations.c.id,
            func.row_number()
            .over(partition_by=conversations.c.contact_id, order_by=(conversations.c.created_at, conversations.c.id))
            .label("place"),
        )
        .select_from(messages.join(conversations, messages.c.conversation_id == conversations.c.id))
        .where(
            messages.c.broadcast_id == broadcast_id,
            *_counted(),
            conversations_in_scope(scope),
            wrote_back_in_time(),
        )
        .subquery("answered")
    )
    return conversations.c.id.in_(select(answered.c.id).where(answered.c.place == 1))


def _counted() -> list[ColumnElement[bool]]:
    """The messages a broadcast's result counts: outbound, with a delivery status."""
    return [messages.c.direction == "outbound", messages.c.status.is_not(None)]


class StoredResults(Protocol):
    """What `broadcast_results` reads the stored results through, in its scope (`metrics.parts_source.PartsSource`)."""

    connection: Connection
    scope: Scope

    def broadcast_outcomes(self, ids: list[str]) -> dict[str, tuple[int, ...] | None]: ...


def broadcast_results(
    parts: StoredResults, start: datetime, end: datetime, limit: int | None = None
) -> list[BroadcastOutcome]:
    """Broadcasts created in [start, end), latest first (created_at desc, then id), with a message in the parts'
    scope; the latest `limit` of them with a limit."""
    candidates = list(
        parts.connection.execute(
            select(broadcasts.c.id, broadcasts.c.name)
            .where(in_range(broadcasts.c.created_at, start, end))
            .order_by(broadcasts.c.created_at.desc(), broadcasts.c.id)
        )
    )
    stored = parts.broadcast_outcomes([broadcast_id for broadcast_id, _ in candidates])
    # With a limit, the latest `limit` are looked at first, and more only if some of those had no message in scope.
    chunk = max(limit or len(candidates), 1)
    results: list[BroadcastOutcome] = []
    for offset in range(0, len(candidates), chunk):
        batch = candidates[offset : offset + chunk]
        live = _live_results(parts, [broadcast_id for broadcast_id, _ in batch if broadcast_id not in stored])
        for broadcast_id, name in batch:
            counts = stored[broadcast_id] if broadcast_id in stored else live.get(broadcast_id)
            if counts is not None:  # none of its messages in scope: not listed
                results.append(BroadcastOutcome(broadcast_id, name, *counts))
        if limit is not None and len(results) >= limit:
            return results[:limit]
    return results


def _live_results(parts: StoredResults, ids: list[str]) -> dict[str, tuple[int, ...]]:
    if not ids:
        return {}
    status = messages.c.status
    recipient_who_wrote_back = case((wrote_back_in_time(), conversations.c.contact_id))
    rows = parts.connection.execute(
        select(
            messages.c.broadcast_id,
            func.count(),
            count_where(status.in_(SENT)),
            count_where(status.in_(DELIVERED)),
            count_where(status == "read"),
            count_where(status == "failed"),
            func.count(distinct(recipient_who_wrote_back)),
        )
        .select_from(messages.join(conversations, messages.c.conversation_id == conversations.c.id))
        .where(messages.c.broadcast_id.in_(ids), *_counted(), conversations_in_scope(parts.scope))
        .group_by(messages.c.broadcast_id)
    )
    return {row[0]: tuple(int(value) for value in row[1:]) for row in rows}


@dataclass
class _Tally:
    counts: list[int] = field(default_factory=lambda: [0] * 5)  # total, sent, delivered, read, failed
    responders: set[str] = field(default_factory=set)

    def add(self, status: str, contact_id: str, wrote_back: bool) -> None:
        self.counts[0] += 1
        self.counts[1] += status in SENT
        self.counts[2] += status in DELIVERED
        self.counts[3] += status == "read"
        self.counts[4] += status == "failed"
        if wrote_back:
            self.responders.add(contact_id)

    def result(self) -> tuple[int, ...]:
        return (*self.counts, len(self.responders))


@dataclass(frozen=True)
class ScopedResults:
    """What the aggregation stores for a set of broadcasts: per broadcast, per scope (org '', team, agent) the
    counts, and when the last reply window closes."""

    by_scope: dict[str, dict[tuple[str, str], tuple[int, ...]]]
    replies_close_at: dict[str, datetime]


def results_per_scope(connection: Connection, ids: list[str]) -> ScopedResults:
    """Each counted message once, its reply probed once, then spread over the organisation, its conversation's
    assignee, own team and assignee's team in Python (a distinct count does not add up across scopes)."""
    assignee = users.alias("assignee")
    rows = connection.execute(
        select(
            messages.c.broadcast_id,
            messages.c.created_at,
            messages.c.status,
            conversations.c.contact_id,
            conversations.c.team_id,
            conversations.c.assigned_to,
            assignee.c.team_id,
            case((wrote_back_in_time(), 1), else_=0),
        )
        .select_from(
            messages.join(conversations, messages.c.conversation_id == conversations.c.id).outerjoin(
                assignee, assignee.c.id == conversations.c.assigned_to
            )
        )
        .where(messages.c.broadcast_id.in_(ids), *_counted())
    )
    tallies: dict[str, dict[tuple[str, str], _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    latest: dict[str, datetime] = dict(
        connection.execute(select(broadcasts.c.id, broadcasts.c.created_at).where(broadcasts.c.id.in_(ids))).all()
    )
    for broadcast_id, created_at, status, contact_id, team_id, assigned_to, assignee_team, wrote_back in rows:
        latest[broadcast_id] = max(latest[broadcast_id], created_at)
        for scope_type, scope_id in conversation_scopes(team_id, assigned_to, assignee_team):
            tallies[broadcast_id][(scope_type.value, scope_id)].add(status, contact_id, bool(wrote_back))
    return ScopedResults(
        by_scope={
            broadcast_id: {scope: tally.result() for scope, tally in tallies[broadcast_id].items()}
            for broadcast_id in latest
        },
        replies_close_at={broadcast_id: moment + REPLY_WINDOW for broadcast_id, moment in latest.items()},
    )
