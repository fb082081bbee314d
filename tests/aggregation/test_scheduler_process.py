"""`pantau scheduler` as an operator starts it: a real process on a database of its own, its hourly run made to come
every second (AGGREGATION_HOURLY_INTERVAL_SECONDS), seen firing, never running twice at once, and stopped by SIGTERM.

Every wait is for an event (a line the process writes, a row in the database); the deadlines only bound a hang."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from pantau.aggregation.jobs import LOCK_IDS, WRITER_LOCK_ID
from pantau.aggregation.scheduler import build_scheduler
from pantau.core import clock
from pantau.migrations.runner import upgrade
from pantau.models import AnalyticsSnapshot
from pantau.models.enums import SnapshotType
from tests.conftest import make_settings
from tests.support.builders import Dataset
from tests.support.cli import pantau_env
from tests.support.databases import engine_for

# Bounds a hang only: how long a line the process is expected to write may take to come.
HANG_SECONDS = 120
WROTE = "hourly aggregation wrote"
# APScheduler's warning when a fire time comes while the job's previous run is still going (max_instances=1).
OVERLAP_SKIPPED = "skipped: maximum number of running instances reached (1)"
LOCK_SKIPPED = "hourly aggregation skipped: another runner holds its lock"


class SchedulerProcess:
    """`pantau scheduler` with its output (standard output and the log) read line by line as it comes."""

    def __init__(self, database_url: str, cwd: Path, **environment: str) -> None:
        env = pantau_env(
            database_url,
            {"ENVIRONMENT": "development", "TIMEZONE": "Asia/Jakarta", "LOG_LEVEL": "INFO", **environment},
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pantau", "scheduler"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append("<ended>")
            self._changed.notify_all()

    def count(self, fragment: str) -> int:
        with self._changed:  # reentrant: a condition given to `wait_until` may count too
            return sum(fragment in line for line in self.lines)

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: condition() or "<ended>" in self.lines, timeout=HANG_SECONDS):
                raise AssertionError(f"the scheduler never showed {what}; it wrote:\n" + "\n".join(self.lines))
            if not condition():
                raise AssertionError(f"the scheduler ended before {what}; it wrote:\n" + "\n".join(self.lines))

    def wait_for_count(self, fragment: str, at_least: int) -> None:
        self.wait_until(lambda: self.count(fragment) >= at_least, f"{at_least} × {fragment!r}")

    def terminate(self) -> int:
        """SIGTERM, as a service manager stops it; the exit code (the deadline bounds a hang)."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=HANG_SECONDS)
        self._reader.join(timeout=HANG_SECONDS)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def migrated_url(fresh_database_url) -> Iterator[str]:
    """A fresh, migrated database with one committed conversation an hour ago."""
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    with engine.begin() as connection:
        data = Dataset(connection)
        team = data.make_team("A")
        agent = data.make_user("agent", team=team)
        data.make_conversation(clock.now() - timedelta(hours=1), team=team, assigned_to=agent)
    engine.dispose()
    yield fresh_database_url


@pytest.fixture
def start_scheduler(tmp_path) -> Iterator[Callable[..., SchedulerProcess]]:
    started: list[SchedulerProcess] = []

    def start(database_url: str, **environment: str) -> SchedulerProcess:
        process = SchedulerProcess(database_url, tmp_path, **environment)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def hourly_snapshots(database_url: str) -> int:
    engine = engine_for(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(func.count())
                .select_from(AnalyticsSnapshot)
                .where(AnalyticsSnapshot.snapshot_type == SnapshotType.hourly.value)
            ).scalar_one()
    finally:
        engine.dispose()


def test_the_started_scheduler_fires_its_hourly_run_and_stops_on_sigterm(migrated_url, start_scheduler):
    assert hourly_snapshots(migrated_url) == 0
    scheduler = start_scheduler(migrated_url, AGGREGATION_HOURLY_INTERVAL_SECONDS="1")
    scheduler.wait_for_count("Pantau scheduler running in Asia/Jakarta: hourly every 1 s,", 1)
    # Fired, and fires again: two runs, each written and committed.
    scheduler.wait_for_count(WROTE, 2)
    assert hourly_snapshots(migrated_url) > 0

    assert scheduler.terminate() == 0
    assert scheduler.count("scheduler stopped") == 1
    assert scheduler.count("Traceback") == 0


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_a_fire_time_during_a_run_in_progress_is_skipped_not_run_beside_it(migrated_url, start_scheduler):
    """The test holds the writers' turn, so the first hourly run waits inside its transaction (holding the hourly
    lock); the fire times that come meanwhile are skipped by APScheduler (max_instances=1), never started beside it
    (a second run would find the hourly lock taken and log that it skipped). Released, the waiting run writes."""
    holder = engine_for(migrated_url)
    try:
        with holder.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(select(func.pg_advisory_lock(WRITER_LOCK_ID)))
            scheduler = start_scheduler(migrated_url, AGGREGATION_HOURLY_INTERVAL_SECONDS="1")
            # Two fire times skipped, or (were a second run started beside the first) a run that found the lock taken.
            scheduler.wait_until(
                lambda: scheduler.count(OVERLAP_SKIPPED) >= 2 or scheduler.count(LOCK_SKIPPED) > 0,
                "fire times skipped while a run was in progress",
            )
            # One run, waiting for the turn while it holds the hourly lock; nothing written, nothing run beside it.
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :writer AND NOT granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"writer": WRITER_LOCK_ID},
            ).scalar_one()
            holding_hourly = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :hourly AND granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"hourly": LOCK_IDS[SnapshotType.hourly]},
            ).scalar_one()
            assert (waiting, holding_hourly) == (1, 1)
            assert (scheduler.count(WROTE), scheduler.count(LOCK_SKIPPED)) == (0, 0)
            assert hourly_snapshots(migrated_url) == 0
            connection.execute(select(func.pg_advisory_unlock(WRITER_LOCK_ID)))
    finally:
        holder.dispose()

    scheduler.wait_for_count(WROTE, 1)
    assert hourly_snapshots(migrated_url) > 0
    assert scheduler.terminate() == 0
    assert scheduler.count(LOCK_SKIPPED) == 0


def test_every_job_of_the_real_scheduler_runs_once_at_a_time_and_coalesces_what_it_missed(tmp_path):
    """What the process above builds (`build_scheduler`), job by job: never two runs of a job at once, missed fire
    times run once, and how late a missed one may still run (the started scheduler's behaviour within and beyond the
    grace is seen in test_jobs)."""
    settings = make_settings(f"sqlite:///{tmp_path / 'unused.db'}")
    runner = build_scheduler(None, settings)
    assert {job.id: (job.max_instances, job.coalesce, job.misfire_grace_time) for job in runner.get_jobs()} == {
        "aggregate-hourly": (1, True, 300),
        "aggregate-daily": (1, True, 300),
        "aggregate-weekly": (1, True, 300),
        "ingest-purge": (1, True, 3600),
        "reports-send-due": (1, True, 60),
        "alerts-evaluate": (1, True, 60),
    }
