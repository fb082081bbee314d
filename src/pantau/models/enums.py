"""The enumerations of the data contract (SPEC §2). Values outside them are rejected at the boundary."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    manager = "manager"
    owner = "owner"
    admin = "admin"


class SessionStatus(StrEnum):
    connected = "connected"
    connecting = "connecting"
    disconnected = "disconnected"


class QualityRating(StrEnum):
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    RED = "RED"
    UNKNOWN = "UNKNOWN"


class ConversationStatus(StrEnum):
    open = "open"
    pending = "pending"
    resolved = "resolved"
    closed = "closed"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class SenderType(StrEnum):
    customer = "customer"
    agent = "agent"
    bot = "bot"
    system = "system"


class DeliveryStatus(StrEnum):
    queued = "queued"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"


class TicketPriority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"


class TicketStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class LeadStatus(StrEnum):
    new = "new"
    qualified = "qualified"
    won = "won"
    lost = "lost"


class AgentStatus(StrEnum):
    online = "online"
    away = "away"
    offline = "offline"


class SnapshotType(StrEnum):
    hourly = "hourly"
    daily = "daily"
    weekly = "weekly"


class ScopeType(StrEnum):
    org = "org"
    team = "team"
    agent = "agent"


class TokenPermission(StrEnum):
    """What an API token may do: read dashboards and exports, or send data to the events API (never both)."""

    read = "read"
    ingest = "ingest"


class IngestSource(StrEnum):
    whatsapp = "whatsapp"
    events = "events"


class JournalState(StrEnum):
    received = "received"
    applied = "applied"
    duplicate = "duplicate"
    failed = "failed"


class EventOutcome(StrEnum):
    accepted = "accepted"
    duplicate = "duplicate"
    rejected = "rejected"
    parked = "parked"


class ReferentKind(StrEnum):
    """What a parked item waits for: a row of one of these, by id (`whatsapp_message`: a message by its wamid)."""

    team = "team"
    user = "user"
    contact = "contact"
    whatsapp_session = "whatsapp_session"
    broadcast = "broadcast"
    conversation = "conversation"
    message = "message"
    whatsapp_message = "whatsapp_message"


class ReportCadence(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"


class ReportFormat(StrEnum):
    """What a scheduled mail carries: the PDF summary or the workbook attached, or the summary's figures in the mail's
    body (every mail has them in its body too)."""

    pdf = "pdf"
    xlsx = "xlsx"
    html = "html"


class ReportRunState(StrEnum):
    """pending: due to be (re)tried at `next_attempt_at`; sending: claimed by a scheduler until `next_attempt_at`;
    sent; failed: every attempt failed (the last SMTP error is kept)."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class AlertMetric(StrEnum):
    """What an alert rule watches (docs/alerts.md defines each one)."""

    delivery_rate = "delivery_rate"
    sla_compliance = "sla_compliance"
    queue_depth = "queue_depth"
    longest_wait_seconds = "longest_wait_seconds"
    failed_messages = "failed_messages"
    session_disconnected = "session_disconnected"
    session_quality = "session_quality"
    agents_online = "agents_online"


class AlertComparison(StrEnum):
    below = "below"
    above = "above"


class AlertState(StrEnum):
    ok = "ok"
    firing = "firing"


class AlertEventKind(StrEnum):
    fired = "fired"
    resolved = "resolved"


class WebhookFormat(StrEnum):
    """The webhook's body: Pantau's own JSON, or Slack's incoming-webhook shape {"text": ...}."""

    pantau = "pantau"
    slack = "slack"
