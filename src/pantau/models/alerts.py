"""Pantau's alert tables (SPEC §8.5): the rules with their evaluation state, and the history of what they did."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from pantau.core.types import JSONType, UTCDateTime
from pantau.models.base import Base, checked_enum
from pantau.models.crm import ID
from pantau.models.enums import AlertComparison, AlertEventKind, AlertMetric, AlertState, WebhookFormat


class AlertRule(Base):
    """A metric over a window ending now, in the organisation or one team, compared with a threshold.

    The state columns are written by the evaluation only: `state` and `since` (when it entered that state),
    `breaching_since` (the start of the current unbroken breach, null when the last value did not breach),
    `last_resolved_at` (the cooldown runs from there), `last_value` and `last_evaluated_at` (the claim: one evaluation
    per rule per minute across schedulers), `last_notified_at`.
    """

    __tablename__ = "alert_rules"
    __table_args__ = (Index(None, "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    metric: Mapped[AlertMetric] = mapped_column(checked_enum(AlertMetric, "metric"))
    # Null: the whole organisation.
    team_id: Mapped[str | None] = mapped_column(ID, index=True)
    comparison: Mapped[AlertComparison] = mapped_column(checked_enum(AlertComparison, "comparison"))
    threshold: Mapped[float] = mapped_column(Float)
    window_seconds: Mapped[int] = mapped_column(Integer)
    for_seconds: Mapped[int] = mapped_column(Integer)
    cooldown_seconds: Mapped[int] = mapped_column(Integer)
    # E-mail addresses, lower case; may be empty.
    email_recipients: Mapped[list] = mapped_column(JSONType)
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_format: Mapped[WebhookFormat] = mapped_column(checked_enum(WebhookFormat, "webhook_format"))
    created_by: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    state: Mapped[AlertState] = mapped_column(checked_enum(AlertState, "state"))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    breaching_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertEvent(Base):
    """A rule fired or resolved, with the value that made it so and what became of its notifications."""

    __tablename__ = "alert_events"
    __table_args__ = (Index(None, "rule_id", "at"), Index(None, "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert_rules.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[AlertEventKind] = mapped_column(checked_enum(AlertEventKind, "kind"))
    value: Mapped[float | None] = mapped_column(Float)
    # "sent to 2 addresses", "failed: SMTP 451 ...", "not configured": null while the notification is on its way.
    email_outcome: Mapped[str | None] = mapped_column(String(1000))
    webhook_outcome: Mapped[str | None] = mapped_column(String(1000))
