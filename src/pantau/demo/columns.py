"""The columns the demo writes, per table, in the order its rows carry them."""

from __future__ import annotations

# Column order of the rows the generator yields, per table; the tables in an order the foreign keys accept.
COLUMNS: dict[str, tuple[str, ...]] = {
    "teams": ("id", "name"),
    "users": ("id", "email", "full_name", "role", "team_id", "is_active", "password_hash", "created_at"),
    "whatsapp_sessions": (
        "id", "phone_number", "display_name", "status", "quality_rating", "messaging_limit", "last_seen_at",
    ),
    "contacts": ("id", "phone_number", "name", "tags", "created_at"),
    "agent_activity_logs": ("id", "agent_id", "status", "started_at", "ended_at"),
    "broadcasts": ("id", "name", "whatsapp_session_id", "template_name", "created_at"),
    "conversations": (
        "id", "contact_id", "whatsapp_session_id", "team_id", "assigned_to", "status", "created_at", "resolved_at",
        "handled_by_bot", "escalated_at", "intent", "csat_score", "broadcast_id",
    ),
    "messages": (
        "id", "conversation_id", "direction", "sender_type", "sender_id", "whatsapp_message_id", "broadcast_id",
        "is_auto_reply", "created_at", "status", "sent_at", "delivered_at", "read_at", "failed_at", "error_code",
        "error_title", "pricing_category", "billable",
    ),
    "tickets": (
        "id", "conversation_id", "contact_id", "team_id", "assigned_to", "priority", "status", "created_at",
        "resolved_at", "closed_at",
    ),
    "leads": ("id", "contact_id", "conversation_id", "broadcast_id", "status", "value", "created_at", "won_at"),
}
