"""snapshots keep the message parts in a column of their own

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pantau.core.types import JSONType

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("analytics_snapshots", sa.Column("message_metrics", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analytics_snapshots") as batch:
        batch.drop_column("message_metrics")
