"""Pantau's ingest tables (SPEC §8.1): the raw journal of every authenticated body, the events API's ids, and the
items parked until the row they refer to arrives.

The journal and event rows name their journal entry and token by id without a foreign key: they are a record kept
for a while (INGEST_JOURNAL_DAYS) and purged in bulk, and a purge must not look up every referring row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from pantau.core.types import JSONType, UTCDateTime
from pantau.models.base import Base, checked_enum
from pantau.models.crm import ID
from pantau.models.enums import EventOutcome, IngestSource, JournalState, ReferentKind


class IngestJournalEntry(Base):
    """One body as it arrived, stored before it is applied: a crash between the two loses nothing."""

    __tablename__ = "ingest_journal"
    __table_args__ = (
        # What replay and status look for: the entries not applied yet, oldest first.
        Index(None, "state", "id"),
        Index(None, "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[IngestSource] = mapped_column(checked_enum(IngestSource, "source"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # The headers that matter (content type, signature, user agent); never the Authorization header.
    headers: Mapped[dict] = mapped_column(JSONType)
    # The API token that sent an events body (null for the webhook).
    token_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[JournalState] = mapped_column(
        checked_enum(JournalState, "state"), default=JournalState.received, server_default=JournalState.received.value
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(1000))
    # How many items of the body were accepted, duplicate, rejected, parked, ignored.
    summary: Mapped[dict | None] = mapped_column(JSONType)


class IngestEvent(Base):
    """An events API event that was applied or parked, by the sender's id: the same id again is a duplicate."""

    __tablename__ = "ingest_events"
    __table_args__ = (Index(None, "watermark", "occurred_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    journal_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[EventOutcome] = mapped_column(checked_enum(EventOutcome, "outcome"))
    # The fact the event sets (`ticket:t-1`, `conversation-assignment:c-1`): an event older than one already applied
    # to the same fact must not undo it.
    watermark: Mapped[str | None] = mapped_column(String(250))


class ParkedItem(Base):
    """A status or event whose referent is not known yet, applied the moment that row arrives."""

    __tablename__ = "ingest_parked"
    __table_args__ = (Index(None, "waiting_kind", "waiting_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[IngestSource] = mapped_column(checked_enum(IngestSource, "source"))
    waiting_kind: Mapped[ReferentKind] = mapped_column(checked_enum(ReferentKind, "waiting_kind"))
    waiting_id: Mapped[str] = mapped_column(String(255))
    # The events API event's id (null for a webhook status).
    event_id: Mapped[str | None] = mapped_column(ID)
    item: Mapped[dict] = mapped_column(JSONType)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    parked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    journal_id: Mapped[int | None] = mapped_column(Integer)
