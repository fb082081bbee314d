"""The few SQL expressions that differ between PostgreSQL and SQLite, written once and compiled per dialect.

SQLite's side calls the functions `pantau.core.sqlite_functions` registers on each connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Connection, Float, Integer, String, Table, func, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from pantau.core.business_time import CLOCK_EPOCH, MICROSECONDS_PER_WEEK, BusinessCalendar
from pantau.core.types import UTCDateTime
from pantau.core.windows import Granularity, Window

UPSERT_BATCH = 1000


def _dialect_function(name: str, type_, postgresql_template: str, sqlite_function: str, doc: str):
    """A SQL function element: PostgreSQL fills `postgresql_template` with the compiled arguments ({0}, {1}, ...),
    SQLite calls the registered `sqlite_function` with them."""
    element = type(name, (FunctionElement,), {"type": type_, "inherit_cache": True, "name": name, "__doc__": doc})

    def arguments(element, compiler, **kw) -> list[str]:
        return [compiler.process(clause, **kw) for clause in element.clauses]

    @compiles(element, "postgresql")
    def _postgresql(element, compiler, **kw):
        return postgresql_template.format(*arguments(element, compiler, **kw))

    @compiles(element, "sqlite")
    def _sqlite(element, compiler, **kw):
        return f"{sqlite_function}({', '.join(arguments(element, compiler, **kw))})"

    return element


epoch = _dialect_function(
    "epoch",
    Float(),
    "EXTRACT(EPOCH FROM {0})::float8",
    "pantau_epoch",
    "epoch(moment): seconds since 1970 of a timestamp.",
)
seconds_between = _dialect_function(
    "seconds_between",
    Float(),
    "EXTRACT(EPOCH FROM ({0} - {1}))::float8",
    "pantau_seconds_between",
    "seconds_between(later, earlier), exact to the microsecond (a difference of epochs would lose the last digits).",
)
microseconds_between = _dialect_function(
    "microseconds_between",
    BigInteger(),
    "CAST(ROUND(EXTRACT(EPOCH FROM ({0} - {1})) * 1000000) AS BIGINT)",
    "pantau_microseconds_between",
    "microseconds_between(later, earlier) as a whole number: durations that add up exactly.",
)
plus_seconds = _dialect_function(
    "plus_seconds",
    UTCDateTime(),
    "({0} + make_interval(secs => {1}))",
    "pantau_plus_seconds",
    "plus_seconds(moment, seconds): a later instant, comparable with stored ones (so an index can bound a range).",
)
percentile_cont = _dialect_function(
    "percentile_cont",
    Float(),
    "percentile_cont({1}) WITHIN GROUP (ORDER BY {0})",
    "pantau_percentile",
    "percentile_cont(value, fraction): the aggregate, with linear interpolation between rows.",
)


class _local_date(FunctionElement):
    """The local calendar date of an instant in a zone, as YYYY-MM-DD text."""

    inherit_cache = True
    name = "local_date"
    type = String()


@compiles(_local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    moment, zone = list(element.clauses)
    return f"to_char(({compiler.process(moment, **kw)} AT TIME ZONE {compiler.process(zone, **kw)}), 'YYYY-MM-DD')"


@compiles(_local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    moment, zone = list(element.clauses)
    return f"pantau_local_date({compiler.process(moment, **kw)}, {compiler.process(zone, **kw)})"


def local_date(moment: ColumnElement, zone: ZoneInfo) -> ColumnElement[str]:
    """The local calendar date as YYYY-MM-DD text."""
    return _local_date(moment, literal(zone.key, String()))


class _wall_microseconds(FunctionElement):
    """Microseconds from the business clock's epoch (`business_time.CLOCK_EPOCH`) to an instant, on the local wall
    clock of a zone (PostgreSQL)."""

    inherit_cache = True
    name = "wall_microseconds"
    type = BigInteger()


@compiles(_wall_microseconds, "postgresql")
def _wall_microseconds_pg(element, compiler, **kw):
    moment, zone = (compiler.process(clause, **kw) for clause in element.clauses)
    epoch_text = CLOCK_EPOCH.isoformat(sep=" ")
    return (
        f"CAST(ROUND(EXTRACT(EPOCH FROM (({moment} AT TIME ZONE {zone}) - TIMESTAMP '{epoch_text}')) * 1000000) "
        "AS BIGINT)"
    )


class _business_clock(FunctionElement):
    """B(moment) (see `business_time.BusinessCalendar`): its clauses are PostgreSQL's arithmetic on the wall clock
    and SQLite's call of the registered function; each dialect compiles its own."""

    inherit_cache = True
    name = "business_clock"
    type = BigInteger()


@compiles(_business_clock, "postgresql")
def _business_clock_pg(element, compiler, **kw):
    return f"({compiler.process(list(element.clauses)[0], **kw)})"


@compiles(_business_clock, "sqlite")
def _business_clock_sqlite(element, compiler, **kw):
    return compiler.process(list(element.clauses)[1], **kw)


def business_clock(moment: ColumnElement, calendar: BusinessCalendar) -> ColumnElement[int]:
    """B(moment): business microseconds from the clock's epoch to the instant, as a whole number, so that
    B(later) - B(earlier) is the business time between them, exact to the microsecond on both dialects."""
    wall = _wall_microseconds(moment, literal(calendar.zone, String()))

    def clamped(value: ColumnElement, length: int) -> ColumnElement[int]:
        return func.least(func.greatest(value, 0), length)

    week = literal(MICROSECONDS_PER_WEEK, BigInteger())
    postgresql_clock = (wall // week) * calendar.week_length
    for start, length in calendar.week_ranges:
        postgresql_clock = postgresql_clock + clamped((wall % week) - start, length)
    for start, length in calendar.holiday_ranges:
        postgresql_clock = postgresql_clock - clamped(wall - start, length)
    sqlite_clock = func.pantau_business_clock(moment, literal(calendar.key, String()))
    return _business_clock(postgresql_clock, sqlite_clock)


def percentile(value: ColumnElement, fraction: float) -> ColumnElement[float]:
    return percentile_cont(value, literal(fraction, Float()))


def bucket_key(moment: ColumnElement, window: Window, granularity: Granularity) -> ColumnElement:
    """The `Bucket.key` of the bucket a timestamp falls in: hour index from the window's first hour, or local date."""
    if granularity == "day":
        return local_date(moment, window.zone)
    origin = window.hour_bucket_origin().timestamp()
    return func.floor((epoch(moment) - origin) / 3600.0).cast(Integer)


def upsert(
    connection: Connection,
    table: Table,
    rows: list[dict],
    *,
    conflict_columns: list[str],
    update_columns: list[str],
    update_when: Callable[[Any], ColumnElement[bool]] | None = None,
) -> None:
    """INSERT ... ON CONFLICT (conflict_columns) DO UPDATE SET update_columns, in batches; with `update_when`
    (called with the proposed row, `excluded`), an existing row is updated only where it holds."""
    if not rows:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=conflict_columns,
        set_={column: statement.excluded[column] for column in update_columns},
        where=None if update_when is None else update_when(statement.excluded),
    )
    for offset in range(0, len(rows), UPSERT_BATCH):
        connection.execute(statement, rows[offset : offset + UPSERT_BATCH])
