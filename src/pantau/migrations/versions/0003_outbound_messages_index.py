"""outbound messages by time, and each sender's messages, covering what the range queries read

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _on_postgresql():  # INCLUDE exists only there; SQLite keeps the index as it is
        op.drop_index("ix_messages_sender_id_created_at", table_name="messages")
        op.create_index(
            "ix_messages_sender_id_created_at",
            "messages",
            ["sender_id", "created_at"],
            unique=False,
            postgresql_include=["sender_type"],
        )
    op.create_index(
        "ix_messages_outbound_created_at",
        "messages",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("direction = 'outbound'"),
        sqlite_where=sa.text("direction = 'outbound'"),
        postgresql_include=["conversation_id", "status", "sent_at", "pricing_category", "billable"],
    )


def downgrade() -> None:
    op.drop_index("ix_messages_outbound_created_at", table_name="messages")
    if _on_postgresql():
        op.drop_index("ix_messages_sender_id_created_at", table_name="messages")
        op.create_index("ix_messages_sender_id_created_at", "messages", ["sender_id", "created_at"], unique=False)
