"""`pantau demo`: load the demo shop into the configured database and print how to sign in."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pantau.cli.common import fail, settings_or_exit, usage_error


class SizeName(StrEnum):
    S = "S"
    M = "M"
    L = "L"


class _RowCount:
    """Rows written so far, for the progress line."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, batch) -> int:
        self.total += len(batch.rows)
        return self.total


def demo(
    size: Annotated[
        SizeName,
        typer.Option(
            "--size",
            case_sensitive=False,
            help="S: 7 days, ~5k conversations. M: 90 days, ~150k. L: 365 days, ~1M (PostgreSQL only).",
        ),
    ] = SizeName.S,
    seed: Annotated[int, typer.Option("--seed", help="The same seed at the same time gives the same data.")] = 1,
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the CRM data and demo users first, then load.")
    ] = False,
    via_ingest: Annotated[
        bool,
        typer.Option(
            "--via-ingest",
            help="Send the data through the events API and the WhatsApp webhook (journaled, applied by their rules) "
            "instead of inserting it: slower, the same figures.",
        ),
    ] = False,
) -> None:
    """Load realistic demo data (an Indonesian online shop on WhatsApp) that runs up to the current minute."""
    import time
    from datetime import UTC, datetime

    from rich.console import Console
    from rich.table import Table

    from pantau.auth.passwords import hash_password
    from pantau.cli.progress import Progress, stopped_cleanly
    from pantau.core.database import DatabaseNotReady, check_ready, describe_url, make_engine
    from pantau.demo.catalog import DEMO_PASSWORD
    from pantau.demo.columns import COLUMNS
    from pantau.demo.generator import DemoGenerator
    from pantau.demo.loader import DemoRefused, load
    from pantau.demo.sizes import SIZES
    from pantau.demo.via_ingest import FeedFailed, feed

    settings = settings_or_exit()
    chosen = SIZES[size.value]
    if chosen.postgres_only and settings.is_sqlite:
        usage_error(
            f"--size {chosen.name} needs PostgreSQL (DATABASE_URL=postgresql://...); SQLite mode is for S and M"
        )
    engine = make_engine(settings.database_url)
    try:
        check_ready(engine)
    except DatabaseNotReady as exc:
        fail(str(exc))

    started = time.perf_counter()
    generator = DemoGenerator(
        chosen, seed=seed, now=datetime.now(UTC), zone=settings.zone, password_hash=hash_password(DEMO_PASSWORD)
    )
    console = Console()
    rows = _RowCount()

    def outcome() -> str:
        if via_ingest:
            return (
                f"stopped after {progress.done()}; the bodies sent so far are journaled and applied, each whole "
                "(`pantau demo --via-ingest --reset` starts again)"
            )
        return (
            f"stopped after {progress.done()}; the load is one transaction, so nothing of it was kept "
            "(the database is as it was)"
        )

    with (
        Progress(f"demo {chosen.name}", total=generator.day_count, unit="days") as progress,
        stopped_cleanly(progress, outcome),
    ):

        def on_batch(batch) -> None:
            progress.update(batch.day, note=f"{rows.add(batch):,} rows")

        try:
            if via_ingest:
                written, bodies = feed(
                    engine,
                    generator.batches(),
                    start=generator.period_start,
                    now=generator.calendar.now,
                    reset=reset,
                    on_batch=on_batch,
                )
            else:
                written = load(engine, generator.batches(), reset=reset, on_batch=on_batch)
        except (DemoRefused, FeedFailed) as exc:
            progress.stop()
            fail(str(exc))
    elapsed = time.perf_counter() - started

    zone = settings.zone
    console.print(
        f"Demo {chosen.name} (seed {seed}) loaded into {describe_url(engine)} in {elapsed:.1f} s: "
        f"{generator.period_start.astimezone(zone):%Y-%m-%d %H:%M} to "
        f"{generator.calendar.now.astimezone(zone):%Y-%m-%d %H:%M} {settings.timezone}."
    )
    counts = Table("table", "rows", box=None)
    for table in COLUMNS:
        counts.add_row(table, f"{written[table]:,}")
    console.print(counts)
    if via_ingest:
        console.print(
            f"Sent through the doors: {bodies['events']:,} bodies to the events API, "
            f"{bodies['whatsapp']:,} to the WhatsApp webhook, each journaled (`pantau ingest status`)."
        )
    sign_ins = Table("role", "e-mail", "password", title="Sign in", title_justify="left", box=None)
    for sign_in in generator.sign_ins:
        sign_ins.add_row(sign_in.role, sign_in.email, DEMO_PASSWORD)
    console.print(sign_ins)
    console.print(
        "Snapshots were cleared; build them for the whole period with "
        f"`pantau aggregate backfill --from {generator.period_start.astimezone(zone):%Y-%m-%d} "
        f"--to {generator.calendar.today:%Y-%m-%d}`."
    )
