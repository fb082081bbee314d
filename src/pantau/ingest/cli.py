"""`pantau ingest replay|status|purge`: the ingest journal, for operators; `pantau import`: history from CSV."""

from __future__ import annotations

import sys
import time as time_module
from datetime import UTC, date, datetime, time
from pathlib import Path

import typer
from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from pantau.cache.dashboard_cache import build_cache
from pantau.cli.common import fail, ready_engine, settings_or_exit, usage_error
from pantau.cli.output import EXIT_FAILED, json_option, print_json
from pantau.cli.progress import Progress, stopped_cleanly
from pantau.core import clock
from pantau.core.config import Settings
from pantau.ingest import csv_import, import_tables, journal, service
from pantau.models.enums import JournalState
from pantau.realtime.changes import Change
from pantau.realtime.service import announce_elsewhere

ingest_app = typer.Typer(
    help="The ingest journal: every body the webhook and the events API received, raw.", no_args_is_help=True
)


def _moment(value: str, settings: Settings) -> datetime:
    """`YYYY-MM-DD` (local midnight in TIMEZONE) or an ISO 8601 time with its offset."""
    try:
        return datetime.combine(date.fromisoformat(value), time(), settings.zone).astimezone(UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        usage_error(f"--since must be a date (YYYY-MM-DD) or a time with its offset, got {value!r}")
    if moment.tzinfo is None:
        usage_error(f"--since {value!r} has no offset; add one (like +07:00), or give a date")
    return moment.astimezone(UTC)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@ingest_app.command()
def replay(
    failed: bool = typer.Option(False, "--failed", help="Also retry the entries that failed."),
    since: str | None = typer.Option(
        None, "--since", help="Only entries received from then on: YYYY-MM-DD (local) or an ISO 8601 time."
    ),
) -> None:
    """Apply every journal entry not applied yet, oldest first. Safe to run again, or beside a running server:
    each entry is applied once."""
    settings = settings_or_exit()
    engine = ready_engine(settings)
    start = _moment(since, settings) if since is not None else None

    def outcome() -> str:
        return (
            f"{progress.done()} replayed, each applied whole; the rest wait in the journal for the next "
            "`pantau ingest replay`"
        )

    with Progress("replay", unit="journal entries") as progress, stopped_cleanly(progress, outcome):
        replayed = service.replay(
            engine,
            now=clock.now(),
            include_failed=failed,
            since=start,
            on_entry=lambda done, total: progress.report("replay", done, total),
        )
    if replayed.total == 0:
        typer.echo("nothing to replay")
        return
    counts = ", ".join(f"{replayed.by_state.get(state, 0)} {state.value}" for state in journal.FINISHED)
    typer.echo(f"replayed {replayed.total} journal entries: {counts}")
    if replayed.skipped:
        typer.echo(f"{replayed.skipped} were applied meanwhile by another process")
    if replayed.by_state and settings.redis_url:
        service.forget_cached_answers(build_cache(settings))
        announce_elsewhere(settings, Change.of("ingest"))


@ingest_app.command()
def status(as_json: bool = json_option()) -> None:
    """Journal entries by state, the oldest not applied yet, and the parked items (those waiting over 7 days are
    listed: the row they wait for may never come)."""
    settings = settings_or_exit()
    now = clock.now()
    with ready_engine(settings).connect() as connection:
        report = journal.status(connection, now)
    if as_json:
        oldest = report.oldest_unapplied
        print_json(
            {
                "counts": report.counts,
                "oldest_unapplied": None if oldest is None else {"id": oldest[0], "received_at": oldest[1]},
                "parked": report.parked,
                "parked_old_count": report.parked_old_count,
                "parked_old": report.parked_old,
            }
        )
        return
    typer.echo("journal entries: " + ", ".join(f"{count} {state.value}" for state, count in report.counts.items()))
    if report.oldest_unapplied is None:
        typer.echo("oldest not applied: none")
    else:
        entry_id, received_at = report.oldest_unapplied
        typer.echo(f"oldest not applied: entry {entry_id}, received {_when(received_at)} (`pantau ingest replay`)")
    typer.echo(f"parked items: {report.parked}, of which {report.parked_old_count} older than 7 days")
    for item in report.parked_old:
        event = f" (event {item.event_id})" if item.event_id else ""
        typer.echo(
            f"  {item.source.value}{event} waiting for {item.waiting_kind.value} {item.waiting_id} "
            f"since {_when(item.parked_at)}"
        )
    if report.parked_old_count > len(report.parked_old):
        typer.echo(f"  ... and {report.parked_old_count - len(report.parked_old)} more")
    if report.counts[JournalState.failed]:
        typer.echo("failed entries keep their error; `pantau ingest replay --failed` tries them again")


@ingest_app.command()
def purge() -> None:
    """Delete what is older than INGEST_JOURNAL_DAYS now (the scheduler does it daily)."""
    settings = settings_or_exit()
    purged = journal.purge(ready_engine(settings), clock.now(), settings.ingest_journal_days)
    typer.echo(
        f"purged {purged.entries} journal entries and {purged.event_ids} event ids older than "
        f"{settings.ingest_journal_days} days"
    )


class _PlainProgress:
    """Progress for a log or a pipe: a line at most every few seconds."""

    EVERY_SECONDS = 5.0

    def __init__(self, size: int) -> None:
        self.size = size
        self.last = time_module.monotonic()

    def __call__(self, progress: csv_import.Progress) -> None:
        now = time_module.monotonic()
        if now - self.last < self.EVERY_SECONDS:
            return
        self.last = now
        share = f" ({progress.bytes_read / self.size:.0%})" if self.size else ""
        typer.echo(f"read {progress.rows:,} rows{share}, {progress.rejected:,} rejected")


def import_file(
    table: str = typer.Argument(..., metavar="TABLE", help=f"The table to fill: {', '.join(import_tables.TABLES)}."),
    file_name: str = typer.Argument(..., metavar="FILE", help="A CSV file whose header names the table's columns."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and write nothing."),
    rejects: str | None = typer.Option(
        None, "--rejects", help="Where rejected rows go (line, reason, the row); default FILE.rejects.csv."
    ),
) -> None:
    """Import history from a CSV file: upsert by id (importing it again changes nothing), each row checked like the
    events API, rejected rows with their line number and reason in the rejects file. Import teams, users, contacts,
    whatsapp_sessions, broadcasts, conversations, messages, tickets, leads, agent_activity_logs in that order.
    Exits 1 when some rows were rejected (the others are stored)."""
    settings = settings_or_exit()
    file = Path(file_name)
    rejects_path = Path(rejects) if rejects else None
    if not file.is_file():
        fail(f"{file}: no such file")
    engine = ready_engine(settings)
    size = file.stat().st_size
    try:
        if sys.stdout.isatty():
            with RichProgress(
                TextColumn(f"{table}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rows]:,} rows, {task.fields[rejected]:,} rejected"),
                TimeRemainingColumn(),
            ) as bar:
                task = bar.add_task(table, total=size, rows=0, rejected=0)

                def advance(progress: csv_import.Progress) -> None:
                    bar.update(task, completed=progress.bytes_read, rows=progress.rows, rejected=progress.rejected)

                summary = csv_import.import_csv(
                    engine, table, file, rejects_path=rejects_path, dry_run=dry_run, on_progress=advance
                )
        else:
            summary = csv_import.import_csv(
                engine, table, file, rejects_path=rejects_path, dry_run=dry_run, on_progress=_PlainProgress(size)
            )
    except csv_import.ImportRefused as exc:
        fail(str(exc))
    if dry_run:
        typer.echo(
            f"{file}: {summary.rows:,} rows read: {summary.rows - summary.rejected:,} valid, "
            f"{summary.rejected:,} rejected; nothing written (--dry-run)"
        )
    else:
        typer.echo(
            f"{file}: {summary.rows:,} rows read: {summary.written:,} written (new or changed), "
            f"{summary.unchanged:,} unchanged, {summary.rejected:,} rejected"
        )
        if summary.written and settings.redis_url:
            service.forget_cached_answers(build_cache(settings))
            announce_elsewhere(settings, Change.of("import"))
    if summary.rejects_path is not None:
        typer.echo(f"rejected rows, with their line and reason: {summary.rejects_path}")
        raise typer.Exit(EXIT_FAILED)
