"""All tables, imported here so `Base.metadata` is complete for Alembic and the tests."""

from pantau.models.alerts import AlertEvent, AlertRule
from pantau.models.base import Base
from pantau.models.crm import (
    AgentActivityLog,
    Broadcast,
    Contact,
    Conversation,
    Lead,
    Message,
    Team,
    Ticket,
    User,
    WhatsappSession,
)
from pantau.models.ingest import IngestEvent, IngestJournalEntry, ParkedItem
from pantau.models.pantau import (
    AnalyticsSnapshot,
    ApiToken,
    AuditLogEntry,
    AuthSession,
    BroadcastResult,
    BusinessSetting,
    LoginFailure,
)
from pantau.models.reports import ReportRun, ReportSchedule

metadata = Base.metadata

__all__ = [
    "AlertEvent",
    "AlertRule",
    "AgentActivityLog",
    "AnalyticsSnapshot",
    "BroadcastResult",
    "BusinessSetting",
    "ApiToken",
    "AuditLogEntry",
    "AuthSession",
    "Base",
    "Broadcast",
    "Contact",
    "Conversation",
    "IngestEvent",
    "IngestJournalEntry",
    "ReportRun",
    "ReportSchedule",
    "Lead",
    "LoginFailure",
    "Message",
    "ParkedItem",
    "Team",
    "Ticket",
    "User",
    "WhatsappSession",
    "metadata",
]
