"""`pantau scheduler`: the aggregation jobs on their local-time schedule (SPEC §7), in one long-running process.

Hourly at :00, daily at 00:00, weekly on Monday 00:00, in the organisation's time zone. Any number of schedulers may
run (one per replica, say): each job takes its PostgreSQL advisory lock, so a job runs once whoever starts it. Jobs
of different kinds due at once (00:00) take turns (see `jobs`). A job that fails is logged and retried at its next
time; the scheduler itself keeps running.
"""

from __future__ import annotations

import logging

import typer
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from pantau.aggregation.jobs import run_aggregation
from pantau.cli.common import ready_engine, settings_or_exit
from pantau.core.config import Settings
from pantau.models.enums import SnapshotType

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
    except Exception:
        log.exception("%s aggregation failed; it runs again at its next time", kind.value)


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
    return scheduler_


def scheduler() -> None:
    """Run the hourly, daily and weekly aggregation on their local schedule until stopped (Ctrl-C)."""
    settings = settings_or_exit()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = build_scheduler(ready_engine(settings), settings)
    typer.echo(f"Pantau scheduler running in {settings.timezone}: hourly at :00, daily at 00:00, weekly Monday 00:00")
    try:
        runner.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
