"""Writing the data contract's rows: the one place ingest changes them, whoever asks (the events API, the webhook,
a CSV import of the same columns).

Each function is idempotent and never moves a fact backwards: a row is created once and then only completed or
updated; a resolved conversation stays resolved when a late `opened` arrives; an escalation keeps its first time.
Every function takes a connection inside the caller's transaction and says what it did (`RowChange`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, case, exists, func, insert, literal, or_, select, update

from pantau.ingest.locks import insert_all_unless_present, insert_unless_present
from pantau.models import AgentActivityLog, Contact, Conversation, Message, WhatsappSession
from pantau.models.crm import Broadcast, Lead, Team, Ticket, User
from pantau.models.enums import ConversationStatus, ReferentKind, SessionStatus

_conversations = Conversation.__table__
_messages = Message.__table__
_contacts = Contact.__table__
_sessions = WhatsappSession.__table__
_activity = AgentActivityLog.__table__

ACTIVE = (ConversationStatus.open, ConversationStatus.pending)
FINISHED = (ConversationStatus.resolved, ConversationStatus.closed)


@dataclass(frozen=True)
class RowChange:
    created: bool = False
    changed: bool = False

    @property
    def anything(self) -> bool:
        return self.created or self.changed


UNCHANGED = RowChange()


class MissingColumn(ValueError):
    """A row would lack a column it cannot be stored without; the message starts with the column's name."""


@dataclass(frozen=True)
class RowTable:
    """A data contract table written by upsert: the columns a new row needs, and whether it has `created_at`."""

    table: Table
    required: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.table.name


TEAMS = RowTable(Team.__table__, ("name",))
USERS = RowTable(User.__table__, ("email", "full_name", "role"))
CONTACTS = RowTable(_contacts, ())
WHATSAPP_SESSIONS = RowTable(_sessions, ("phone_number", "status"))
BROADCASTS = RowTable(Broadcast.__table__, ("name",))
TICKETS = RowTable(Ticket.__table__, ("priority", "status"))
LEADS = RowTable(Lead.__table__, ("status",))


def row_exists(connection: Connection, table: Table, column_name: str, value: str) -> bool:
    return bool(connection.execute(select(exists().where(table.c[column_name] == value))).scalar())


def upsert_row(
    connection: Connection, target: RowTable, values: dict[str, Any], *, created_at: datetime, fill_only: bool = False
) -> RowChange:
    """Create the row `values["id"]` or update the columns given. `created_at` is the new row's default creation time.

    With `fill_only`, an existing row only gets the columns it still lacks: the values are older than ones already
    applied (a late event) and must not overwrite them.
    """
    table = target.table
    row_id = values["id"]
    row_name = f"{target.name.removesuffix('s')} {row_id}"
    current = connection.execute(select(table).where(table.c.id == row_id)).mappings().first()
    for column in target.required:
        if current is None and values.get(column) is None:
            raise MissingColumn(f"{column}: required to create {row_name}")
        if column in values and values[column] is None:
            raise MissingColumn(f"{column}: {row_name} cannot be without one")
    if current is None:
        row = dict(values)
        if "created_at" in table.c and row.get("created_at") is None:
            row["created_at"] = created_at
        connection.execute(insert(table).values(**row))
        return RowChange(created=True)
    if fill_only:
        updates = {name: value for name, value in values.items() if current[name] is None and value is not None}
    else:
        updates = {name: value for name, value in values.items() if name != "id" and current[name] != value}
    if not updates:
        return UNCHANGED
    connection.execute(update(table).where(table.c.id == row_id).values(**updates))
    return RowChange(changed=True)


def open_conversation(connection: Connection, values: dict[str, Any], created_at: datetime) -> RowChange:
    """A new open conversation; one that exists already only gets the details it lacks (its status, assignment and
    times come from the events that changed them, whatever order they arrived in)."""
    conversation_id = values["id"]
    row = {"status": ConversationStatus.open, "created_at": created_at, **values}
    if insert_unless_present(connection, _conversations, row, ["id"]):
        return RowChange(created=True)
    current = connection.execute(select(_conversations).where(_conversations.c.id == conversation_id)).mappings().one()
    updates = {name: value for name, value in values.items() if current[name] is None and value is not None}
    if values.get("handled_by_bot") and not current["handled_by_bot"]:
        updates["handled_by_bot"] = True
    if not updates:
        return UNCHANGED
    connection.execute(update(_conversations).where(_conversations.c.id == conversation_id).values(**updates))
    return RowChange(changed=True)


def _update_conversation(connection: Connection, conversation_id: str, values: dict, *conditions) -> RowChange:
    result = connection.execute(
        update(_conversations).where(_conversations.c.id == conversation_id, *conditions).values(values)
    )
    return RowChange(changed=result.rowcount > 0)


def assign_conversation(connection: Connection, conversation_id: str, assignment: dict[str, Any]) -> RowChange:
    """Set `team_id` and/or `assigned_to` (null unassigns)."""
    differs = [_conversations.c[name].is_distinct_from(value) for name, value in assignment.items()]
    return _update_conversation(connection, conversation_id, assignment, or_(*differs))


def escalate_conversation(connection: Connection, conversation_id: str, at: datetime) -> RowChange:
    """The bot handed over at `at`; a conversation keeps its first hand-off."""
    column = _conversations.c.escalated_at
    return _update_conversation(connection, conversation_id, {column: at}, or_(column.is_(None), column > at))


def finish_conversation(
    connection: Connection, conversation_id: str, status: ConversationStatus, at: datetime
) -> RowChange:
    """Resolved or closed at `at`. `resolved_at` is when it last entered resolved/closed: moving from resolved to
    closed keeps it."""
    status_column, resolved_at = _conversations.c.status, _conversations.c.resolved_at
    already_finished = and_(status_column.in_(FINISHED), resolved_at.is_not(None))
    values = {
        status_column: status,
        resolved_at: case((already_finished, resolved_at), else_=literal(at, resolved_at.type)),
    }
    return _update_conversation(connection, conversation_id, values, or_(status_column != status, ~already_finished))


def reopen_conversation(
    connection: Connection, conversation_id: str, status: ConversationStatus = ConversationStatus.open
) -> RowChange:
    """Active again: open (the customer's turn), or pending (waiting for the customer); `resolved_at` cleared."""
    status_column = _conversations.c.status
    values = {status_column: status, _conversations.c.resolved_at: None}
    return _update_conversation(
        connection,
        conversation_id,
        values,
        or_(status_column != status, _conversations.c.resolved_at.is_not(None)),
    )


def set_conversation_column(connection: Connection, conversation_id: str, name: str, value: Any) -> RowChange:
    """One descriptive column: the CSAT score, the bot's intent."""
    column = _conversations.c[name]
    return _update_conversation(connection, conversation_id, {column: value}, column.is_distinct_from(value))


def create_message(connection: Connection, values: dict[str, Any], created_at: datetime) -> RowChange:
    """A new message; one that exists already only gets the details it lacks (its delivery moves by statuses)."""
    message_id = values["id"]
    if insert_unless_present(connection, _messages, {"created_at": created_at, **values}, ["id"]):
        return RowChange(created=True)
    current = connection.execute(select(_messages).where(_messages.c.id == message_id)).mappings().one()
    updates = {
        name: value
        for name, value in values.items()
        if name != "status" and current[name] is None and value is not None
    }
    if not updates:
        return UNCHANGED
    connection.execute(update(_messages).where(_messages.c.id == message_id).values(**updates))
    return RowChange(changed=True)


def create_new_messages(
    connection: Connection, values: list[dict[str, Any]], created_at: list[datetime]
) -> set[tuple[ReferentKind, str]]:
    """`create_message` for messages of the same columns, in one statement, as far as they are new: the messages
    created (a message that exists already is left to `create_message`, to get the details it lacks)."""
    if not values:
        return set()
    new = [{"created_at": at, **columns} for columns, at in zip(values, created_at, strict=True)]
    return {(ReferentKind.message, key) for key in insert_all_unless_present(connection, _messages, new, "id")}


def open_new_conversations(
    connection: Connection, values: list[dict[str, Any]], created_at: list[datetime]
) -> set[tuple[ReferentKind, str]]:
    """`open_conversation` for conversations of the same columns, in one statement, as far as they are new: the
    conversations created (one that exists already is left to `open_conversation`, to get the details it lacks)."""
    if not values:
        return set()
    new = [
        {"status": ConversationStatus.open, "created_at": at, **columns}
        for columns, at in zip(values, created_at, strict=True)
    ]
    return {
        (ReferentKind.conversation, key) for key in insert_all_unless_present(connection, _conversations, new, "id")
    }


def message_id_by_whatsapp_id(connection: Connection, whatsapp_message_id: str) -> str | None:
    return connection.execute(
        select(_messages.c.id).where(_messages.c.whatsapp_message_id == whatsapp_message_id)
    ).scalar()


def record_agent_status(connection: Connection, agent_id: str, status: str, at: datetime) -> RowChange:
    """The agent is `status` from `at`: the period that covers `at` ends there and a new one starts, lasting until
    the next period already known (a late report slots into the timeline instead of cutting the current one)."""
    previous = connection.execute(
        select(_activity.c.id, _activity.c.status, _activity.c.ended_at)
        .where(_activity.c.agent_id == agent_id, _activity.c.started_at <= at)
        .order_by(_activity.c.started_at.desc(), _activity.c.id.desc())
        .limit(1)
    ).first()
    following = connection.execute(
        select(func.min(_activity.c.started_at)).where(_activity.c.agent_id == agent_id, _activity.c.started_at > at)
    ).scalar()
    covers = previous is not None and (previous.ended_at is None or previous.ended_at > at)
    if covers and previous.status == status:
        return UNCHANGED
    if covers:
        connection.execute(update(_activity).where(_activity.c.id == previous.id).values(ended_at=at))
    connection.execute(
        insert(_activity).values(
            id=str(uuid.uuid4()), agent_id=agent_id, status=status, started_at=at, ended_at=following
        )
    )
    return RowChange(created=True)


def ensure_whatsapp_session(
    connection: Connection, phone_number_id: str, display_phone_number: str, seen_at: datetime
) -> RowChange:
    """The WhatsApp number a webhook speaks for: created `connected` if unknown; its `last_seen_at` moves forward."""
    current = connection.execute(select(_sessions.c.last_seen_at).where(_sessions.c.id == phone_number_id)).first()
    if current is None:
        created = insert_unless_present(
            connection,
            _sessions,
            {
                "id": phone_number_id,
                "phone_number": "+" + display_phone_number.lstrip("+"),
                "status": SessionStatus.connected,
                "last_seen_at": seen_at,
            },
            ["id"],
        )
        if created:
            return RowChange(created=True)
    last_seen = _sessions.c.last_seen_at
    result = connection.execute(
        update(_sessions)
        .where(_sessions.c.id == phone_number_id, or_(last_seen.is_(None), last_seen < seen_at))
        .values(last_seen_at=seen_at)
    )
    return RowChange(changed=result.rowcount > 0)


def contact_by_phone(connection: Connection, phone_number: str) -> str | None:
    """The contact with this phone number (the earliest, should the CRM have stored it twice)."""
    return connection.execute(
        select(_contacts.c.id)
        .where(_contacts.c.phone_number == phone_number)
        .order_by(_contacts.c.created_at, _contacts.c.id)
        .limit(1)
    ).scalar()


def latest_active_conversation(connection: Connection, contact_id: str, session_id: str) -> str | None:
    return connection.execute(
        select(_conversations.c.id)
        .where(
            _conversations.c.contact_id == contact_id,
            _conversations.c.whatsapp_session_id == session_id,
            _conversations.c.status.in_(ACTIVE),
        )
        .order_by(_conversations.c.created_at.desc(), _conversations.c.id.desc())
        .limit(1)
    ).scalar()
