"""one scope's snapshots of a range, in the order the dashboard reads them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "ix_analytics_snapshots_scope_range"


def upgrade() -> None:
    op.create_index(
        INDEX,
        "analytics_snapshots",
        ["scope_type", "scope_id", "snapshot_type", "snapshot_date"],
        unique=False,
        postgresql_include=["computed_at"],
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="analytics_snapshots")
