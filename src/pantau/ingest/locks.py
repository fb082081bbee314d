"""What ingest does differently on PostgreSQL and SQLite: holding a lock on a key, and inserting a row unless its
key exists.

On SQLite one connection writes at a time, and every ingest transaction starts by writing (it claims its journal
entry), so it holds the database's write lock from its first statement: nothing else runs between its reads and its
writes. On PostgreSQL transactions run side by side; the few places where two of them could both decide "missing,
so create it" (the same contact's first messages, a status parked while its message arrives) take a
transaction-scoped advisory lock on a key first.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite

# The first half of PostgreSQL's two-part advisory lock key: ingest's own space, apart from the aggregation's locks.
_LOCK_SPACE = 8_100_001


def lock_key(connection: Connection, key: str) -> None:
    """Hold a lock on `key` until the transaction ends (PostgreSQL); SQLite's write lock already covers it."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, func.hashtext(key))))


# PostgreSQL's limit on a query's columns is 1,664: a body's keys are locked this many to a statement.
_LOCKS_PER_STATEMENT = 1000


def lock_keys(connection: Connection, keys: list[str]) -> None:
    """`lock_key` for each key, in one statement (per thousand keys); in a fixed order, so two transactions locking
    some of the same keys wait for each other instead of deadlocking."""
    if connection.dialect.name != "postgresql" or not keys:
        return
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), _LOCKS_PER_STATEMENT):
        chunk = ordered[start : start + _LOCKS_PER_STATEMENT]
        connection.execute(select(*(func.pg_advisory_xact_lock(_LOCK_SPACE, func.hashtext(key)) for key in chunk)))


def insert_unless_present(connection: Connection, table: Table, values: dict, key_columns: list[str]) -> bool:
    """INSERT ... ON CONFLICT (key_columns) DO NOTHING; True when the row was inserted (told by RETURNING: an
    INSERT's rowcount is not reported on every driver)."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=key_columns)
        .returning(*(table.c[name] for name in key_columns))
    )
    return connection.execute(statement).first() is not None


def insert_all_unless_present(connection: Connection, table: Table, rows: list[dict], key_column: str) -> set:
    """`insert_unless_present` for many rows in one statement (the rows in the order given): the keys inserted."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table).values(rows).on_conflict_do_nothing(index_elements=[key_column]).returning(table.c[key_column])
    )
    return set(connection.execute(statement).scalars())
