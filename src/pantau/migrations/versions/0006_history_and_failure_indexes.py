"""a contact's history index-only, customers' messages by conversation, failures latest first

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CONTACT_HISTORY = "ix_conversations_contact_id_created_at"


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _on_postgresql():  # INCLUDE exists only there; SQLite keeps the index as it is
        op.drop_index(CONTACT_HISTORY, table_name="conversations")
        op.create_index(
            CONTACT_HISTORY,
            "conversations",
            ["contact_id", "created_at"],
            postgresql_include=["id", "team_id", "assigned_to"],
        )
    op.create_index(
        "ix_messages_inbound_conversation_id_created_at",
        "messages",
        ["conversation_id", "created_at"],
        postgresql_where=sa.text("direction = 'inbound'"),
        sqlite_where=sa.text("direction = 'inbound'"),
    )
    op.create_index(
        "ix_messages_failed_at",
        "messages",
        [sa.text("coalesce(failed_at, created_at)")],
        postgresql_where=sa.text("status = 'failed' AND direction = 'outbound'"),
        sqlite_where=sa.text("status = 'failed' AND direction = 'outbound'"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_failed_at", table_name="messages")
    op.drop_index("ix_messages_inbound_conversation_id_created_at", table_name="messages")
    if _on_postgresql():
        op.drop_index(CONTACT_HISTORY, table_name="conversations")
        op.create_index(CONTACT_HISTORY, "conversations", ["contact_id", "created_at"])
