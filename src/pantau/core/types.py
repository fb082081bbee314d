"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


class _SQLiteUTCText(sqlite.DATETIME):
    """UTC as `YYYY-MM-DD HH:MM:SS[.ffffff]` text, the fraction only when there is one.

    Writing whole seconds without a fraction keeps text comparison correct against rows a CRM
    wrote in either form: `10:00:00` sorts before `10:00:00.5` and equal to itself.
    """

    def bind_processor(self, dialect):  # noqa: ARG002 - SQLAlchemy's signature
        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            day = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
            text = f"{day} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
            return f"{text}.{value.microsecond:06d}" if value.microsecond else text

        return process


class UTCDateTime(TypeDecorator):
    """An instant: `timestamptz` on PostgreSQL, UTC text on SQLite; always an aware UTC datetime in Python.

    Naive datetimes are taken as UTC (the data contract stores UTC); aware ones are converted.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteUTCText())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
