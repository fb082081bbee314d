"""conversations by resolution and escalation time, for the aggregation runs' look-back

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 02:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_conversations_resolved_at", "conversations", ["resolved_at"])
    op.create_index("ix_conversations_escalated_at", "conversations", ["escalated_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_escalated_at", table_name="conversations")
    op.drop_index("ix_conversations_resolved_at", table_name="conversations")
