"""`pantau aggregate hourly|daily|weekly` and `pantau aggregate backfill --from --to`."""

from __future__ import annotations

from datetime import date, datetime

import typer

from pantau.aggregation.jobs import backfill, backfill_weeks, run_aggregation
from pantau.cli.common import fail, ready_engine, settings_or_exit, usage_error
from pantau.cli.progress import Progress, stopped_cleanly
from pantau.models.enums import SnapshotType
from pantau.realtime.changes import Change
from pantau.realtime.service import announce_elsewhere

aggregate_app = typer.Typer(help="Snapshots per hour, day and week that keep the dashboard fast.", no_args_is_help=True)


def _run(kind: SnapshotType) -> None:
    settings = settings_or_exit()
    result = run_aggregation(ready_engine(settings), settings, kind)
    announce_elsewhere(settings, Change.of("aggregation"))
    if not result.ran:
        typer.echo(f"{kind.value} aggregation skipped: another runner holds its lock")
        return
    typer.echo(f"{kind.value} aggregation: {result.buckets} buckets, {result.rows} rows")


@aggregate_app.command()
def hourly() -> None:
    """Recompute the current and previous hour and the look-back."""
    _run(SnapshotType.hourly)


@aggregate_app.command()
def daily() -> None:
    """Recompute today, yesterday and the look-back (local days)."""
    _run(SnapshotType.daily)


@aggregate_app.command()
def weekly() -> None:
    """Recompute this week, last week and the look-back (local weeks from Monday)."""
    _run(SnapshotType.weekly)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        usage_error(f"{option} must be a date as YYYY-MM-DD, got {value!r}")


@aggregate_app.command("backfill")
def backfill_command(
    first: str = typer.Option(..., "--from", help="First local day, YYYY-MM-DD."),
    last: str = typer.Option(..., "--to", help="Last local day, YYYY-MM-DD (inclusive)."),
) -> None:
    """Rebuild hourly, daily and weekly snapshots for the whole weeks covering the days."""
    first_day, last_day = _day(first, "--from"), _day(last, "--to")
    if first_day > last_day:
        usage_error(f"--from {first_day} is after --to {last_day}")
    settings = settings_or_exit()
    engine = ready_engine(settings)
    weeks = backfill_weeks(first_day, last_day, settings)
    zone = settings.zone

    def week_done(week_start: datetime) -> None:
        progress.advance(note=f"week of {week_start.astimezone(zone):%Y-%m-%d}")

    def outcome() -> str:
        return (
            f"{progress.done()} rebuilt; the week in progress was rolled back, its snapshots are as before. "
            f"Run the same backfill again to finish."
        )

    with Progress("backfill", total=len(weeks), unit="weeks") as progress, stopped_cleanly(progress, outcome):
        try:
            rows = backfill(engine, settings, first_day, last_day, on_week_done=week_done)
        except RuntimeError as exc:
            fail(str(exc))
    typer.echo(f"backfill {first_day}..{last_day}: {len(weeks)} weeks, {rows} rows")
