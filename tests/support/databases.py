"""Real databases for the tests: a SQLite file and a PostgreSQL database per test worker, migrated to head."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from pantau.core.database import make_engine

POSTGRES_ADMIN_URL = os.environ.get("PANTAU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("PANTAU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DIALECTS = ("sqlite", "postgresql")


def worker_suffix() -> str:
    """Unique per test process, so parallel runs on one server never share (or drop) each other's databases."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _admin_engine() -> Engine:
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def create_postgres_database(name: str) -> str:
    """Drop (if left over) and create database `name`; return its URL."""
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the suite needs a real PostgreSQL; say so plainly
        raise RuntimeError(
            f"PostgreSQL is needed for the tests and {POSTGRES_ADMIN_URL} did not answer ({exc.__class__.__name__}); "
            "run the README's test command, which starts it"
        ) from exc
    finally:
        admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def empty_postgres_tables(engine: Engine) -> None:
    """Delete every row but the migration marker and restart the ids (DELETE, not TRUNCATE: a few rows go faster
    than new files)."""
    with engine.begin() as connection:
        names = connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).all()
        # Foreign keys are not checked while emptying, so the order of the tables does not matter.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for name in names:
            connection.execute(text(f'DELETE FROM "{name}"'))
        # Ids start again at 1, as on a fresh database.
        for sequence in connection.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")):
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def drop_postgres_database(name: str) -> None:
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def new_database_url(dialect: str, directory: Path) -> str:
    """A new, empty database of the dialect (not migrated)."""
    if dialect == "sqlite":
        return f"sqlite:///{directory / f'pantau-{uuid.uuid4().hex[:8]}.db'}"
    return create_postgres_database(f"pantau_test_{worker_suffix()}_{uuid.uuid4().hex[:8]}")


def dispose_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        drop_postgres_database(parsed.database)


def engine_for(url: str) -> Engine:
    return make_engine(url)
