"""Contact history: a contact's first conversation in a scope, the one no other conversation of theirs in the same
scope precedes (earlier `created_at`, or the same and a smaller id). Counting first conversations per bucket is
additive, so snapshots keep it per scope (`firstContacts`); `newVsReturning` and `customerLifetimeValue` are made
of it (SPEC §5.4, §5.7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, FromClause, and_, case, exists, func, literal, not_, or_, select

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import conversations_in_scope
from pantau.dashboard.facts import count_where
from pantau.models import Conversation

if TYPE_CHECKING:
    from pantau.dashboard.parts_source import PartsSource

conversations = Conversation.__table__

SameScope = Callable[[FromClause], ColumnElement[bool]]


def is_first_conversation(conversation: FromClause, same_scope: SameScope) -> ColumnElement[bool]:
    """`conversation` (the table or an alias) is its contact's first among the conversations `same_scope` admits
    (called with the alias the earlier conversations are read through)."""
    earlier = conversations.alias("earlier")
    return not_(
        exists().where(
            earlier.c.contact_id == conversation.c.contact_id,
            or_(
                earlier.c.created_at < conversation.c.created_at,
                and_(earlier.c.created_at == conversation.c.created_at, earlier.c.id < conversation.c.id),
            ),
            same_scope(earlier),
        )
    )


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
    connection: Connection, scope: Scope, parts: PartsSource, start: datetime, end: datetime, *, repeat: bool = False
) -> RangeContacts:
    """New contacts are the range's first conversations (additive: snapshots and a live edge), so only the distinct
    count is live. Repeat contacts are the returning ones (seen before, and here again) plus the new ones with two
    conversations in the range: that needs a look at the history only for contacts with two or more in the range."""
    end = min(end, parts.now)
    if start >= end:
        return RangeContacts(0, 0, 0 if repeat else None)
    in_range = and_(
        conversations.c.created_at >= start, conversations.c.created_at < end, conversations_in_scope(scope)
    )
    per_contact = (
        select(conversations.c.contact_id, func.count().label("conversations"))
        .where(in_range)
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
