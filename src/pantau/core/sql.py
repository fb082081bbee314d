"""The few SQL expressions that differ between PostgreSQL and SQLite, written once and compiled per dialect.

SQLite's side calls the functions `pantau.core.sqlite_functions` registers on each connection.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Connection, Float, Integer, String, Table, func, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from pantau.core.windows import Granularity, Window

UPSERT_BATCH = 1000


class epoch(FunctionElement):
    """Seconds since 1970 of a timestamp, exact to the microsecond."""

    type = Float()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "postgresql")
def _epoch_pg(element, compiler, **kw):
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})::float8"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    return f"pantau_epoch({compiler.process(element.clauses, **kw)})"


class _local_part(FunctionElement):
    """A part of the local wall-clock time of an instant in a zone: `hour`, `dow` (0 = Sunday) or `date`."""

    inherit_cache = True
    name = "local_part"


@compiles(_local_part, "postgresql")
def _local_part_pg(element, compiler, **kw):
    moment, zone, part = list(element.clauses)
    local = f"({compiler.process(moment, **kw)} AT TIME ZONE {compiler.process(zone, **kw)})"
    part_name = part.value
    if part_name == "date":
        return f"to_char({local}, 'YYYY-MM-DD')"
    return f"CAST(EXTRACT({'DOW' if part_name == 'dow' else 'HOUR'} FROM {local}) AS INTEGER)"


@compiles(_local_part, "sqlite")
def _local_part_sqlite(element, compiler, **kw):
    moment, zone, part = list(element.clauses)
    return f"pantau_local({compiler.process(moment, **kw)}, {compiler.process(zone, **kw)}, '{part.value}')"


def _local(moment: ColumnElement, zone: ZoneInfo, part: str, type_) -> ColumnElement:
    element = _local_part(moment, literal(zone.key, String()), literal(part, String()))
    element.type = type_
    return element


def local_hour(moment: ColumnElement, zone: ZoneInfo) -> ColumnElement[int]:
    return _local(moment, zone, "hour", Integer())


def local_dow(moment: ColumnElement, zone: ZoneInfo) -> ColumnElement[int]:
    """Day of the week, 0 = Sunday."""
    return _local(moment, zone, "dow", Integer())


def local_date(moment: ColumnElement, zone: ZoneInfo) -> ColumnElement[str]:
    """The local calendar date as YYYY-MM-DD text."""
    return _local(moment, zone, "date", String())


class seconds_between(FunctionElement):
    """later - earlier in seconds, exact to the microsecond (a difference of epochs would lose the last digits)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_between_pg(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))::float8"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"pantau_seconds_between({later}, {earlier})"


class microseconds_between(FunctionElement):
    """later - earlier in whole microseconds (BIGINT): durations that add up exactly."""

    type = BigInteger()
    inherit_cache = True
    name = "microseconds_between"


@compiles(microseconds_between, "postgresql")
def _microseconds_between_pg(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({later} - {earlier})) * 1000000) AS BIGINT)"


@compiles(microseconds_between, "sqlite")
def _microseconds_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"pantau_microseconds_between({later}, {earlier})"


class percentile_cont(FunctionElement):
    """`percentile_cont(fraction) WITHIN GROUP (ORDER BY value)`: an aggregate with linear interpolation."""

    type = Float()
    inherit_cache = True
    name = "percentile_cont"


@compiles(percentile_cont, "postgresql")
def _percentile_pg(element, compiler, **kw):
    value, fraction = list(element.clauses)
    return (
        f"percentile_cont({compiler.process(fraction, **kw)}) WITHIN GROUP "
        f"(ORDER BY {compiler.process(value, **kw)})"
    )


@compiles(percentile_cont, "sqlite")
def _percentile_sqlite(element, compiler, **kw):
    value, fraction = list(element.clauses)
    return f"pantau_percentile({compiler.process(value, **kw)}, {compiler.process(fraction, **kw)})"


def percentile(value: ColumnElement, fraction: float) -> ColumnElement[float]:
    return percentile_cont(value, literal(fraction, Float()))


def bucket_key(moment: ColumnElement, window: Window, granularity: Granularity) -> ColumnElement:
    """The `Bucket.key` of the bucket a timestamp falls in: hour index from the window's first hour, or local date."""
    if granularity == "day":
        return local_date(moment, window.zone)
    origin = window.hour_bucket_origin().timestamp()
    return func.floor((epoch(moment) - origin) / 3600.0).cast(Integer)




def upsert(
    connection: Connection, table: Table, rows: list[dict], *, conflict_columns: list[str], update_columns: list[str]
) -> None:
    """INSERT ... ON CONFLICT (conflict_columns) DO UPDATE SET update_columns, in batches."""
    if not rows:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=conflict_columns, set_={column: statement.excluded[column] for column in update_columns}
    )
    for offset in range(0, len(rows), UPSERT_BATCH):
        connection.execute(statement, rows[offset : offset + UPSERT_BATCH])
