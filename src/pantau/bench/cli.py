"""`pantau bench`: the SPEC §10 measurements on the configured database, as a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from pantau.cli.common import fail, ready_engine, settings_or_exit, usage_error
from pantau.cli.output import json_option, print_json
from pantau.cli.progress import Progress, stopped_cleanly
from pantau.core.windows import WindowError

if TYPE_CHECKING:
    from pantau.bench.realtime import RealtimeReport
    from pantau.bench.runner import BenchReport, FloorTiming, HitsReport, SectionTiming, Timing


def _timing(timing: Timing) -> dict[str, float]:
    return {"p50": timing.p50_ms, "p95": timing.p95_ms}


def _ratio(row: SectionTiming) -> float:
    return row.live.p50_ms / row.snapshots.p50_ms if row.snapshots.p50_ms else float("nan")


def floor_document(floor: FloorTiming) -> dict:
    return {
        "section": floor.section,
        "rounds": floor.rounds,
        "healthz_ms": _timing(floor.healthz),
        "redis_get_ms": _timing(floor.redis_get) if floor.redis_get else None,
        "floor_ms": floor.floor_ms,
        "cache_hit_ms": _timing(floor.hit),
        "hit_over_floor": floor.ratio,
    }


def floor_line(floor: FloorTiming) -> str:
    redis_part = (
        f" + one Redis GET {floor.redis_get.p50_ms:.2f}" if floor.redis_get else " (no REDIS_URL: no Redis GET)"
    )
    return (
        f"a cached {floor.section} against its floor, side by side over {floor.rounds} rounds (p50): /healthz "
        f"{floor.healthz.p50_ms:.2f}{redis_part} = floor {floor.floor_ms:.2f} ms; cache hit {floor.hit.p50_ms:.2f} ms "
        f"(p95 {floor.hit.p95_ms:.2f}) = {floor.ratio:.2f}× the floor"
    )


def bench_document(report: BenchReport, *, ranges: list[str], repeat: int) -> dict:
    """Every figure of the table, with the data set, the database and the machine (milliseconds unless named)."""
    load = report.concurrent
    return {
        "database": report.database,
        "machine": report.machine,
        "data_set": {"conversations": report.conversations, "messages": report.messages},
        "ranges": ranges,
        "repeat": repeat,
        "backfill": (
            {"days": report.backfill_days, "seconds": report.backfill_seconds} if report.backfill_days else None
        ),
        "hourly_run_ms": _timing(report.hourly_run),
        "sections": [
            {
                "section": row.section,
                "range": row.range,
                "miss_live_ms": _timing(row.live),
                "miss_snapshots_ms": _timing(row.snapshots),
                "live_over_snapshots": _ratio(row),
                "cache_hit_ms": _timing(row.cache_hit),
            }
            for row in report.sections
        ],
        "concurrent": {
            "users": load.users,
            "refreshes": load.refreshes,
            "refresh_seconds": report.refresh_seconds,
            "steady_requests": load.steady_requests,
            "steady_ms": _timing(load.steady),
            "burst_requests": load.burst_requests,
            "burst_ms": _timing(load.burst),
        },
        "floor": floor_document(report.floor),
        "worker_peak_mb": report.worker_peak_mb,
    }


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
        ratio = _ratio(row)
        table.add_row(
            row.section,
            row.range,
            f"{row.live.p50_ms:.0f} / {row.live.p95_ms:.0f}",
            f"{row.snapshots.p50_ms:.0f} / {row.snapshots.p95_ms:.0f}",
            f"{ratio:.1f}×",
            f"{row.cache_hit.p50_ms:.1f} / {row.cache_hit.p95_ms:.1f}",
        )
    console.print(table)
    console.print(floor_line(report.floor))
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
    help=(
        "Measurements on this database: the sections (default), the PDF summary, the live dashboard and how fast "
        "data comes in."
    )
)


@bench_app.callback(invoke_without_command=True)
def bench(
    context: typer.Context,
    ranges: str = typer.Option("default,30d", help="Comma-separated ranges; `default` is each section's own."),
    repeat: int = typer.Option(5, min=1, help="Runs per measurement."),
    backfill: bool = typer.Option(True, help="Rebuild every snapshot first (timed); --no-backfill reuses them."),
    refreshes: int = typer.Option(2, min=1, help="Page loads per user in the 50-user measurement."),
    refresh_seconds: float = typer.Option(30.0, min=0, help="Seconds between a user's page loads."),
    as_json: bool = json_option(),
) -> None:
    """Time every section (cache miss from snapshots, live, cache hit), 50 users at once, the web worker's memory,
    aggregation and backfill on this database.

    Load data first, e.g. `pantau demo --size M`. `pantau bench report` times the PDF summary
    and `pantau bench realtime` the live dashboard instead.
    """
    if context.invoked_subcommand is not None:
        return
    from pantau.bench.runner import run_bench  # the sections and the HTTP client load only when benchmarking

    settings = settings_or_exit()
    engine = ready_engine(settings)
    chosen = [r.strip() for r in ranges.split(",") if r.strip()]

    def outcome() -> str:
        return (
            f"stopped during {progress.what} after {progress.done()}; no figures are reported (the measuring server "
            "was stopped and its API token revoked)"
        )

    with Progress("bench", unit="") as progress, stopped_cleanly(progress, outcome):
        try:
            report = run_bench(
                engine,
                settings,
                chosen,
                repeat,
                backfill,
                refreshes=refreshes,
                refresh_seconds=refresh_seconds,
                on_progress=progress.report,
            )
        except RuntimeError as exc:
            fail(str(exc))
    if as_json:
        print_json(bench_document(report, ranges=chosen, repeat=repeat))
        return
    _render(report)


@bench_app.command("hits")
def bench_hits(
    rounds: int = typer.Option(300, min=10, help="Rounds of /healthz, one Redis GET and a cache hit, in turn."),
    workers: int | None = typer.Option(None, min=1, help="Server worker processes; default: `pantau serve`'s."),
    users: int = typer.Option(50, min=1, help="Users opening the page at the same instant."),
    as_json: bool = json_option(),
) -> None:
    """What a cached answer costs: a cache hit against its floor (/healthz plus one Redis GET, measured side by
    side), and every manager opening the page at nine o'clock (each user's page at the same instant; p95 per
    request). No backfill, no misses: a minute's measurement on data already loaded."""
    from pantau.bench.runner import run_hits_bench

    settings = settings_or_exit()
    engine = ready_engine(settings)
    try:
        report = run_hits_bench(engine, settings, rounds, workers, users)
    except RuntimeError as exc:
        fail(str(exc))
    if as_json:
        print_json(
            {
                "database": report.database,
                "machine": report.machine,
                "workers": report.workers,
                "floor": floor_document(report.floor),
                "burst": {"users": report.users, "requests": report.burst_requests, "ms": _timing(report.burst)},
            }
        )
        return
    _render_hits(report)


def _render_hits(report: HitsReport) -> None:
    workers = f"{report.workers} workers" if report.workers else "`pantau serve`'s default workers"
    typer.echo(f"{report.database}; {report.machine}; {workers}")
    typer.echo(floor_line(report.floor))
    typer.echo(
        f"{report.users} users opening the page at the same instant ({report.burst_requests:,} cached requests): "
        f"p50 {report.burst.p50_ms:.1f} ms, p95 {report.burst.p95_ms:.1f} ms per request"
    )


@bench_app.command("report")
def bench_report(
    range_: str = typer.Option("90d", "--range", help="The summary's range."),
    lang: str = typer.Option("id", "--lang", help="id or en."),
    repeat: int = typer.Option(3, min=1, help="Runs to time."),
) -> None:
    """Time the PDF executive summary for the whole organisation: every figure computed afresh, then drawn (target:
    ≤ 3 s for 90 days on M)."""
    from pantau.reports.bench import summarise, time_summary

    settings = settings_or_exit()
    engine = ready_engine(settings)
    timings = [time_summary(engine, settings, range_, lang) for _ in range(repeat)]
    summary = summarise(timings)
    typer.echo(
        f"PDF summary, {range_}, {lang}: median {summary['median']:.2f} s (figures {summary['figures_median']:.2f} s, "
        f"drawing {summary['render_median']:.2f} s), slowest {summary['max']:.2f} s over {repeat} runs; "
        f"{timings[-1].pages} pages, {timings[-1].size_bytes / 1024:.0f} KiB"
    )


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
        f"write sent -> its answer (committed): p50 {report.write_answer.p50_ms:.0f} ms, "
        f"p95 {report.write_answer.p95_ms:.0f} ms; its answer -> push received: p50 "
        f"{report.answer_to_push.p50_ms:.0f} ms, p95 {report.answer_to_push.p95_ms:.0f} ms"
    )
    console.print(
        f"{report.pushes:,} pushes; memory per socket {report.memory_per_socket_kb:.0f} KB; "
        f"CPU per push {report.cpu_ms_per_push:.2f} ms"
    )


@bench_app.command("export")
def bench_export(
    range_: str = typer.Option("90d", "--range", help="The cohort's range (a dateRange name)."),
    start_date: str = typer.Option("", "--start-date", help="YYYY-MM-DD; with --end-date, instead of --range."),
    end_date: str = typer.Option("", "--end-date", help="YYYY-MM-DD, inclusive, at most 366 days after the start."),
    file_format: str = typer.Option("csv", "--format", help="csv or xlsx."),
    as_json: bool = json_option(),
) -> None:
    """Download the per-conversation export of the whole organisation once from a `pantau serve` of its own: rows
    per second and the worker's memory (target on L, PostgreSQL: 1M rows at ≥ 50,000 rows/s, under 300 MB)."""
    from pantau.bench.export import run_export_bench

    if file_format not in ("csv", "xlsx"):
        usage_error(f"--format: must be csv or xlsx, got {file_format!r}")
    if bool(start_date) != bool(end_date):
        usage_error("--start-date and --end-date: give both, or neither")
    parameters = {"startDate": start_date, "endDate": end_date} if start_date else {"dateRange": range_}
    settings = settings_or_exit()
    engine = ready_engine(settings)
    try:
        report = run_export_bench(engine, settings, parameters, file_format)
    except WindowError as exc:
        usage_error(exc.detail)
    except RuntimeError as exc:
        fail(str(exc))
    if as_json:
        print_json(
            {
                "database": report.database,
                "machine": report.machine,
                "format": report.file_format,
                "parameters": report.parameters,
                "rows": report.rows,
                "seconds": report.seconds,
                "rows_per_second": report.rows_per_second,
                "bytes": report.size_bytes,
                "worker_before_mb": report.worker_before_mb,
                "worker_peak_mb": report.worker_peak_mb,
            }
        )
        return
    memory = (
        f"worker {report.worker_before_mb:.0f} MB before, peak {report.worker_peak_mb:.0f} MB"
        if report.worker_peak_mb is not None and report.worker_before_mb is not None
        else "worker memory not available on this system"
    )
    typer.echo(
        f"{report.database}; {report.machine}\n"
        f"per-conversation export, {report.file_format}, {report.parameters}: {report.rows:,} rows in "
        f"{report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s), {report.size_bytes / 2**20:.1f} MiB; {memory}"
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
