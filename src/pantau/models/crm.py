"""The tables the CRM writes (or Pantau's ingest fills): the public data contract of SPEC §2.

Names and meanings are documented in docs/data-contract.md; change both together.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from pantau.core.types import JSONType, UTCDateTime
from pantau.models.base import Base, checked_enum
from pantau.models.enums import (
    AgentStatus,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    LeadStatus,
    QualityRating,
    Role,
    SenderType,
    SessionStatus,
    TicketPriority,
    TicketStatus,
)

ID = String(100)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(checked_enum(Role, "role"))
    team_id: Mapped[str | None] = mapped_column(ID, ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=text("CURRENT_TIMESTAMP"))


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    phone_number: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=text("CURRENT_TIMESTAMP"))


class WhatsappSession(Base):
    __tablename__ = "whatsapp_sessions"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    phone_number: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[SessionStatus] = mapped_column(checked_enum(SessionStatus, "status"))
    quality_rating: Mapped[QualityRating | None] = mapped_column(checked_enum(QualityRating, "quality_rating"))
    messaging_limit: Mapped[int | None] = mapped_column(Integer)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    whatsapp_session_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("whatsapp_sessions.id", ondelete="SET NULL"), index=True
    )
    template_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint("csat_score BETWEEN 1 AND 5", name="csat_score"),
        Index(None, "assigned_to", "created_at"),
        Index(None, "team_id", "created_at"),
        # A contact's history (first conversations, returning contacts, replies to broadcasts): index-only on
        # PostgreSQL, scope columns included.
        Index(None, "contact_id", "created_at", postgresql_include=["id", "team_id", "assigned_to"]),
        Index(None, "status"),
        # Conversations resolved or escalated since the look-back began (see aggregation.jobs.moved_conversations).
        Index(None, "resolved_at"),
        Index(None, "escalated_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    contact_id: Mapped[str] = mapped_column(ID, ForeignKey("contacts.id"))
    whatsapp_session_id: Mapped[str | None] = mapped_column(ID, ForeignKey("whatsapp_sessions.id", ondelete="SET NULL"))
    team_id: Mapped[str | None] = mapped_column(ID, ForeignKey("teams.id", ondelete="SET NULL"))
    assigned_to: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[ConversationStatus] = mapped_column(checked_enum(ConversationStatus, "status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_bot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    intent: Mapped[str | None] = mapped_column(String(100))
    csat_score: Mapped[int | None] = mapped_column(Integer)
    broadcast_id: Mapped[str | None] = mapped_column(ID, ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index(None, "conversation_id", "created_at"),
        # A conversation's customer messages after a moment (did the recipient write back within 72 h?).
        Index(
            "ix_messages_inbound_conversation_id_created_at",
            "conversation_id",
            "created_at",
            postgresql_where=text("direction = 'inbound'"),
            sqlite_where=text("direction = 'inbound'"),
        ),
        # The latest failures first (failedMessages), without sorting every failure of the range.
        Index(
            "ix_messages_failed_at",
            text("coalesce(failed_at, created_at)"),
            postgresql_where=text("status = 'failed' AND direction = 'outbound'"),
            sqlite_where=text("status = 'failed' AND direction = 'outbound'"),
        ),
        # Each person's messages of a range, index-only on PostgreSQL (messagesSent counts agent messages).
        Index(None, "sender_id", "created_at", postgresql_include=["sender_type"]),
        Index(None, "status"),
        Index(None, "sent_at"),
        # The outbound messages of a range (funnel, sessions, queue wait, messaging cost): on PostgreSQL an
        # index-only scan that never visits the inbound rows or the table.
        Index(
            "ix_messages_outbound_created_at",
            "created_at",
            postgresql_where=text("direction = 'outbound'"),
            sqlite_where=text("direction = 'outbound'"),
            postgresql_include=["conversation_id", "status", "sent_at", "pricing_category", "billable"],
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ID, ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(checked_enum(Direction, "direction"))
    sender_type: Mapped[SenderType] = mapped_column(checked_enum(SenderType, "sender_type"))
    sender_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"))
    whatsapp_message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    broadcast_id: Mapped[str | None] = mapped_column(ID, ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)
    is_auto_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[DeliveryStatus | None] = mapped_column(checked_enum(DeliveryStatus, "status"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(String(500))
    pricing_category: Mapped[str | None] = mapped_column(String(50))
    billable: Mapped[bool | None] = mapped_column(Boolean)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index(None, "status"),
        Index(None, "resolved_at"),
        Index(None, "team_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[str | None] = mapped_column(ID, ForeignKey("contacts.id", ondelete="SET NULL"))
    team_id: Mapped[str | None] = mapped_column(ID, ForeignKey("teams.id", ondelete="SET NULL"))
    assigned_to: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    priority: Mapped[TicketPriority] = mapped_column(checked_enum(TicketPriority, "priority"))
    status: Mapped[TicketStatus] = mapped_column(checked_enum(TicketStatus, "status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (Index(None, "won_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    contact_id: Mapped[str | None] = mapped_column(ID, ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    broadcast_id: Mapped[str | None] = mapped_column(ID, ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)
    status: Mapped[LeadStatus] = mapped_column(checked_enum(LeadStatus, "status"))
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    won_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AgentActivityLog(Base):
    __tablename__ = "agent_activity_logs"
    __table_args__ = (Index(None, "agent_id", "started_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[AgentStatus] = mapped_column(checked_enum(AgentStatus, "status"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
