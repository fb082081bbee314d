"""Contact history: a contact's first conversation in a scope, the one no other conversation of theirs in the same
scope precedes (earlier `created_at`, or the same and a smaller id). Counting first conversations per bucket is
additive, so snapshots keep it per scope (`firstContacts`); `newVsReturning` and `customerLifetimeValue` are made
of it (SPEC §5.4, §5.7).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, FromClause, and_, exists, not_, or_

from pantau.models import Conversation

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
