"""A small demo dataset, generated once per dialect into a database of its own, and the way to fingerprint rows.

The anchor is a Wednesday 14:37:12 in Jakarta: "today" is mid-afternoon, the week holds a payday campaign
(the 25th), a Friday and a Tuesday campaign.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import Enum
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from pantau.auth.passwords import hash_password
from pantau.demo.catalog import DEMO_PASSWORD
from pantau.demo.columns import COLUMNS
from pantau.demo.generator import Batch, DemoGenerator
from pantau.demo.loader import load
from pantau.demo.sizes import DemoSize
from pantau.migrations.runner import upgrade
from pantau.models import metadata
from tests.support.databases import DIALECTS, dispose_database, engine_for, new_database_url

NOW = datetime(2026, 3, 4, 7, 37, 12, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")
# S's shape at half its volume: the suite stays quick, every kind of row still shows up.
SMALL = DemoSize("small", days=7, teams=2, agents=8, conversations=2_500, whatsapp_numbers=3)


def small_generator(password_hash: str, seed: int = 7) -> DemoGenerator:
    return DemoGenerator(SMALL, seed=seed, now=NOW, zone=JAKARTA, password_hash=password_hash)


def _canonical(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def fingerprint(rows_by_table: Iterable[tuple[str, Iterable[tuple]]]) -> str:
    """SHA-256 over every row, table by table, rows in id order."""
    digest = hashlib.sha256()
    collected: dict[str, list[tuple]] = {}
    for table, rows in rows_by_table:
        collected.setdefault(table, []).extend(tuple(_canonical(value) for value in row) for row in rows)
    for table in COLUMNS:
        for row in sorted(collected.get(table, ()), key=lambda row: row[0]):
            digest.update(repr((table, row)).encode())
    return digest.hexdigest()


def generated_rows(batches: Iterable[Batch]) -> Iterator[tuple[str, list[tuple]]]:
    return ((batch.table, batch.rows) for batch in batches)


def stored_rows(engine: Engine) -> Iterator[tuple[str, list[tuple]]]:
    with engine.connect() as connection:
        for table, columns in COLUMNS.items():
            sa_table = metadata.tables[table]
            yield table, [tuple(row) for row in connection.execute(select(*(sa_table.c[c] for c in columns)))]


@pytest.fixture(scope="module")
def small_batches() -> list[Batch]:
    return list(small_generator("hash").batches())


@pytest.fixture(scope="module")
def demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD)


@pytest.fixture(scope="module", params=DIALECTS)
def demo_engine(request, tmp_path_factory, demo_password_hash) -> Iterator[Engine]:
    """A migrated database of the dialect holding the small demo dataset."""
    url = new_database_url(request.param, tmp_path_factory.mktemp("demo"))
    engine = engine_for(url)
    try:
        upgrade(engine)
        load(engine, small_generator(demo_password_hash).batches(), reset=False)
        yield engine
    finally:
        engine.dispose()
        dispose_database(url)
