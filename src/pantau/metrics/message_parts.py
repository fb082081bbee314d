"""Additive parts of the message figures (SPEC §7): counts per WhatsApp session, per pricing category, per failure
reason and per sender, of the messages created in a set of intervals. The parts of disjoint intervals add up to the
parts of their union, so whole past buckets come from snapshots and only the edge is counted live; WhatsApp
performance, business impact and agent productivity read them the same way either way.

A message's bucket is its own `created_at` (not its conversation's). Its delivery status can still change after
the bucket is stored; runs recompute the look-back (`AGGREGATION_LOOKBACK_HOURS`) for that, and a status that
arrives later still reaches the snapshots by a backfill.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from pantau.core import numbers
from pantau.core.sql import microseconds_between
from pantau.metrics.facts import count_where
from pantau.models import Conversation, Message

conversations = Conversation.__table__
messages = Message.__table__

SENT = ("sent", "delivered", "read")
DELIVERED = ("delivered", "read")
# What WhatsApp accepted (sent or further) or refused: the delivery rate's denominator.
ATTEMPTED = (*SENT, "failed")
# Per WhatsApp session: outbound messages, and those queued, sent (or further), delivered (or read), read, failed.
SESSION_COUNTS = ("total", "queued", "sent", "delivered", "read", "failed")
_FAILED = SESSION_COUNTS.index("failed")
NO_SESSION = ""


def _add_counts(mine: dict[str, int], theirs: dict[str, int]) -> None:
    for key, count in theirs.items():
        mine[key] = mine.get(key, 0) + count


def failure_key(error_code: int | None, error_title: str | None) -> str:
    """A failure reason as a dictionary key that survives JSON."""
    return json.dumps([error_code, error_title])


def failure_of(key: str) -> tuple[int | None, str | None]:
    error_code, error_title = json.loads(key)
    return error_code, error_title


@dataclass(slots=True)
class MessageParts:
    outbound: dict[str, list[int]] = field(default_factory=dict)  # session id -> SESSION_COUNTS
    handed_over: int = 0  # outbound messages with a sent_at
    queue_wait_us: int = 0  # the sum of their waits (see `queue_wait`), whole microseconds
    billable_delivered: dict[str, int] = field(default_factory=dict)  # pricing category ('' for none) -> count
    failures: dict[str, int] = field(default_factory=dict)  # failure_key(code, title) -> failed outbound messages
    sent_by: dict[str, int] = field(default_factory=dict)  # person -> agent messages they sent

    def __iadd__(self, other: MessageParts) -> MessageParts:
        for session, counts in other.outbound.items():
            known = self.outbound.get(session, [0] * len(SESSION_COUNTS))
            self.outbound[session] = [mine + theirs for mine, theirs in zip(known, counts, strict=True)]
        self.handed_over += other.handed_over
        self.queue_wait_us += other.queue_wait_us
        _add_counts(self.billable_delivered, other.billable_delivered)
        _add_counts(self.failures, other.failures)
        _add_counts(self.sent_by, other.sent_by)
        return self

    def __add__(self, other: MessageParts) -> MessageParts:
        total = MessageParts()
        total += self
        total += other
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "outbound": self.outbound,
            "handedOver": self.handed_over,
            "queueWaitUs": self.queue_wait_us,
            "billableDelivered": self.billable_delivered,
            "failures": self.failures,
            "sentBy": self.sent_by,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageParts:
        return cls(
            outbound={session: list(counts) for session, counts in data["outbound"].items()},
            handed_over=data["handedOver"],
            queue_wait_us=data["queueWaitUs"],
            billable_delivered=dict(data["billableDelivered"]),
            failures=dict(data["failures"]),
            sent_by=dict(data["sentBy"]),
        )

    def funnel(self) -> dict[str, int]:
        """SESSION_COUNTS over every session."""
        totals = [sum(column) for column in zip(*self.outbound.values(), strict=True)] or [0] * len(SESSION_COUNTS)
        return dict(zip(SESSION_COUNTS, totals, strict=True))

    @property
    def delivery_rate(self) -> float | None:
        funnel = self.funnel()
        return delivery_rate(funnel["delivered"], funnel["sent"] + funnel["failed"])

    def sent_per_session(self) -> dict[str | None, int]:
        return {(None if session == NO_SESSION else session): counts[0] for session, counts in self.outbound.items()}


@dataclass(frozen=True)
class MessageGrouping:
    """Parts wanted per value of `keys`, over `source` (messages joined to their conversations, maybe more),
    restricted by `condition` (the scope, say)."""

    keys: list[ColumnElement]
    source: Any
    condition: ColumnElement[bool] | None = None


def delivery_rate(delivered: int, attempted: int) -> float | None:
    """The delivery rate, one definition for every section: outbound messages delivered (or read) over those
    attempted (sent or further, or failed), as a percentage; null when none was attempted."""
    return numbers.percentage(delivered, attempted)


def delivery_counts(status: ColumnElement[str]) -> list[ColumnElement[int]]:
    """The delivery rate's two counts over outbound messages with this `status`: delivered, attempted."""
    return [count_where(status.in_(DELIVERED)), count_where(status.in_(ATTEMPTED))]


def queue_wait(message: FromClause) -> ColumnElement[int]:
    """A handed-over message's wait in the queue, whole microseconds: `sent_at - created_at`, or 0 when `sent_at`
    comes first. The CRM writes `created_at` and WhatsApp's webhook gives `sent_at`, two clocks that can disagree
    by a fraction of a second; such a message was handed over at once, so it counts as a wait of 0 (still counted,
    so the mean stays the mean over every handed-over message), never as a negative wait that would cancel out
    another message's real one."""
    return case(
        (
            message.c.sent_at > message.c.created_at,
            microseconds_between(message.c.sent_at, message.c.created_at),
        ),
        else_=0,
    )


def messages_with_conversations() -> Any:
    return messages.join(conversations, messages.c.conversation_id == conversations.c.id)


def messages_with_their_conversations(connection: Connection) -> tuple[Any, FromClause]:
    """Messages joined to their conversations for a few hours of messages, and the conversation side of the join.

    Each conversation is looked up by its primary key, message by message. PostgreSQL would otherwise hash the whole
    conversations table to join a small share of it; a LATERAL subquery with LIMIT 1, joined ON true, is planned as
    one index look-up per message. SQLite joins that way anyway and has no LATERAL: there it is the plain join."""
    if connection.dialect.name != "postgresql":
        return messages_with_conversations(), conversations
    c = conversations.c
    conversation = (
        select(c.created_at, c.team_id, c.assigned_to, c.whatsapp_session_id)
        .where(c.id == messages.c.conversation_id)
        .limit(1)
        .lateral("conversation")
    )
    return messages.join(conversation, true()), conversation


def collect_message_parts(
    connection: Connection,
    created_in: ColumnElement[bool],
    groupings: list[MessageGrouping],
    *,
    conversation: FromClause = conversations,
) -> list[dict[tuple, MessageParts]]:
    """Message parts of the messages matching `created_in` (a condition on messages.created_at), per grouping and
    value of its keys (all groupings with as many keys), in one statement: a single pass over the messages, each row
    a group of messages alike in every detail a part is kept by (session, pricing category, failure, sender), with
    a detail left null where the message does not count in that part. The groupings' sources join the messages'
    conversations as `conversation`."""
    width = len(groupings[0].keys)
    statement, detail_count = message_parts_statement(created_in, groupings, conversation=conversation)
    collected: list[dict[tuple, MessageParts]] = [{} for _ in groupings]
    counted = width + 1 + detail_count
    for row in connection.execute(statement):
        parts = collected[row[0]].setdefault(tuple(row[1 : width + 1]), MessageParts())
        session, category, error_code, error_title, sender = row[width + 1 : counted]
        *funnel, handed, wait, billable_count, agent_count = (int(value) for value in row[counted:])
        if funnel[0]:
            known = parts.outbound.get(session)
            parts.outbound[session] = funnel if known is None else [a + b for a, b in zip(known, funnel, strict=True)]
            parts.handed_over += handed
            parts.queue_wait_us += wait
        if billable_count:
            parts.billable_delivered[category] = parts.billable_delivered.get(category, 0) + billable_count
        if failed_count := funnel[_FAILED]:
            reason = failure_key(error_code, error_title)
            parts.failures[reason] = parts.failures.get(reason, 0) + failed_count
        if agent_count:
            parts.sent_by[sender] = parts.sent_by.get(sender, 0) + agent_count
    return collected


def message_parts_statement(
    created_in: ColumnElement[bool], groupings: list[MessageGrouping], *, conversation: FromClause = conversations
) -> tuple[Any, int]:
    """The statement `collect_message_parts` runs, and how many detail columns follow each row's keys."""
    outbound = messages.c.direction == "outbound"
    status = messages.c.status
    handed_over = and_(outbound, messages.c.sent_at.is_not(None))
    billable = and_(outbound, status.in_(DELIVERED), messages.c.billable.is_(True))
    failed = and_(outbound, status == "failed")
    by_agent = and_(messages.c.sender_type == "agent", messages.c.sender_id.is_not(None))
    details = [
        case((outbound, func.coalesce(conversation.c.whatsapp_session_id, NO_SESSION))),
        case((billable, func.coalesce(messages.c.pricing_category, ""))),
        case((failed, messages.c.error_code)),
        case((failed, messages.c.error_title)),
        case((by_agent, messages.c.sender_id)),
    ]
    values = [
        count_where(outbound),
        count_where(and_(outbound, status == "queued")),
        count_where(and_(outbound, status.in_(SENT))),
        count_where(and_(outbound, status.in_(DELIVERED))),
        count_where(and_(outbound, status == "read")),
        count_where(failed),
        count_where(handed_over),
        func.coalesce(func.sum(case((handed_over, queue_wait(messages)))), 0),
        count_where(billable),
        count_where(by_agent),
    ]
    members: list[Select] = []
    for index, grouping in enumerate(groupings):
        keys = [key.label(f"key_{position}") for position, key in enumerate(grouping.keys)]
        labelled = [column.label(f"detail_{position}") for position, column in enumerate(details)]
        members.append(
            select(literal(index).label("grouping"), *keys, *labelled, *values)
            .select_from(grouping.source)
            .where(
                created_in,
                or_(outbound, by_agent),
                *([grouping.condition] if grouping.condition is not None else []),
            )
            .group_by(*keys, *labelled)
        )
    return (union_all(*members) if len(members) > 1 else members[0]), len(details)
