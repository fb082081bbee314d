"""`pantau doctor`: is this deployment configured right? One line per check, ✓ or ✗, and for each ✗ the fix.

The checks, in order: the settings parse; the secrets are strong (outside development); the database answers and is
migrated (and the read replica, `DATABASE_READ_URL`, when set); Redis answers (when `REDIS_URL` is set); the SMTP
server greets an EHLO (when `SMTP_HOST` is set); the time zone is known; the snapshots are fresh (the hourly run
within its schedule); the scheduler or the cron call was seen recently; the SQLite file's disk has room.

Pantau keeps no heartbeat of the scheduler: a run leaves only the snapshots it wrote (`computed_at`). The hourly run
is judged by the newest hourly snapshot; the scheduler (or cron) by today's daily snapshot, which only the daily run
(or a backfill) writes: an hourly run writes ended days only. Each schedule gets `SCHEDULE_GRACE` to finish.

Exit code 0 when every check passes, 3 when a service did not answer, else 1 (see `pantau.cli.output`).
"""

from __future__ import annotations

import shutil
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
import typer
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from pantau.cli.output import EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, json_option, print_json
from pantau.core.config import Settings, SettingsError, load_settings
from pantau.core.database import DatabaseNotReady, check_ready, describe_url, make_engine

# How long after its scheduled time a run may still be finishing before it counts as missed.
SCHEDULE_GRACE = timedelta(minutes=15)
# Free space below which the SQLite file's disk fails the check.
MIN_FREE_BYTES = 1024**3
SERVICE_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not applicable here, or skipped because an earlier check failed
    detail: str
    fix: str = ""
    unreachable: bool = False  # a service that did not answer (exit code 3)


def _first_line(text: str) -> str:
    return text.removeprefix("invalid settings:").strip()


def check_settings() -> tuple[Settings | None, list[Check]]:
    """The settings, and the settings and secrets checks. When only the rules for secrets outside development refuse
    them, the settings are read as in development so the other checks can still run."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        try:
            relaxed = load_settings(environment="development")
        except SettingsError:
            return None, [
                Check("settings", False, _first_line(str(exc)), "correct the named settings (.env or the environment)")
            ]
        return relaxed, [
            Check("settings", True, "every setting parses"),
            Check(
                "secrets",
                False,
                _first_line(str(exc)),
                'generate one with `python -c "import secrets; print(secrets.token_urlsafe(48))"`',
            ),
        ]
    checks = [Check("settings", True, "every setting parses")]
    if settings.environment == "development":
        checks.append(Check("secrets", True, "ENVIRONMENT=development: example secrets are allowed"))
    else:
        warnings = settings.startup_warnings()
        detail = f"strong for ENVIRONMENT={settings.environment}"
        checks.append(Check("secrets", True, detail + ("; " + "; ".join(warnings) if warnings else "")))
    return settings, checks


def check_database(url: str, name: str, setting: str) -> tuple[Engine | None, Check]:
    engine = make_engine(url)
    try:
        check_ready(engine)
    except DatabaseNotReady as exc:
        if exc.unreachable:
            fix = f"start the database server, or correct {setting}"
        elif setting == "DATABASE_READ_URL":
            fix = "run `pantau migrate` on the primary and let the replica catch up"
        else:
            fix = "run `pantau migrate`"
        engine.dispose()
        return None, Check(name, False, str(exc), fix, unreachable=exc.unreachable)
    return engine, Check(name, True, f"{describe_url(engine)} answers and is migrated")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def check_redis(url: str | None) -> Check:
    if not url:
        return Check("redis", None, "REDIS_URL is empty: each process keeps its own cache")
    where = _without_password(url)
    client = redis.Redis.from_url(
        url, socket_connect_timeout=SERVICE_TIMEOUT_SECONDS, socket_timeout=SERVICE_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return Check(
            "redis",
            False,
            f"Redis at {where} did not answer ({type(exc).__name__})",
            "start Redis, correct REDIS_URL, or empty it to cache in each process",
            unreachable=True,
        )
    finally:
        client.close()
    return Check("redis", True, f"Redis at {where} answers")


def check_smtp(host: str, port: int) -> Check:
    if not host:
        return Check("smtp", None, "SMTP_HOST is empty: no e-mail is sent")
    try:
        with smtplib.SMTP(host, port, timeout=SERVICE_TIMEOUT_SECONDS) as server:
            code, _ = server.ehlo()
    except (OSError, smtplib.SMTPException) as exc:
        return Check(
            "smtp",
            False,
            f"the SMTP server {host}:{port} did not answer ({type(exc).__name__})",
            "start it, or correct SMTP_HOST and SMTP_PORT",
            unreachable=True,
        )
    if code != 250:
        return Check("smtp", False, f"the SMTP server {host}:{port} refused EHLO ({code})", "check the SMTP server")
    return Check("smtp", True, f"the SMTP server {host}:{port} answers EHLO")


def check_time_zone(settings: Settings, now: datetime) -> Check:
    local = now.astimezone(settings.zone)
    return Check("time zone", True, f"{settings.timezone} is known (now {local:%Y-%m-%d %H:%M %Z})")


def _expected_since(kind: str, now: datetime, settings: Settings) -> datetime:
    """When the newest run of the kind was due: its last scheduled time, or the one before while within grace."""
    from pantau.metrics.buckets import bucket_start
    from pantau.models.enums import SnapshotType

    due = bucket_start(SnapshotType(kind), now, settings.zone)
    if now - due < SCHEDULE_GRACE:
        due = bucket_start(SnapshotType(kind), due - timedelta(microseconds=1), settings.zone)
    return due


def _local(moment: datetime, settings: Settings) -> str:
    return f"{moment.astimezone(settings.zone):%Y-%m-%d %H:%M}"


def check_snapshots(engine: Engine, settings: Settings, now: datetime) -> list[Check]:
    from pantau.models import AnalyticsSnapshot
    from pantau.models.enums import SnapshotType

    snapshots = AnalyticsSnapshot.__table__
    due_hourly = _expected_since("hourly", now, settings)
    due_daily = _expected_since("daily", now, settings)
    with engine.connect() as connection:
        newest_hourly: datetime | None = connection.execute(
            select(func.max(snapshots.c.computed_at)).where(snapshots.c.snapshot_type == SnapshotType.hourly)
        ).scalar_one()
        newest_today: datetime | None = connection.execute(
            select(func.max(snapshots.c.computed_at)).where(
                snapshots.c.snapshot_type == SnapshotType.daily, snapshots.c.snapshot_date >= due_daily
            )
        ).scalar_one()
    runner = (
        "start `pantau scheduler`, or have cron call GET /api/cron/aggregate-metrics?type=hourly every hour and "
        "?type=daily at midnight"
    )
    if newest_hourly is None:
        fresh = Check(
            "snapshots",
            False,
            "no hourly snapshot yet",
            "run `pantau aggregate backfill --from ... --to ...`; " + runner,
        )
    elif newest_hourly < due_hourly:
        fresh = Check(
            "snapshots",
            False,
            f"the newest hourly run was at {_local(newest_hourly, settings)}; one was due at "
            f"{_local(due_hourly, settings)} {settings.timezone}",
            runner + " (`pantau aggregate hourly` catches up now)",
        )
    else:
        fresh = Check("snapshots", True, f"the hourly run at {_local(newest_hourly, settings)} is within its schedule")
    if newest_today is None or newest_today < due_daily:
        seen = Check(
            "scheduler",
            False,
            f"no daily run since {_local(due_daily, settings)} {settings.timezone} "
            "(judged by the daily snapshot only the daily run or a backfill writes)",
            runner,
        )
    else:
        seen = Check(
            "scheduler",
            True,
            f"the daily run at {_local(newest_today, settings)} was seen (judged by the day's daily snapshot)",
        )
    return [fresh, seen]


def check_disk(settings: Settings) -> Check:
    if not settings.is_sqlite:
        return Check("disk", None, "PostgreSQL keeps its own disk: watch it on the database server")
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return Check("disk", None, "an in-memory SQLite database takes no disk")
    directory = Path(database).resolve().parent
    if not directory.exists():
        return Check("disk", False, f"the directory {directory} does not exist", "create it, or correct DATABASE_URL")
    free = shutil.disk_usage(directory).free
    size = Path(database).stat().st_size if Path(database).exists() else 0
    detail = f"{free / 1024**3:.1f} GiB free beside the SQLite file ({size / 1024**2:.1f} MiB)"
    if free < MIN_FREE_BYTES:
        return Check("disk", False, detail + f", under {MIN_FREE_BYTES / 1024**3:.0f} GiB", "free disk space")
    return Check("disk", True, detail)


def run_checks(now: datetime | None = None) -> Iterator[Check]:
    now = now or datetime.now(UTC)
    settings, checks = check_settings()
    yield from checks
    if settings is None:
        yield Check("other checks", None, "not run: they need settings that parse")
        return
    engine, database = check_database(settings.database_url, "database", "DATABASE_URL")
    yield database
    if settings.database_read_url:
        replica, replica_check = check_database(settings.database_read_url, "read replica", "DATABASE_READ_URL")
        yield replica_check
        if replica is not None:
            replica.dispose()
    yield check_redis(settings.redis_url)
    yield check_smtp(settings.smtp_host, settings.smtp_port)
    yield check_time_zone(settings, now)
    if engine is None:
        yield Check("snapshots", None, "not checked: the database is not ready")
        yield Check("scheduler", None, "not checked: the database is not ready")
    else:
        try:
            yield from check_snapshots(engine, settings, now)
        finally:
            engine.dispose()
    yield check_disk(settings)


MARKS = {True: "✓", False: "✗", None: "–"}


def doctor(as_json: bool = json_option()) -> None:
    """Check the settings and every service they name, one line each (✓ or ✗ and the fix).

    Exit code 0 when all pass, 1 when a check fails, 3 when a service (database, Redis, SMTP) does not answer."""
    checks = list(run_checks())
    failed = [check for check in checks if check.ok is False]
    if as_json:
        print_json({"ok": not failed, "checks": checks})
    else:
        for check in checks:
            line = f"{MARKS[check.ok]} {check.name}: {check.detail}"
            if check.ok is False:
                typer.secho(line, fg=typer.colors.RED)
                typer.echo(f"    fix: {check.fix}")
            else:
                typer.echo(line)
        typer.echo("all checks passed" if not failed else f"{len(failed)} of {len(checks)} checks failed")
    if any(check.unreachable for check in failed):
        raise typer.Exit(EXIT_UNREACHABLE)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)
