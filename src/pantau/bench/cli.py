"""`pantau bench`: the SPEC §10 measurements on the configured database, as a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from pantau.cli.common import fail, ready_engine, settings_or_exit

if TYPE_CHECKING:
    from pantau.bench.runner import BenchReport


def _render(report: BenchReport) -> None:
    console = Console(width=None if Console().is_terminal else 132)
    console.print(
        f"[bold]{report.database}[/bold], {report.conversations:,} conversations, {report.messages:,} messages; "
        f"{report.machine}"
    )
    if report.backfill_days:
        console.print(f"backfill of {report.backfill_days} days: {report.backfill_seconds:.1f} s")
    console.print(
        f"hourly aggregation run: median {report.hourly_run.p50_ms / 1000:.2f} s, "
        f"p95 {report.hourly_run.p95_ms / 1000:.2f} s"
    )
    table = Table(title="per section and range, milliseconds (p50 / p95)")
    for column in ("section", "range", "miss, live", "miss, snapshots", "live ÷ snapshots", "cache hit"):
        table.add_column(column, justify="left" if column in ("section", "range") else "right")
    for row in report.sections:
        ratio = row.live.p50_ms / row.snapshots.p50_ms if row.snapshots.p50_ms else float("nan")
        table.add_row(
            row.section,
            row.range,
            f"{row.live.p50_ms:.0f} / {row.live.p95_ms:.0f}",
            f"{row.snapshots.p50_ms:.0f} / {row.snapshots.p95_ms:.0f}",
            f"{ratio:.1f}×",
            f"{row.cache_hit.p50_ms:.1f} / {row.cache_hit.p95_ms:.1f}",
        )
    console.print(table)
    load = report.concurrent
    console.print(
        f"{load.users} users, each page refreshing every {report.refresh_seconds:g} s ({load.steady_requests:,} cached "
        f"requests): p50 {load.steady.p50_ms:.1f} ms, p95 {load.steady.p95_ms:.1f} ms per request"
    )
    console.print(
        f"{load.users} users opening the page at the same instant ({load.burst_requests:,} cached requests): "
        f"p50 {load.burst.p50_ms:.1f} ms, p95 {load.burst.p95_ms:.1f} ms per request"
    )
    if report.worker_peak_mb is not None:
        console.print(f"web worker peak memory: {report.worker_peak_mb:.0f} MB")


bench_app = typer.Typer(
    help="Measure the dashboard (`pantau bench`) or how fast data comes in (`pantau bench ingest`).",
    invoke_without_command=True,
)


@bench_app.callback()
def bench(
    ctx: typer.Context,
    ranges: str = typer.Option("default,30d", help="Comma-separated ranges; `default` is each section's own."),
    repeat: int = typer.Option(5, min=1, help="Runs per measurement."),
    backfill: bool = typer.Option(True, help="Rebuild every snapshot first (timed); --no-backfill reuses them."),
    refreshes: int = typer.Option(2, min=1, help="Page loads per user in the 50-user measurement."),
    refresh_seconds: float = typer.Option(30.0, min=0, help="Seconds between a user's page loads."),
) -> None:
    """Time every section (cache miss from snapshots, live, cache hit), 50 users at once, the web worker's memory,
    aggregation and backfill on this database.

    Load data first, e.g. `pantau demo --size M`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from pantau.bench.runner import run_bench  # the sections and the HTTP client load only when benchmarking

    settings = settings_or_exit()
    engine = ready_engine(settings)
    try:
        report = run_bench(
            engine,
            settings,
            [r.strip() for r in ranges.split(",") if r.strip()],
            repeat,
            backfill,
            refreshes=refreshes,
            refresh_seconds=refresh_seconds,
        )
    except RuntimeError as exc:
        fail(str(exc))
    _render(report)


@bench_app.command("ingest")
def bench_ingest(
    statuses: int = typer.Option(30_000, min=3, help="Delivery statuses sent to the webhook (3 per message)."),
    statuses_per_body: int = typer.Option(1, min=1, help="Statuses per webhook body (Meta sends 1 to a few)."),
    clients: int = typer.Option(8, min=1, help="Webhook bodies in flight at once."),
    batches: int = typer.Option(20, min=1, help="Events API batches of 500 events."),
    csv_rows: int = typer.Option(200_000, min=1, help="Messages in the CSV file imported."),
) -> None:
    """How fast data comes in: WhatsApp webhook statuses per second (with each answer's p50/p95), events per second
    in batches of 500, CSV import rows per second, against a `pantau serve` of its own. Writes its own rows into the
    configured database and deletes them afterwards; run it on PostgreSQL for the figures that matter."""
    from pantau.bench.ingest import run_ingest_bench

    settings = settings_or_exit()
    engine = ready_engine(settings)
    try:
        report = run_ingest_bench(
            engine,
            settings,
            statuses=statuses,
            statuses_per_body=statuses_per_body,
            clients=clients,
            event_batches=batches,
            csv_rows=csv_rows,
        )
    except RuntimeError as exc:
        fail(str(exc))
    webhook, events, imported = report.webhook, report.events, report.csv
    typer.echo(f"{report.database}")
    typer.echo(
        f"webhook: {webhook.items:,} statuses in {report.webhook_bodies:,} bodies of {report.statuses_per_body}, "
        f"{report.clients} at a time: {webhook.per_second:,.0f} statuses/s; answer p50 {webhook.answer.p50_ms:.1f} "
        f"ms, p95 {webhook.answer.p95_ms:.1f} ms"
    )
    typer.echo(
        f"events API: {events.items:,} events in {report.events_batches} batches of 500: {events.per_second:,.0f} "
        f"events/s; a batch p50 {events.answer.p50_ms:.0f} ms, p95 {events.answer.p95_ms:.0f} ms"
    )
    typer.echo(
        f"CSV import: {imported.items:,} messages in {imported.seconds:.1f} s: {imported.per_second:,.0f} rows/s"
    )
