"""The schema migrates an empty database of each kind to head and back down, and matches the models."""

from __future__ import annotations

from datetime import UTC

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, func, insert, inspect, select

from pantau.aggregation.jobs import run_aggregation
from pantau.core.config import Settings
from pantau.dashboard import conversation_effectiveness
from pantau.metrics.parts_version import PARTS_VERSION
from pantau.migrations.runner import alembic_config, downgrade, head_revision, upgrade
from pantau.models import AnalyticsSnapshot, metadata
from pantau.models.enums import SnapshotType
from tests.support.builders import Dataset, local
from tests.support.databases import engine_for
from tests.support.sections import run_section


# SQLite cannot reflect an index on an expression (the latest failures' coalesce), so on SQLite the comparison leaves
# that one index out and says so; PostgreSQL compares it.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_upgrade_to_head_creates_every_table_then_downgrade_removes_them(fresh_database_url):
    engine = engine_for(fresh_database_url)
    try:
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
        # The models and the migrations agree: autogenerate finds nothing to add.
        command.check(alembic_config(engine))

        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade(engine)
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_head_revision_is_single():
    assert head_revision() is not None


def _snapshot_table(engine) -> Table:
    return Table("analytics_snapshots", MetaData(), autoload_with=engine)


def _old_snapshot(engine, **columns) -> None:
    """A daily organisation snapshot as an older Pantau wrote it: a parts version of its time, a count that the
    current version must never read (99 conversations on a day with one)."""
    with engine.begin() as connection:
        connection.execute(
            insert(_snapshot_table(engine)).values(
                snapshot_type="daily",
                snapshot_date=local("2026-03-04 00:00").astimezone(UTC),
                scope_type="org",
                scope_id="",
                computed_at=local("2026-03-05 00:05").astimezone(UTC),
                **columns,
            )
        )


@pytest.mark.parametrize(
    ("written_at", "columns"),
    [
        ("0004", {"metrics": {"version": 1, "slaTargetSeconds": 300, "conversations": {"conversations": 99}}}),
        (
            "0007",
            {
                "metrics": {"version": 2, "slaTargetSeconds": 300, "conversations": {"conversations": 99}},
                "message_metrics": {"outbound": 99},
            },
        ),
    ],
    ids=["before-0005", "before-0008"],
)
def test_an_upgrade_over_older_snapshot_rows_keeps_them_unread_until_the_next_run_replaces_them(
    fresh_database_url, written_at, columns
):
    engine = engine_for(fresh_database_url)
    try:
        upgrade(engine, written_at)
        _old_snapshot(engine, **columns)
        upgrade(engine)
        with engine.begin() as connection:
            Dataset(connection).make_conversation(local("2026-03-04 10:00"), id="the-one")

        with engine.connect() as connection:
            kept = connection.execute(select(func.count()).select_from(_snapshot_table(engine))).scalar_one()
            window = {"start_date": "2026-03-04", "end_date": "2026-03-04", "now": local("2026-03-06 12:00")}
            read = run_section(conversation_effectiveness.compute, connection, use_snapshots=True, **window)
            live = run_section(conversation_effectiveness.compute, connection, use_snapshots=False, **window)
        assert kept == 1
        assert read == live
        assert live["totals"]["value"] == 1

        settings = Settings(_env_file=None, database_url=fresh_database_url)
        assert run_aggregation(engine, settings, SnapshotType.daily, now=local("2026-03-05 00:10")).ran
        with engine.connect() as connection:
            rewritten = connection.execute(
                select(AnalyticsSnapshot.metrics).where(
                    AnalyticsSnapshot.snapshot_type == "daily",
                    AnalyticsSnapshot.scope_type == "org",
                    AnalyticsSnapshot.snapshot_date == local("2026-03-04 00:00").astimezone(UTC),
                )
            ).scalar_one()
        assert (rewritten["version"], rewritten["conversations"]["conversations"]) == (PARTS_VERSION, 1)
    finally:
        engine.dispose()


def test_a_step_down_and_up_with_rows_present_keeps_them(fresh_database_url):
    """Down to 0004 (dropping the snapshot part columns, the broadcast results and the ingest journal) and back to
    head, with conversations and snapshots in the tables: the rows that had a table throughout are all there."""
    engine = engine_for(fresh_database_url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            data = Dataset(connection)
            for hour in (9, 10, 11):
                data.make_conversation(local(f"2026-03-04 {hour:02}:00"))
        settings = Settings(_env_file=None, database_url=fresh_database_url)
        run_aggregation(engine, settings, SnapshotType.daily, now=local("2026-03-05 00:10"))
        before = _counts(engine)

        downgrade(engine, "0004")
        upgrade(engine)

        assert _counts(engine) == before
        assert before["conversations"] == 3 and before["analytics_snapshots"] > 0
    finally:
        engine.dispose()


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(
                select(func.count()).select_from(Table(name, MetaData(), autoload_with=engine))
            ).scalar_one()
            for name in ("conversations", "analytics_snapshots", "users", "teams")
        }
