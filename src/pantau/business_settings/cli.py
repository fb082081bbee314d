"""`pantau settings get [KEY]` / `pantau settings set KEY VALUE` / `pantau settings reset KEY`: the settings a
business runs (SPEC §8.5), for operators. A change is audited (with no user: it came from the command line), drops the
dashboard's cached answers and reaches the live pages through Redis when REDIS_URL is set."""

from __future__ import annotations

import typer

from pantau.business_settings.keys import KEYS, SettingRefused, known_key, structured, text
from pantau.business_settings.service import RESET, SettingChange, SettingView, change_settings, describe_settings
from pantau.cache.dashboard_cache import invalidate_dashboard_cache
from pantau.cache.store import StoreUnavailable
from pantau.cli.common import database_session, settings_or_exit, usage_error
from pantau.cli.output import json_option, print_json
from pantau.core import clock
from pantau.realtime.changes import Change
from pantau.realtime.service import announce_elsewhere

settings_app = typer.Typer(
    help=f"The settings the business runs (over the environment's defaults): {', '.join(KEYS)}.",
    no_args_is_help=True,
)

CLI_ADDRESS = "cli"


def _plain(view: SettingView) -> dict:
    return {
        "key": view.key,
        "value": structured(view.key, view.value),
        "text": text(view.key, view.value),
        "source": view.source,
        "updatedAt": None if view.updated_at is None else view.updated_at.isoformat(),
        "updatedBy": view.updated_by,
    }


@settings_app.command()
def get(
    key: str | None = typer.Argument(None, help="One setting; without it, every setting."),
    as_json: bool = json_option(),
) -> None:
    """The settings in force: each key, its value in text form and where it comes from (database or environment)."""
    settings = settings_or_exit()
    if key is not None:
        try:
            known_key(key)
        except SettingRefused as exc:
            usage_error(exc.detail)
    with database_session() as session:
        views = describe_settings(session.connection(), settings)
    if key is not None:
        (view,) = [view for view in views if view.key == key]
        if as_json:
            print_json(_plain(view))
        else:
            typer.echo(text(view.key, view.value))
        return
    if as_json:
        print_json([_plain(view) for view in views])
        return
    for view in views:
        typer.echo(f"{view.key}\t{text(view.key, view.value)}\t{view.source}")


def _apply(key: str, value: object) -> None:
    settings = settings_or_exit()
    with database_session() as session:
        try:
            done = change_settings(session, settings, {key: value}, user_id=None, address=CLI_ADDRESS, now=clock.now())
        except SettingRefused as exc:
            usage_error(exc.detail)
        in_force = {view.key: view for view in describe_settings(session.connection(), settings)}
    _announce(settings, done)
    view = in_force[key]
    typer.echo(f"{key}\t{text(key, view.value)}\t{view.source}")


def _announce(settings, done: list[SettingChange]) -> None:
    if not done:
        return
    try:
        invalidate_dashboard_cache()
    except StoreUnavailable:
        typer.secho(
            "warning: the dashboard cache could not be invalidated; answers under the new settings are computed "
            "anyway (their cache key names the settings)",
            fg=typer.colors.YELLOW,
            err=True,
        )
    announce_elsewhere(settings, Change.of("settings"))


# A value may start with "-" (a number below zero, to be refused by the setting's own rule): it is the value, not
# an option.
@settings_app.command("set", context_settings={"ignore_unknown_options": True})
def set_(
    key: str = typer.Argument(..., help=f"One of {', '.join(KEYS)}."),
    value: str = typer.Argument(..., help="The value in text form, e.g. `mon-fri 08:00-17:00; sat 09:00-13:00`."),
) -> None:
    """Save a setting (audited); prints the value now in force."""
    _apply(key, value)


@settings_app.command()
def reset(key: str = typer.Argument(..., help=f"One of {', '.join(KEYS)}.")) -> None:
    """Put a setting back to the environment's value (audited)."""
    _apply(key, RESET)
