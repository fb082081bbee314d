"""reports: schedules and their runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:32:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.String(length=100), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("cadence", _enum("cadence", "daily", "weekly", "monthly"), nullable=False),
        sa.Column("at_time", sa.String(length=5), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("month_day", sa.Integer(), nullable=True),
        sa.Column("format", _enum("format", "pdf", "xlsx", "html"), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("team_id", sa.String(length=100), nullable=True),
        sa.Column("sections", JSON, nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_report_schedules_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedules")),
    )
    op.create_index(op.f("ix_report_schedules_next_run_at"), "report_schedules", ["next_run_at"])
    op.create_index(op.f("ix_report_schedules_owner_id"), "report_schedules", ["owner_id"])

    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", _enum("state", "pending", "sending", "sent", "failed"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", JSON, nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["report_schedules.id"],
            name=op.f("fk_report_runs_schedule_id_report_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
        sa.UniqueConstraint("schedule_id", "due_at", name=op.f("uq_report_runs_schedule_id_due_at")),
    )
    op.create_index(op.f("ix_report_runs_state_next_attempt_at"), "report_runs", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("report_runs")
    op.drop_table("report_schedules")
