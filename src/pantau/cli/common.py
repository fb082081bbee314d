"""What every command shares: settings that fail with a readable message, and a clean exit on errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from sqlalchemy.orm import Session

from pantau.core.config import Settings, SettingsError, get_settings
from pantau.core.database import DatabaseNotReady, check_ready, get_engine, session_scope


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        fail(str(exc))


@contextmanager
def database_session() -> Iterator[Session]:
    """A session on the configured database, committed when the command succeeds.

    Exits with a readable message when the settings are invalid or the database is unreachable or not migrated.
    """
    settings_or_exit()
    try:
        check_ready(get_engine())
    except DatabaseNotReady as exc:
        fail(str(exc))
    with session_scope() as session:
        yield session
