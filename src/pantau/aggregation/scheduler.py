"""`pantau scheduler`: the aggregation jobs on their local-time schedule (SPEC §7), in one long-running process.

Hourly at :00, daily at 00:00, weekly on Monday 00:00, in the organisation's time zone. Any number of schedulers may
run (one per replica, say): each job takes its PostgreSQL advisory lock, so a job runs once whoever starts it. Jobs
of different kinds due at once (00:00) take turns (see `jobs`). A job that fails is logged and retried at its next
time; the scheduler itself keeps running. Daily at 03:30 it also purges the ingest journal (INGEST_JOURNAL_DAYS);
purging twice is harmless, so that job takes no lock. Every minute it sends the scheduled reports that are due
(`pantau.reports.delivery`: each claimed once across schedulers by a conditional UPDATE), and evaluates the alert
rules (`pantau.alerts.evaluation`: each rule claimed once a minute the same way).
"""

from __future__ import annotations

import logging

import typer
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

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


def build_scheduler(engine, settings: Settings) -> BlockingScheduler:
    scheduler_ = BlockingScheduler(timezone=settings.zone)
    for kind, fields in SCHEDULES.items():
        scheduler_.add_job(
            run_job,
            CronTrigger(timezone=settings.zone, **fields),
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


def scheduler() -> None:
    """Run the hourly, daily and weekly aggregation and the daily ingest journal purge on their local schedule until
    stopped (Ctrl-C)."""
    settings = settings_or_exit()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = build_scheduler(ready_engine(settings), settings)
    typer.echo(
        f"Pantau scheduler running in {settings.timezone}: hourly at :00, daily at 00:00, weekly Monday 00:00; "
        "ingest journal purge daily at 03:30; due reports and alert rules every minute"
        + ("" if settings.smtp_configured else " (SMTP_HOST is not set: no report will be sent)")
    )
    try:
        runner.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
