"""ingest: the raw journal, the events API's ids, parked items, and a permission on API tokens

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "ingest_journal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", _enum("source", "whatsapp", "events"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            _enum("state", "received", "applied", "duplicate", "failed"),
            server_default="received",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("summary", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_journal")),
    )
    op.create_index(op.f("ix_ingest_journal_received_at"), "ingest_journal", ["received_at"])
    op.create_index(op.f("ix_ingest_journal_state_id"), "ingest_journal", ["state", "id"])

    op.create_table(
        "ingest_events",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=True),
        sa.Column("outcome", _enum("outcome", "accepted", "duplicate", "rejected", "parked"), nullable=False),
        sa.Column("watermark", sa.String(length=250), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_events")),
    )
    op.create_index(op.f("ix_ingest_events_received_at"), "ingest_events", ["received_at"])
    op.create_index(op.f("ix_ingest_events_watermark_occurred_at"), "ingest_events", ["watermark", "occurred_at"])

    op.create_table(
        "ingest_parked",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", _enum("source", "whatsapp", "events"), nullable=False),
        sa.Column(
            "waiting_kind",
            _enum(
                "waiting_kind",
                "team",
                "user",
                "contact",
                "whatsapp_session",
                "broadcast",
                "conversation",
                "message",
                "whatsapp_message",
            ),
            nullable=False,
        ),
        sa.Column("waiting_id", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=True),
        sa.Column("item", JSON, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_parked")),
    )
    op.create_index(op.f("ix_ingest_parked_parked_at"), "ingest_parked", ["parked_at"])
    op.create_index(op.f("ix_ingest_parked_waiting_kind_waiting_id"), "ingest_parked", ["waiting_kind", "waiting_id"])

    # Existing tokens keep reading, as before.
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(
            sa.Column("permission", _enum("permission", "read", "ingest"), server_default="read", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        # The column's CHECK constraint goes first: SQLite's table copy would otherwise keep it, naming a lost column.
        batch_op.drop_constraint(op.f("ck_api_tokens_permission"), type_="check")
        batch_op.drop_column("permission")
    op.drop_table("ingest_parked")
    op.drop_table("ingest_events")
    op.drop_table("ingest_journal")
