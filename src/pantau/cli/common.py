"""What every command shares: settings that fail with a readable message, and a clean exit on errors."""

from __future__ import annotations

from typing import NoReturn

import typer

from pantau.core.config import Settings, SettingsError, get_settings


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        fail(str(exc))
