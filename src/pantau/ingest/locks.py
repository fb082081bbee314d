"""What ingest does differently on PostgreSQL and SQLite: holding a lock on a key, and inserting a row unless its
key exists.

On SQLite one connection writes at a time, and every ingest transaction starts by writing (it claims its journal
entry), so it holds the database's write lock from its first statement: nothing else runs between its reads and its
writes. On PostgreSQL transactions run side by side; the few places where two of them could both decide "missing,
so create it" (the same contact's first messages, a status parked while its message arrives) take a
transaction-scoped advisory lock on a key first.
"""

from __future__ import annotations

import functools

from sqlalchemy import Connection, Table, TextClause, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import ARRAY, Enum, String, Text, TypeEngine

# The first half of PostgreSQL's two-part advisory lock key: ingest's own space, apart from the aggregation's locks.
_LOCK_SPACE = 8_100_001


def lock_key(connection: Connection, key: str) -> None:
    """Hold a lock on `key` until the transaction ends (PostgreSQL); SQLite's write lock already covers it."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, func.hashtext(key))))


# Every key of a body locked by one statement of one array parameter, built once: a statement of a function call
# per key cost more in SQLAlchemy's compiler and psycopg's parsing than the locks in PostgreSQL. The keys come
# sorted, and `unnest` gives them in the array's order, so the locks are taken in that order.
_LOCK_ALL = text(
    f"SELECT count(pg_advisory_xact_lock({_LOCK_SPACE}, hashtext(key))) FROM unnest(:keys) AS k(key)"
).bindparams(bindparam("keys", type_=ARRAY(Text)))


def lock_keys(connection: Connection, keys: list[str]) -> None:
    """`lock_key` for each key, in one statement; in a fixed order, so two transactions locking some of the same
    keys wait for each other instead of deadlocking."""
    if connection.dialect.name != "postgresql" or not keys:
        return
    connection.execute(_LOCK_ALL, {"keys": sorted(set(keys))})


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
    """`insert_unless_present` for many rows (the rows in the order given, all of the same columns): the keys
    inserted. On PostgreSQL one statement whose columns are each one array parameter (`_unnested_insert`); on SQLite
    the rows sent in batches of VALUES by SQLAlchemy's "insertmanyvalues". Either statement is compiled once per
    table and columns: a multi-row `.values(rows)` was compiled anew for every call, and its thousands of
    parameters parsed again by psycopg each time."""
    if not rows:
        return set()
    columns = tuple(rows[0])
    if connection.dialect.name == "postgresql":
        arrays = {f"u_{name}": [row[name] for row in rows] for name in columns}
        return set(connection.execute(_unnested_insert(table, columns, key_column), arrays).scalars())
    statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=[key_column]).returning(table.c[key_column])
    return set(connection.execute(statement, rows).scalars())


@functools.cache
def _unnested_insert(table: Table, columns: tuple[str, ...], key_column: str) -> TextClause:
    """INSERT INTO table (columns) SELECT * FROM unnest(one array per column) ON CONFLICT (key_column) DO NOTHING
    RETURNING key_column (PostgreSQL): its text the same whatever the rows. Each array is typed by its column
    (`_array_item_type`; psycopg's dialect casts the parameter to it) and its items converted as the column converts
    them (enums, instants). `unnest` yields the rows in the arrays' order, so they are inserted, and their keys
    locked, in the order given."""
    arrays = ", ".join(f":u_{name}" for name in columns)
    names = ", ".join(f'"{name}"' for name in columns)
    return text(
        f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({arrays}) '
        f'ON CONFLICT ("{key_column}") DO NOTHING RETURNING "{key_column}"'
    ).bindparams(*(bindparam(f"u_{name}", type_=ARRAY(_array_item_type(table.c[name].type))) for name in columns))


def _array_item_type(column_type: TypeEngine) -> TypeEngine:
    """The type of an array of the column's values: the column's own, but a string's without its length, since the
    parameter's cast to VARCHAR(n)[] would cut a longer value short where inserting it into the column refuses it
    (and the refusal is what the sender must be told). An enum keeps its type: it converts its members, and refuses
    any other value before its length matters."""
    if isinstance(column_type, String) and not isinstance(column_type, Enum):
        return String()
    return column_type
