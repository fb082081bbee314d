"""snapshots keep, per bucket and scope, the days of their conversations' previous conversations

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pantau.core.types import JSONType

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("analytics_snapshots", sa.Column("contact_metrics", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analytics_snapshots") as batch:
        batch.drop_column("contact_metrics")
