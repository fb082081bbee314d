"""The version of the stored parts, derived from what the parts are: never numbered by hand.

A snapshot row records the version its parts were written under, and readers take a row only when that is the
current one (`metrics.snapshots`, `metrics.parts_source`, `aggregation.rewrite`). The version is a digest of the
parts' declaration: the name of every stored part and document key, and the SQL each part is computed with (the
conversation facts and their part columns, the intent counts, the message parts' statement, the contact history's
look-ups), compiled for one fixed dialect. Adding, renaming or redefining a part gives another version, so rows
written before the change are never read as if they held it: the figures fall back to a live count until a run or a
backfill rewrites those buckets (see docs/decisions.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import Subquery

from pantau.metrics.contact_history import ContactParts, is_second_conversation, previous_conversation_at
from pantau.metrics.facts import conversation_facts, count_where
from pantau.metrics.message_parts import (
    SESSION_COUNTS,
    MessageGrouping,
    MessageParts,
    message_parts_statement,
    messages_with_conversations,
)
from pantau.metrics.parts import (
    DELAY_BUCKETS,
    DROP_OFF_AFTER,
    ConversationParts,
    conversation_conditions,
    conversation_part_columns,
)
from pantau.models import Conversation, Message

# The hand-numbered versions rows were written under before the version was derived went up to 3; a derived one is
# always above them.
FIRST_DERIVED_VERSION = 1_000

# Fixed arguments for compiling the parts' SQL: bound as parameters, so their values do not show in the text.
_SOME_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
_SOME_TARGET = 300.0

PartColumns = Callable[..., list]


def _sql(statement: Any) -> str:
    return str(statement.compile(dialect=sqlite.dialect()))


def parts_declaration(
    conversation_parts: type = ConversationParts, part_columns: PartColumns = conversation_part_columns
) -> dict[str, Any]:
    """What the stored parts are: names and the SQL that computes them (the arguments exist for tests that declare
    one part more or one defined otherwise)."""
    facts: Subquery = conversation_facts(true(), name="snapshot_facts", with_message_counts=True)
    counted = conversation_conditions(facts, _SOME_MOMENT, _SOME_TARGET)
    conversations = Conversation.__table__
    messages = Message.__table__
    message_statement, _ = message_parts_statement(
        messages.c.created_at >= _SOME_MOMENT,
        [MessageGrouping([conversations.c.team_id], messages_with_conversations())],
    )

    def one_scope(earlier) -> ColumnElement[bool]:
        return earlier.c.team_id == conversations.c.team_id

    return {
        "conversations": {
            "parts": [part.name for part in fields(conversation_parts)],
            "delays": [[name, lower, upper] for name, lower, upper in DELAY_BUCKETS],
            "dropOffAfterSeconds": DROP_OFF_AFTER.total_seconds(),
            "sql": _sql(select(*part_columns(facts, _SOME_MOMENT, _SOME_TARGET))),
            "intents": _sql(select(facts.c.intent, func.count(), count_where(counted.resolved_by_bot))),
        },
        "firstContacts": _sql(select(previous_conversation_at(conversations, one_scope))),
        "messages": {
            "parts": sorted(MessageParts().to_json()),
            "sessionCounts": list(SESSION_COUNTS),
            "sql": _sql(message_statement),
        },
        "contacts": {
            "parts": sorted(ContactParts().to_json()),
            "sql": _sql(
                select(
                    previous_conversation_at(conversations, one_scope),
                    is_second_conversation(conversations, one_scope),
                )
            ),
        },
    }


def version_of(declaration: dict[str, Any]) -> int:
    """A number for a declaration: the same one in every process, another one for another declaration."""
    digest = hashlib.sha256(json.dumps(declaration, sort_keys=True).encode()).hexdigest()
    return FIRST_DERIVED_VERSION + int(digest[:8], 16)


PARTS_VERSION = version_of(parts_declaration())
