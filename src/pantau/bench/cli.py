"""`pantau bench`: the SPEC §10 measurements on the configured database, as a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from pantau.cli.common import fail, ready_engine, settings_or_exit

if TYPE_CHECKING:
    from pantau.bench.realtime import RealtimeReport
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


bench_app = typer.Typer(help="Measurements on this database: the sections (default) and the live dashboard.")


@bench_app.callback(invoke_without_command=True)
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

    Load data first, e.g. `pantau demo --size M`. `pantau bench realtime` measures the live dashboard instead.
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


def _render_realtime(report: RealtimeReport) -> None:
    console = Console(width=None if Console().is_terminal else 132)
    levels = ", ".join(f"{count} {level}" for level, count in report.by_level.items())
    console.print(f"[bold]{report.database}[/bold]; {report.machine}")
    console.print(
        f"{report.subscribers} subscribers over 2 server processes sharing Redis ({levels} scope), KPI strip; "
        f"{report.writes} writes in {report.write_seconds:.1f} s ({report.writes / report.write_seconds:.1f}/s)"
    )
    console.print(
        f"write sent -> push received, {report.deliveries:,} deliveries: p50 {report.latency.p50_ms:.0f} ms, "
        f"p95 {report.latency.p95_ms:.0f} ms, p99 {report.p99_ms:.0f} ms; not delivered: {report.undelivered}"
    )
    console.print(
        f"{report.pushes:,} pushes; memory per socket {report.memory_per_socket_kb:.0f} KB; "
        f"CPU per push {report.cpu_ms_per_push:.2f} ms"
    )


@bench_app.command("realtime")
def bench_realtime(
    subscribers: int = typer.Option(200, min=2, help="Sockets, spread over the two server processes."),
    rate: float = typer.Option(20.0, min=0.1, help="Writes per second."),
    seconds: float = typer.Option(60.0, min=1, help="How long the writes go on."),
) -> None:
    """The live dashboard: subscribers of mixed roles on two `pantau serve` processes sharing Redis, writes at a
    steady rate; time from a write to the push that shows it (p50, p95, p99), memory per socket, CPU per push.

    Needs REDIS_URL and data (e.g. `pantau demo`).
    """
    from pantau.bench.realtime import run_realtime_bench

    settings = settings_or_exit()
    engine = ready_engine(settings)
    try:
        report = run_realtime_bench(engine, settings, subscribers, rate, seconds)
    except RuntimeError as exc:
        fail(str(exc))
    _render_realtime(report)
