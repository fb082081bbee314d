"""realtime: on PostgreSQL, rows a CRM writes straight into the tables notify the servers (LISTEN pantau_changes)

Statement-level triggers on the tables the dashboards read: one NOTIFY per statement, delivered at commit (and
folded into one per transaction by PostgreSQL when the payloads are equal). Ingest's own transactions set
`pantau.writer = 'ingest'` and are skipped: they announce their changes themselves, naming the scopes they touched.
SQLite has no such thing and gets nothing.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CHANNEL = "pantau_changes"
TABLES = (
    "teams",
    "users",
    "contacts",
    "whatsapp_sessions",
    "broadcasts",
    "conversations",
    "messages",
    "tickets",
    "leads",
    "agent_activity_logs",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION pantau_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF coalesce(current_setting('pantau.writer', true), '') <> 'ingest' THEN
                PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER pantau_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION pantau_notify_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS pantau_notify_change ON {table}")
    op.execute("DROP FUNCTION IF EXISTS pantau_notify_change()")
