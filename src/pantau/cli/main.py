"""The `pantau` command: one entry point for operators (migrate, serve, users, tokens, demo data)."""

from __future__ import annotations

import typer

from pantau.cli.common import fail, ready_engine, settings_or_exit, usage_error
from pantau.cli.doctor import doctor

app = typer.Typer(help="Pantau: CRM effectiveness dashboard for WhatsApp customer service.", no_args_is_help=True)


@app.command()
def migrate(
    revision: str = typer.Argument("head", help="Target revision; `base` removes every Pantau table."),
    down: bool = typer.Option(False, "--down", help="Downgrade to the revision instead of upgrading."),
) -> None:
    """Create or update the database schema (SQLite or PostgreSQL, from DATABASE_URL)."""
    from sqlalchemy.exc import OperationalError

    from pantau.cli.output import EXIT_UNREACHABLE
    from pantau.core.database import describe_url, make_engine
    from pantau.migrations import runner

    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        if down:
            runner.downgrade(engine, revision)
        else:
            runner.upgrade(engine, revision)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "connection failed"
        fail(f"cannot reach the database at {describe_url(engine)}: {reason}", EXIT_UNREACHABLE)
    typer.echo(f"database {describe_url(engine)} is at revision {revision if down else runner.head_revision()}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (PostgreSQL only; SQLite mode is single-process)."),
) -> None:
    """Start the web app: dashboard, JSON API, sign-in, /healthz, /readyz and the OpenAPI docs at /docs.

    Checks, before anything else, that the port is free; says "Pantau is listening" once it is."""
    from pantau.cli.serving import port_problem, run_server

    settings = settings_or_exit()
    if settings.is_sqlite and workers > 1:
        usage_error("SQLite mode runs one process; use PostgreSQL (DATABASE_URL) for --workers > 1")
    problem = port_problem(host, port)
    if problem is not None:
        fail(f"{problem}; is Pantau already running? Stop it (Ctrl-C where it runs) or choose another --port")
    ready_engine(settings)
    for warning in settings.startup_warnings():
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    run_server(host=host, port=port, workers=workers, forwarded_allow_ips=settings.forwarded_allow_ips)


from pantau.aggregation.cli import aggregate_app  # noqa: E402
from pantau.aggregation.scheduler import scheduler  # noqa: E402
from pantau.alerts.cli import alert_app  # noqa: E402
from pantau.auth.cli import token_app, user_app  # noqa: E402
from pantau.bench.cli import bench_app  # noqa: E402
from pantau.business_settings.cli import settings_app  # noqa: E402
from pantau.cache.cli import cache_app  # noqa: E402
from pantau.ingest.cli import import_file, ingest_app  # noqa: E402
from pantau.reports.cli import report_app  # noqa: E402

app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(cache_app, name="cache")
app.add_typer(aggregate_app, name="aggregate")
app.add_typer(ingest_app, name="ingest")
app.add_typer(report_app, name="report")
app.add_typer(settings_app, name="settings")
app.add_typer(alert_app, name="alert")
app.command()(scheduler)
app.add_typer(bench_app, name="bench")
app.command()(doctor)
app.command("import")(import_file)

from pantau.demo.cli import demo  # noqa: E402

app.command()(demo)
