"""Writing the demo into the database: one transaction, the fastest bulk path of each dialect.

PostgreSQL takes the rows through COPY (psycopg 3, `write_row`, one COPY per table and day); SQLite through
executemany on the SQLAlchemy table, so its column types write the timestamps (one formatter for the whole app).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from queue import Full, Queue

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Connection, Engine, func, select

from pantau.demo.catalog import DEMO_EMAIL_DOMAIN
from pantau.demo.columns import COLUMNS
from pantau.demo.generator import Batch
from pantau.models import AnalyticsSnapshot, BroadcastResult, Team, User, metadata

# The contract tables the demo replaces whole, children before parents. Users and teams are apart: users other
# than the demo's stay, and they point at teams.
REPLACED_TABLES = (
    "messages",
    "tickets",
    "leads",
    "conversations",
    "broadcasts",
    "agent_activity_logs",
    "contacts",
    "whatsapp_sessions",
)
DEMO_USERS = User.__table__.c.email.like(f"%@{DEMO_EMAIL_DOMAIN}")


class DemoRefused(Exception):
    """The database already holds CRM data; the message says what, and how to replace it."""


def existing_rows(connection: Connection) -> dict[str, int]:
    """Row counts of the contract tables that are not empty, and of the demo users."""
    counts = {
        table: connection.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one()
        for table in (*REPLACED_TABLES, "teams")
    }
    counts["demo users"] = connection.execute(select(func.count()).where(DEMO_USERS)).scalar_one()
    return {table: count for table, count in counts.items() if count}


def clear(connection: Connection) -> None:
    """Delete every CRM-contract row, the demo users, the snapshots and broadcast results (computed from the data
    being replaced).

    Users that are not demo users stay (an operator's own sign-in); they lose their team, which is deleted.
    """
    # Broadcast results go with their broadcasts (and must: they reference them).
    derived = [BroadcastResult.__tablename__]
    if connection.dialect.name == "postgresql":
        # TRUNCATE: deleting millions of rows one by one would take longer than loading them.
        connection.exec_driver_sql(f"TRUNCATE {', '.join([*derived, *REPLACED_TABLES])}")
    else:
        for table in [*derived, *REPLACED_TABLES]:
            connection.execute(metadata.tables[table].delete())
    connection.execute(User.__table__.delete().where(DEMO_USERS))
    connection.execute(Team.__table__.delete())
    connection.execute(AnalyticsSnapshot.__table__.delete())


def write(connection: Connection, batch: Batch) -> None:
    if connection.dialect.name == "postgresql":
        _copy(connection, batch)
    else:
        columns = COLUMNS[batch.table]
        parameters = [dict(zip(columns, row, strict=True)) for row in batch.rows]
        connection.execute(metadata.tables[batch.table].insert(), parameters)


def _copy(connection: Connection, batch: Batch) -> None:
    table = metadata.tables[batch.table]
    columns = COLUMNS[batch.table]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(batch.table), sql.SQL(", ").join(sql.Identifier(column) for column in columns)
    )
    json_positions = [index for index, column in enumerate(columns) if isinstance(table.c[column].type, JSON)]
    rows: Iterable[tuple] = batch.rows
    if json_positions:
        rows = (
            tuple(Jsonb(value) if index in json_positions else value for index, value in enumerate(row))
            for row in batch.rows
        )
    driver: psycopg.Connection = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def load(
    engine: Engine, batches: Iterable[Batch], *, reset: bool, on_batch: Callable[[Batch], None] | None = None
) -> Counter[str]:
    """Load the batches in one transaction and return the rows written per table.

    Refuses (DemoRefused) when CRM data is present, unless `reset`; nothing is written then.
    """
    written: Counter[str] = Counter()
    with engine.begin() as connection:
        make_room(connection, reset=reset)
        for batch in _generated_ahead(batches):
            write(connection, batch)
            written[batch.table] += len(batch.rows)
            if on_batch is not None:
                on_batch(batch)
    refresh_statistics(engine)
    return written


def make_room(connection: Connection, *, reset: bool) -> None:
    """Refuse (DemoRefused) when CRM data is present, unless `reset`; then clear what the demo replaces."""
    present = existing_rows(connection)
    if present and not reset:
        listing = ", ".join(f"{table}: {count:,}" for table, count in present.items())
        raise DemoRefused(
            f"the database already holds CRM data ({listing}); "
            "`pantau demo --reset` deletes it (and the demo users) and loads the demo"
        )
    # Also on an empty database: snapshots aggregated before the demo existed would hide its history.
    clear(connection)


def refresh_statistics(engine: Engine) -> None:
    """Fresh statistics, or the planner treats the new tables as empty; on PostgreSQL also the visibility map, which
    index-only scans need (autovacuum would get there, later). VACUUM runs outside a transaction."""
    maintenance = "VACUUM (ANALYZE)" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in COLUMNS:
            connection.exec_driver_sql(f"{maintenance} {table}")


_END = object()


def _generated_ahead(batches: Iterable[Batch], depth: int = 6) -> Iterator[Batch]:
    """The batches in order, generated on a thread while the caller writes the ones before.

    Python builds the next day while the database indexes the last one: on two cores both stay busy. At most
    `depth` batches wait in between, so memory stays flat.
    """
    handover: Queue = Queue(maxsize=depth)
    stopped = threading.Event()

    def hand_over(item: object) -> bool:
        while not stopped.is_set():
            try:
                handover.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not hand_over(batch):
                    return
            hand_over(_END)
        except BaseException as exc:  # re-raised in the caller's thread
            hand_over(exc)

    producer = threading.Thread(target=produce, name="demo-generator", daemon=True)
    producer.start()
    try:
        while (item := handover.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stopped.set()
        producer.join()
