"""Declarative base and the constraint naming convention Alembic relies on (batch mode on SQLite)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Enum, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every model here maps one table (no joined or selectable mappings): say so to the type checker, so that
        # `Model.__table__` is a `Table` for `insert()`, `update()` and the like, not any `FromClause`.
        __table__: ClassVar[Table]


def checked_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A VARCHAR with a CHECK constraint on both dialects, storing the enum's values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
