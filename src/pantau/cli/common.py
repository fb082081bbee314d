"""What every command shares: settings that fail with a readable message, and a clean exit on errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pantau.cli.output import EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE
from pantau.core.config import Settings, SettingsError, get_settings
from pantau.core.database import DatabaseNotReady, check_ready, get_engine, session_scope


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def usage_error(message: str) -> NoReturn:
    """An option's value the command cannot use (exit code 2, as for an unknown option)."""
    fail(message, EXIT_USAGE)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        fail(str(exc))


def ready_engine(settings: Settings | None = None) -> Engine:
    """The configured database's engine; exits with a readable message when the settings are invalid or the database
    is unreachable (exit code 3) or not migrated (1)."""
    settings = settings or settings_or_exit()
    engine = get_engine()
    try:
        check_ready(engine)
    except DatabaseNotReady as exc:
        fail(str(exc), EXIT_UNREACHABLE if exc.unreachable else EXIT_FAILED)
    return engine


@contextmanager
def database_session() -> Iterator[Session]:
    """A session on the configured database, committed when the command succeeds (see `ready_engine`)."""
    ready_engine()
    with session_scope() as session:
        yield session
