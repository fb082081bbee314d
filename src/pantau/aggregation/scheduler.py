"""`pantau scheduler`: the aggregation jobs on their local-time schedule (SPEC §7), in one long-running process.

Hourly at :00, daily at 00:00, weekly on Monday 00:00, in the organisation's time zone. Any number of schedulers may
run (one per replica, say): each job takes its PostgreSQL advisory lock, so a job runs once whoever starts it. Jobs
of different kinds due at once (00:00) take turns (see `jobs`). A job that fails is logged and retried at its next
time; the scheduler itself keeps running. Daily at 03:30 it also purges the ingest journal (INGEST_JOURNAL_DAYS);
purging twice is harmless, so that job takes no lock. Every minute it sends the scheduled reports that are due
(`pantau.reports.delivery`: each claimed once across schedulers by a conditional UPDATE), and evaluates the alert
rules (`pantau.alerts.evaluation`: each rule claimed once a minute the same way).

With AGGREGATION_HOURLY_INTERVAL_SECONDS set, the hourly run comes every that many seconds from the start instead of
at :00. Every job runs at most once at a time (`max_instances=1`): a fire time that comes while its previous run is
still going is skipped, and fire times missed while the process was busy or down are run once (`coalesce`), if the
latest is within the job's grace. Ctrl-C or SIGTERM stops it: a run in progress finishes first, then it exits 0.
"""

from __future__ import annotations

import logging
import signal

import typer
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pantau.aggregation.jobs import run_aggregation
from pantau.alerts.evaluation import evaluate_alerts_job
from pantau.cli.common import ready_engine, settings_or_exit
from pantau.core import clock
from pantau.core.config import Settings
from pantau.ingest.journal import purge
from pantau.models.enums import SnapshotType
from pantau.realtime.changes import Change
from pantau.realtime.service import announce_elsewhere
from pantau.reports.delivery import run_due_reports_job

log = logging.getLogger("pantau.scheduler")

SCHEDULES = {
    SnapshotType.hourly: {"minute": 0},
    SnapshotType.daily: {"hour": 0, "minute": 0},
    SnapshotType.weekly: {"day_of_week": "mon", "hour": 0, "minute": 0},
}


def run_job(engine, settings: Settings, kind: SnapshotType) -> None:
    """One scheduled run; failures are logged, never raised into the scheduler."""
    try:
        run_aggregation(engine, settings, kind)
        announce_elsewhere(settings, Change.of("aggregation"))
    except Exception:
        log.exception("%s aggregation failed; it runs again at its next time", kind.value)


def run_purge(engine, settings: Settings) -> None:
    """The ingest journal's daily purge; failures are logged, never raised into the scheduler."""
    try:
        purged = purge(engine, clock.now(), settings.ingest_journal_days)
        log.info("ingest journal purged: %s entries, %s event ids", purged.entries, purged.event_ids)
    except Exception:
        log.exception("the ingest journal purge failed; it runs again tomorrow")


def _trigger(kind: SnapshotType, settings: Settings) -> CronTrigger | IntervalTrigger:
    if kind is SnapshotType.hourly and settings.aggregation_hourly_interval_seconds:
        return IntervalTrigger(seconds=settings.aggregation_hourly_interval_seconds, timezone=settings.zone)
    return CronTrigger(timezone=settings.zone, **SCHEDULES[kind])


def build_scheduler(engine, settings: Settings) -> BlockingScheduler:
    scheduler_ = BlockingScheduler(timezone=settings.zone)
    for kind in SCHEDULES:
        scheduler_.add_job(
            run_job,
            _trigger(kind, settings),
            args=(engine, settings, kind),
            id=f"aggregate-{kind.value}",
            # A run missed while the process was down or busy is done once when possible, not once per miss.
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
        )
    scheduler_.add_job(
        run_purge,
        CronTrigger(timezone=settings.zone, hour=3, minute=30),
        args=(engine, settings),
        id="ingest-purge",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    scheduler_.add_job(
        run_due_reports_job,
        CronTrigger(timezone=settings.zone, minute="*"),
        args=(engine, settings),
        id="reports-send-due",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=60,
    )
    scheduler_.add_job(
        evaluate_alerts_job,
        CronTrigger(timezone=settings.zone, minute="*"),
        args=(engine, settings),
        id="alerts-evaluate",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=60,
    )
    return scheduler_


class _Terminated(Exception):
    """SIGTERM arrived (a service manager, `docker stop`, `kill`): stop as Ctrl-C does."""


def _on_sigterm(signum, frame) -> None:
    # A second SIGTERM while a run finishes ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise _Terminated


def scheduler() -> None:
    """Run the hourly, daily and weekly aggregation and the daily ingest journal purge on their local schedule until
    stopped (Ctrl-C or SIGTERM: a run in progress finishes first, then it exits 0)."""
    settings = settings_or_exit()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = build_scheduler(ready_engine(settings), settings)
    every = settings.aggregation_hourly_interval_seconds
    hourly = f"hourly every {every} s" if every else "hourly at :00"
    typer.echo(
        f"Pantau scheduler running in {settings.timezone}: {hourly}, daily at 00:00, weekly Monday 00:00; "
        "ingest journal purge daily at 03:30; due reports and alert rules every minute"
        + ("" if settings.smtp_configured else " (SMTP_HOST is not set: no report will be sent)")
    )
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        runner.start()
    except (KeyboardInterrupt, SystemExit, _Terminated):
        if runner.running:
            runner.shutdown(wait=True)
        log.info("scheduler stopped")
