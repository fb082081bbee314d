"""The tables `pantau import` fills, and how a CSV row of each is checked (SPEC §8.1, CSV import).

A row is checked by the events API's model of the same table (so a CSV row and an event are held to the same rules),
extended with the columns history carries and an event takes from its `occurredAt` (a conversation's status and
times, a message's `created_at`). Header names are the data contract's columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import Column, Table

from pantau.ingest.schemas import (
    BroadcastData,
    ContactData,
    ConversationOpenedData,
    Id,
    LeadData,
    MessageCreatedData,
    Moment,
    TeamData,
    TicketData,
    UserData,
    WhatsappSessionData,
    _Data,
)
from pantau.models import AgentActivityLog, Contact, Conversation, Message, WhatsappSession
from pantau.models.crm import Broadcast, Lead, Team, Ticket, User
from pantau.models.enums import AgentStatus, ConversationStatus


class ConversationRow(ConversationOpenedData):
    """A conversation as history has it: its status and times are columns, not events."""

    status: ConversationStatus
    created_at: Moment
    resolved_at: Moment | None = None
    escalated_at: Moment | None = None
    csat_score: Annotated[int, Field(ge=1, le=5)] | None = None


class MessageRow(MessageCreatedData):
    created_at: Moment


class AgentActivityRow(_Data):
    id: Id
    agent_id: Id
    status: AgentStatus
    started_at: Moment
    ended_at: Moment | None = None


# Columns never taken from a file, and why.
REFUSED_COLUMNS = {
    "password_hash": "passwords are never imported; users set theirs with `pantau user set-password`",
}


@dataclass(frozen=True)
class ImportTable:
    table: Table
    model: type[_Data]

    @property
    def name(self) -> str:
        return self.table.name

    def column(self, name: str) -> Column:
        return self.table.c[name]

    @property
    def required(self) -> tuple[str, ...]:
        """Columns every row must fill: NOT NULL and without a default Pantau would write. A `created_at` the
        database would default to now is required too, so that importing the file again changes nothing."""
        return tuple(
            column.name
            for column in self.table.c
            if not column.nullable and column.default is None and column.name not in REFUSED_COLUMNS
        )

    def references(self, columns: list[str]) -> list[tuple[str, Table]]:
        """The header's columns that point at another table's id, with that table."""
        found = []
        for name in columns:
            for key in self.table.c[name].foreign_keys:
                found.append((name, key.column.table))
        return found

    def default(self, name: str) -> Any:
        """What an empty cell means: the column's default (`is_active` true, `is_auto_reply` false), else null."""
        default = self.table.c[name].default
        return default.arg if default is not None and default.is_scalar else None


TABLES: dict[str, ImportTable] = {
    spec.name: spec
    for spec in (
        ImportTable(Team.__table__, TeamData),
        ImportTable(User.__table__, UserData),
        ImportTable(Contact.__table__, ContactData),
        ImportTable(WhatsappSession.__table__, WhatsappSessionData),
        ImportTable(Broadcast.__table__, BroadcastData),
        ImportTable(Conversation.__table__, ConversationRow),
        ImportTable(Message.__table__, MessageRow),
        ImportTable(Ticket.__table__, TicketData),
        ImportTable(Lead.__table__, LeadData),
        ImportTable(AgentActivityLog.__table__, AgentActivityRow),
    )
}
# An order in which every table's references are imported before it.
IMPORT_ORDER = tuple(TABLES)
