"""Pantau's own tables: snapshots (SPEC §7), broadcast results, sign-in sessions, API tokens, sign-in
failures, audit log, the settings the business changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from pantau.core.types import JSONType, UTCDateTime
from pantau.models.base import Base, checked_enum
from pantau.models.crm import ID
from pantau.models.enums import ScopeType, SnapshotType, TokenPermission


class AnalyticsSnapshot(Base):
    """Additive parts (counts and sums, never ratios) of one bucket for one scope."""

    __tablename__ = "analytics_snapshots"
    __table_args__ = (
        UniqueConstraint("snapshot_type", "snapshot_date", "scope_type", "scope_id"),
        # One scope's buckets of a range, the order the dashboard reads them in; on PostgreSQL the freshness check
        # reads computed_at off the index alone.
        Index(
            "ix_analytics_snapshots_scope_range",
            "scope_type",
            "scope_id",
            "snapshot_type",
            "snapshot_date",
            postgresql_include=["computed_at"],
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    snapshot_type: Mapped[SnapshotType] = mapped_column(checked_enum(SnapshotType, "snapshot_type"))
    snapshot_date: Mapped[datetime] = mapped_column(UTCDateTime)
    scope_type: Mapped[ScopeType] = mapped_column(checked_enum(ScopeType, "scope_type"))
    # '' for the organisation scope, so the unique constraint holds (NULLs never collide).
    scope_id: Mapped[str] = mapped_column(ID, server_default=text("''"))
    metrics: Mapped[dict] = mapped_column(JSONType)
    # The message parts, apart from `metrics`: read on their own, and a large document of them does not make
    # PostgreSQL compress `metrics`, whose numbers the dashboard adds up in SQL one by one.
    message_metrics: Mapped[dict | None] = mapped_column(JSONType)
    # Contacts' histories (metrics.contact_history.ContactParts); null in rows written before it existed.
    contact_metrics: Mapped[dict | None] = mapped_column(JSONType)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BroadcastResult(Base):
    """A broadcast's outcome for one scope (SPEC §5.3): its outbound messages with a status, by status, and the
    distinct recipients who wrote back within 72 hours. Final once every reply window has closed (`replies_close_at`);
    the organisation row marks the broadcast as computed, so a missing team or agent row means none in that scope."""

    __tablename__ = "broadcast_results"
    __table_args__ = (UniqueConstraint("broadcast_id", "scope_type", "scope_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[str] = mapped_column(ID, ForeignKey("broadcasts.id", ondelete="CASCADE"))
    scope_type: Mapped[ScopeType] = mapped_column(checked_enum(ScopeType, "scope_type"))
    scope_id: Mapped[str] = mapped_column(ID, server_default=text("''"))
    total: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[int] = mapped_column(Integer)
    read: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    responded: Mapped[int] = mapped_column(Integer)
    replies_close_at: Mapped[datetime] = mapped_column(UTCDateTime)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuthSession(Base):
    """A browser sign-in. Only the HMAC-SHA256 of the cookie's token, keyed with SECRET_KEY, is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiToken(Base):
    """A program's bearer token, tied to a user and acting with that user's scope."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the token, shown in listings so a token can be recognised and revoked.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # read: dashboards, exports and every read endpoint; ingest: only POST /api/ingest/events.
    permission: Mapped[TokenPermission] = mapped_column(
        checked_enum(TokenPermission, "permission"),
        default=TokenPermission.read,
        server_default=TokenPermission.read.value,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed sign-in, counted per account and per address inside a sliding window."""

    __tablename__ = "login_failures"
    __table_args__ = (Index(None, "email", "created_at"), Index(None, "address", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditLogEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[dict | None] = mapped_column(JSONType)
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BusinessSetting(Base):
    """A setting the business changed (SPEC §8.5): its value in structured form, wins over the environment's."""

    __tablename__ = "business_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who saved it; null when it came from the command line (or the user was deleted).
    updated_by: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"))
