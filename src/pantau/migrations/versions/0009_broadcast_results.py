"""broadcast results per scope, final once their reply windows have closed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcast_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("broadcast_id", sa.String(length=100), nullable=False),
        sa.Column(
            "scope_type",
            sa.Enum("org", "team", "agent", name="scope_type", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("scope_id", sa.String(length=100), server_default=sa.text("('')"), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("replies_close_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_results_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_results")),
        sa.UniqueConstraint(
            "broadcast_id", "scope_type", "scope_id", name=op.f("uq_broadcast_results_broadcast_id_scope_type_scope_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("broadcast_results")
