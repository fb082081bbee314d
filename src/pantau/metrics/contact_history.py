"""Contact history: a contact's first conversation in a scope, the one no other conversation of theirs in the same
scope precedes (earlier `created_at`, or the same and a smaller id). Counting first conversations per bucket is
additive, so snapshots keep it per scope (`firstContacts`); `newVsReturning` and `customerLifetimeValue` are made
of it (SPEC §5.4, §5.7).

The distinct contacts of a range do not add up across buckets, but one thing per conversation does: the local day of
its contact's previous conversation in the scope. A contact is in a range [start, end) once, at its first
conversation there, which is the one whose previous conversation lies before `start` (or that has none: a new
contact). So snapshots keep, per bucket and scope, how many conversations had their previous one on each local day,
and how many were their contact's second, per the day of the first (`ContactParts`); a range that starts at a local
midnight then adds up exactly from them plus its live edge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, FromClause, and_, case, exists, func, literal, not_, or_, select

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import conversations_in_scope
from pantau.core.windows import local_date
from pantau.metrics.facts import cohort_in_scope, count_where
from pantau.models import Conversation

conversations = Conversation.__table__

SameScope = Callable[[FromClause], ColumnElement[bool]]


def _before(earlier: FromClause, conversation: FromClause) -> ColumnElement[bool]:
    """Same contact, and created earlier (or at the same instant with a smaller id)."""
    return and_(
        earlier.c.contact_id == conversation.c.contact_id,
        or_(
            earlier.c.created_at < conversation.c.created_at,
            and_(earlier.c.created_at == conversation.c.created_at, earlier.c.id < conversation.c.id),
        ),
    )


def is_first_conversation(conversation: FromClause, same_scope: SameScope) -> ColumnElement[bool]:
    """`conversation` (the table or an alias) is its contact's first among the conversations `same_scope` admits
    (called with the alias the earlier conversations are read through)."""
    earlier = conversations.alias("earlier")
    return not_(exists().where(_before(earlier, conversation), same_scope(earlier)))


def previous_conversation_at(conversation: FromClause, same_scope: SameScope) -> ColumnElement:
    """When the contact's latest conversation before `conversation` in the scope was created; null for a first."""
    earlier = conversations.alias("earlier")
    return (
        select(func.max(earlier.c.created_at))
        .where(_before(earlier, conversation), same_scope(earlier))
        .scalar_subquery()
    )


def is_second_conversation(conversation: FromClause, same_scope: SameScope) -> ColumnElement[bool]:
    """Exactly one conversation of the contact in the scope precedes `conversation` (a contact has a few: one
    count over its history is cheaper than asking whether an earlier one has one before it)."""
    earlier = conversations.alias("earlier")
    return select(func.count()).where(_before(earlier, conversation), same_scope(earlier)).scalar_subquery() == 1


def repeat_customers_conversations(scope: Scope, start: datetime, end: datetime) -> ColumnElement[bool]:
    """One conversation per repeat customer of [start, end) in the scope (`RangeContacts.repeat`, with `end` no later
    than now): the contact's first conversation of the range, when the contact has another one in the scope created
    before `end` (earlier, or later in the range). A condition on the `conversations` table."""
    another = conversations.alias("another")
    return and_(
        cohort_in_scope(scope, start, end),
        is_first_conversation(
            conversations,
            lambda earlier: and_(earlier.c.created_at >= start, conversations_in_scope(scope, earlier)),
        ),
        exists().where(
            another.c.contact_id == conversations.c.contact_id,
            another.c.id != conversations.c.id,
            another.c.created_at < end,
            conversations_in_scope(scope, another),
        ),
    )


@dataclass(slots=True)
class ContactParts:
    """Of a bucket's conversations in a scope: per local day (ISO date), how many had their contact's previous
    conversation in the scope on that day, and how many were the contact's second, per the day of the first."""

    previous_on: dict[str, int] = field(default_factory=dict)
    second_after_first_on: dict[str, int] = field(default_factory=dict)

    def __iadd__(self, other: ContactParts) -> ContactParts:
        for mine, theirs in (
            (self.previous_on, other.previous_on),
            (self.second_after_first_on, other.second_after_first_on),
        ):
            for day, count in theirs.items():
                mine[day] = mine.get(day, 0) + count
        return self

    def add(self, previous_at: datetime | None, second: bool, zone: ZoneInfo) -> None:
        """Count one conversation, its previous one created at `previous_at`."""
        if previous_at is None:
            return
        day = local_date(previous_at, zone).isoformat()
        self.previous_on[day] = self.previous_on.get(day, 0) + 1
        if second:
            self.second_after_first_on[day] = self.second_after_first_on.get(day, 0) + 1

    def returning_from(self, start_day: date) -> int:
        """Conversations that are their contact's first since `start_day` and not its first ever."""
        return sum(count for day, count in self.previous_on.items() if day < start_day.isoformat())

    def second_since(self, start_day: date) -> int:
        """Second conversations whose contact's first one is on or after `start_day`."""
        return sum(count for day, count in self.second_after_first_on.items() if day >= start_day.isoformat())

    def to_json(self) -> dict:
        return {"previousOn": self.previous_on, "secondAfterFirstOn": self.second_after_first_on}

    @classmethod
    def from_json(cls, data: dict) -> ContactParts:
        return cls(dict(data["previousOn"]), dict(data["secondAfterFirstOn"]))


class RangeParts(Protocol):
    """What `range_contacts` reads a range's stored and live parts through (`metrics.parts_source.PartsSource`)."""

    now: datetime
    zone: ZoneInfo

    def first_contacts(self, start: datetime, end: datetime) -> int: ...

    def contact_parts(self, start: datetime, end: datetime) -> ContactParts | None: ...


@dataclass(frozen=True)
class RangeContacts:
    """The contacts with a conversation in scope created in a range (up to now)."""

    contacts: int
    new: int  # their first conversation in scope lies in the range
    repeat: int | None  # with at least 2 conversations in scope created up to the range's end (None: not asked)

    @property
    def returning(self) -> int:
        """Seen before the range: every contact in it is new or returning."""
        return self.contacts - self.new


def range_contacts(
    connection: Connection, scope: Scope, parts: RangeParts, start: datetime, end: datetime, *, repeat: bool = False
) -> RangeContacts:
    """New contacts are the range's first conversations (additive: snapshots and a live edge), so only the distinct
    count is live. Repeat contacts are the returning ones (seen before, and here again) plus the new ones with two
    conversations in the range: that needs a look at the history only for contacts with two or more in the range."""
    end = min(end, parts.now)
    if start >= end:
        return RangeContacts(0, 0, 0 if repeat else None)
    history = parts.contact_parts(start, end)
    if history is not None:
        new = parts.first_contacts(start, end)
        start_day = local_date(start, parts.zone)
        returning = history.returning_from(start_day)
        return RangeContacts(new + returning, new, returning + history.second_since(start_day) if repeat else None)
    cohort = cohort_in_scope(scope, start, end)
    per_contact = (
        select(conversations.c.contact_id, func.count().label("conversations"))
        .where(cohort)
        .group_by(conversations.c.contact_id)
        .subquery("per_contact")
    )
    earlier = conversations.alias("earlier")
    seen_before = exists().where(
        earlier.c.contact_id == per_contact.c.contact_id,
        earlier.c.created_at < start,
        conversations_in_scope(scope, earlier),
    )
    several = per_contact.c.conversations >= 2
    # CASE: the history is looked at only for contacts with several conversations in the range.
    several_seen_before = case((several, case((seen_before, 1), else_=0)), else_=0)
    contacts, with_several, several_and_seen = connection.execute(
        select(
            func.count(),
            count_where(several) if repeat else literal(0),
            func.coalesce(func.sum(several_seen_before), 0) if repeat else literal(0),
        ).select_from(per_contact)
    ).one()
    new = parts.first_contacts(start, end)
    return RangeContacts(
        contacts=contacts,
        new=new,
        repeat=(contacts - new) + (with_several - several_and_seen) if repeat else None,
    )
