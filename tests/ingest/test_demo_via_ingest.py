"""The demo's data through the doors (the events API and the WhatsApp webhook) gives the sections exactly the same
JSON as the same data inserted directly, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from pantau.dashboard.router import SECTIONS
from pantau.demo.columns import COLUMNS
from pantau.demo.generator import DemoGenerator
from pantau.demo.loader import load
from pantau.demo.sizes import DemoSize
from pantau.demo.via_ingest import as_whatsapp_reports, feed
from pantau.migrations.runner import upgrade
from pantau.models import IngestJournalEntry, ParkedItem, metadata
from tests.support.databases import dispose_database, engine_for, new_database_url
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

# A Wednesday 14:37:12 in Jakarta, two days of history: every kind of row, small enough to send row by row.
NOW = datetime(2026, 3, 4, 7, 37, 12, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")
TINY = DemoSize("tiny", days=2, teams=2, agents=4, conversations=160, whatsapp_numbers=2)
RANGES = ("today", "7d")


def generator() -> DemoGenerator:
    return DemoGenerator(TINY, seed=3, now=NOW, zone=JAKARTA, password_hash="demo-hash")


@pytest.fixture
def direct_and_via_ingest(dialect, tmp_path):
    urls = [new_database_url(dialect, tmp_path) for _ in range(2)]
    engines = [engine_for(url) for url in urls]
    try:
        for engine in engines:
            upgrade(engine)
        yield engines
    finally:
        for engine, url in zip(engines, urls, strict=True):
            engine.dispose()
            dispose_database(url)


def contract_rows(engine) -> dict[str, list[tuple]]:
    """Every row of the data contract; agent periods without their ids (ingest gives each period a new one)."""
    rows = {}
    with engine.connect() as connection:
        for name, columns in COLUMNS.items():
            table = metadata.tables[name]
            if name == "agent_activity_logs":
                columns = tuple(column for column in columns if column != "id")
                order = (table.c.agent_id, table.c.started_at)
            else:
                order = (table.c.id,)
            selected = select(*(table.c[column] for column in columns)).order_by(*order)
            rows[name] = [tuple(row) for row in connection.execute(selected)]
    return rows


def sections(engine, scopes) -> dict:
    with engine.connect() as connection:
        return {
            (name, preset, scope.user_id): run_section(
                section.compute, connection, now=NOW, scope=scope, preset=preset if section.ranged else None
            )
            for name, section in SECTIONS.items()
            for preset in RANGES
            for scope in scopes
        }


def test_the_demo_through_the_doors_gives_the_same_sections_as_inserted_directly(direct_and_via_ingest):
    direct, via_ingest = direct_and_via_ingest
    demo = generator()
    load(direct, as_whatsapp_reports(demo.batches()), reset=False)

    sent, bodies = feed(via_ingest, generator().batches(), start=demo.period_start, now=NOW, reset=False)

    assert bodies["events"] > 0 and bodies["whatsapp"] > 0
    with via_ingest.connect() as connection:
        states = dict(
            connection.execute(select(IngestJournalEntry.state, func.count()).group_by(IngestJournalEntry.state)).all()
        )
        assert connection.execute(select(func.count()).select_from(ParkedItem)).scalar_one() == 0
    assert states == {"applied": bodies["events"] + bodies["whatsapp"]}
    expected_rows = contract_rows(direct)
    assert {table: len(rows) for table, rows in expected_rows.items()} == dict(sent)
    assert contract_rows(via_ingest) == expected_rows

    some_team = expected_rows["teams"][0][0]
    some_agent = next(row[0] for row in expected_rows["users"] if row[3] == "agent")
    scopes = (ORGANISATION, team_scope(some_team), own_scope(some_agent))
    assert sections(via_ingest, scopes) == sections(direct, scopes)
