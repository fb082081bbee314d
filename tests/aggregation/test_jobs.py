"""The aggregation runs as operators meet them: the job, its lock, the cron endpoint, the scheduler, the commands."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.triggers.date import DateTrigger
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from pantau.aggregation import jobs
from pantau.aggregation.jobs import LOCK_IDS, run_aggregation, span_start
from pantau.aggregation.scheduler import build_scheduler
from pantau.metrics import snapshots
from pantau.metrics.broadcast_store import write_broadcast_results
from pantau.migrations.runner import upgrade
from pantau.models import AnalyticsSnapshot, BroadcastResult
from pantau.models.enums import SnapshotType
from pantau.web.app import create_app
from tests.aggregation.test_snapshot_equality import NOW as LATER
from tests.aggregation.test_snapshot_equality import build_organisation
from tests.conftest import make_settings
from tests.support.builders import Dataset, local
from tests.support.databases import engine_for

NOW = local("2026-03-10 10:30")
SECRET = "cron-secret-for-the-tests-0123456789abcdef"


@pytest.fixture
def migrated(fresh_database_url):
    """A fresh, migrated database with a few committed conversations over the last three days."""
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    with engine.begin() as connection:
        data = Dataset(connection)
        team = data.make_team("A")
        agent = data.make_user("agent", team=team)
        for hours_ago in (1, 5, 30, 60):
            data.make_conversation(NOW - timedelta(hours=hours_ago), team=team, assigned_to=agent)
    yield engine, make_settings(fresh_database_url, cron_secret=SECRET)
    engine.dispose()


def snapshot_count(engine, kind: SnapshotType | None = None) -> int:
    query = select(func.count()).select_from(AnalyticsSnapshot)
    if kind is not None:
        query = query.where(AnalyticsSnapshot.snapshot_type == kind.value)
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def test_a_run_covers_the_previous_bucket_and_the_look_back(migrated):
    _, settings = migrated
    assert span_start(SnapshotType.hourly, NOW, settings) == local("2026-03-08 10:00")  # 48 h look-back
    assert span_start(SnapshotType.daily, NOW, settings) == local("2026-03-08 00:00")
    assert span_start(SnapshotType.weekly, NOW, settings) == local("2026-03-02 00:00")  # last week's Monday


def test_an_hourly_run_writes_every_bucket_of_its_span_and_is_idempotent(migrated):
    engine, settings = migrated
    first = run_aggregation(engine, settings, SnapshotType.hourly, now=NOW)
    # The look-back starts at 08 Mar 10:00; the two ended days it reaches are rewritten whole, hours and days:
    # 48 hours of 08 and 09 Mar, the 11 hours of 10 Mar up to the one in progress, and the 2 days.
    assert (first.ran, first.buckets) == (True, 48 + 11 + 2)
    assert (snapshot_count(engine, SnapshotType.hourly), snapshot_count(engine, SnapshotType.daily)) == (59 + 6, 2 + 2)
    rows = snapshot_count(engine)
    again = run_aggregation(engine, settings, SnapshotType.hourly, now=NOW)
    assert (again.ran, snapshot_count(engine)) == (True, rows)
    # An organisation row per bucket, even empty; team and agent rows for the 3 hours with conversations (09 Mar
    # 04:00, 10 Mar 05:00 and 09:00) and for the one ended day with one (09 Mar). No weekly row: not its kind.
    assert rows == (59 + 3 + 3) + (2 + 1 + 1)


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_a_second_runner_skips_while_the_first_holds_the_lock(migrated):
    engine, settings = migrated
    with engine.connect() as other_runner:
        other_runner.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_IDS[SnapshotType.hourly]})
        result = run_aggregation(engine, settings, SnapshotType.hourly, now=NOW)
        other_runner.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_IDS[SnapshotType.hourly]})
    assert (result.ran, snapshot_count(engine)) == (False, 0)
    # Another kind has its own lock and is not held up.
    assert run_aggregation(engine, settings, SnapshotType.daily, now=NOW).ran


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_runs_of_two_kinds_recomputing_one_broadcast_at_once_both_land(migrated):
    """At midnight the hourly and the daily run both recompute the broadcasts whose reply windows close."""
    engine, settings = migrated
    with engine.begin() as connection:
        data = Dataset(connection)
        broadcast = data.make_broadcast(NOW - timedelta(days=3), id="sale")
        conversation = data.make_conversation(NOW - timedelta(days=3), broadcast=broadcast, inbound_at=None)
        data.make_message(conversation, NOW - timedelta(days=3), sender="system", status="read", broadcast=broadcast)
    with engine.connect() as first:
        first.begin()
        write_broadcast_results(first, ["sale"], NOW)
        with ThreadPoolExecutor(1) as pool:
            # The second run waits on the first's rows, then updates them instead of failing on the unique key.
            other = pool.submit(_write_broadcast_results_in_own_transaction, engine, NOW + timedelta(minutes=1))
            _wait_until_a_writer_waits_on_a_lock(engine)
            assert not other.done()
            first.commit()
            assert other.result(timeout=30) == 1
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(BroadcastResult)).scalar_one() == 1


def _wait_until_a_writer_waits_on_a_lock(engine) -> None:
    """Return once some session of this database waits for a lock (pg_locks), so the race is really run."""
    waiting = text(
        "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid)"
        " WHERE NOT pg_locks.granted AND pg_stat_activity.datname = current_database()"
    )
    deadline = time.monotonic() + 120
    with engine.connect() as observer:
        while observer.execute(waiting).scalar_one() == 0:
            if time.monotonic() > deadline:
                raise AssertionError("the second writer never waited for the first one's rows")
            observer.rollback()
            time.sleep(0.01)


def _write_broadcast_results_in_own_transaction(engine, now) -> int:
    with engine.begin() as connection:
        return write_broadcast_results(connection, ["sale"], now)


def test_a_failing_run_leaves_nothing_behind(migrated, monkeypatch):
    engine, settings = migrated
    real_upsert = snapshots.upsert

    def upsert_then_fail(*args, **kwargs):
        real_upsert(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(snapshots, "upsert", upsert_then_fail)
    with pytest.raises(RuntimeError):
        run_aggregation(engine, settings, SnapshotType.hourly, now=NOW)
    assert snapshot_count(engine) == 0


@pytest.fixture
def cron_client(migrated):
    engine, settings = migrated

    def client_for(**overrides) -> TestClient:
        return TestClient(create_app(settings=settings.model_copy(update=overrides), engine=engine))

    return client_for


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_cron_endpoint_is_closed_without_a_secret(cron_client):
    response = cron_client(cron_secret="").get("/api/cron/aggregate-metrics", headers=bearer(""))
    assert response.status_code == 503
    assert response.json()["error"] == "cron_disabled"


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), {"Authorization": SECRET}, bearer(SECRET + "x")])
def test_cron_endpoint_refuses_anything_but_the_secret(cron_client, migrated, headers):
    response = cron_client().get("/api/cron/aggregate-metrics", headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "unauthorized")
    assert snapshot_count(migrated[0]) == 0


def test_cron_endpoint_refuses_an_unknown_type(cron_client):
    response = cron_client().get("/api/cron/aggregate-metrics?type=monthly", headers=bearer(SECRET))
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_parameter",
        "detail": "type: use hourly, daily or weekly, got 'monthly'",
    }


def buckets_of_a_run_at(kind: str, now: datetime) -> dict[SnapshotType, int]:
    """What a run at `now` (Asia/Jakarta, no DST) rewrites, per kind. Hourly: the two ended days its 48-hour
    look-back reaches, whole, and today's hours up to the one in progress. Daily: today and the two days before;
    when those reach into last week (on a Monday or a Tuesday), last week whole, days and week. Weekly: this week
    and the last."""
    local_now = now.astimezone(NOW.tzinfo)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "hourly":
        return {SnapshotType.hourly: 48 + math.ceil((local_now - midnight) / timedelta(hours=1)), SnapshotType.daily: 2}
    if kind == "daily":
        if local_now.weekday() <= 1:  # Monday 0, Tuesday 1
            return {SnapshotType.daily: 7 + local_now.weekday() + 1, SnapshotType.weekly: 1}
        return {SnapshotType.daily: 3}
    return {SnapshotType.weekly: 2}


@pytest.mark.parametrize("kind", ["hourly", "daily", "weekly"])
def test_cron_endpoint_runs_the_aggregation(cron_client, migrated, kind):
    response = cron_client().get(f"/api/cron/aggregate-metrics?type={kind}", headers=bearer(SECRET))
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["type"] == kind
    assert body["message"] == f"{kind} metrics aggregation completed successfully"
    started = datetime.fromisoformat(body["timestamp"])
    assert started.tzinfo is not None
    expected = buckets_of_a_run_at(kind, started)
    assert body["buckets"] == sum(expected.values())
    # The test's conversations are months before the real time: one empty organisation row per bucket.
    for snapshot_type in SnapshotType:
        assert snapshot_count(migrated[0], snapshot_type) == expected.get(snapshot_type, 0)


def test_cron_endpoint_defaults_to_hourly(cron_client):
    assert cron_client().get("/api/cron/aggregate-metrics", headers=bearer(SECRET)).json()["type"] == "hourly"


def test_cron_endpoint_failure_is_a_500_with_nothing_written(cron_client, migrated, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(snapshots, "upsert", fail)
    response = cron_client().get("/api/cron/aggregate-metrics", headers=bearer(SECRET))
    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "error": "hourly metrics aggregation failed",
        "details": "RuntimeError",
    }
    assert snapshot_count(migrated[0]) == 0


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"], indirect=True)
def test_cron_endpoint_answers_503_when_the_database_does_not_answer(dialect, tmp_path):
    """A PostgreSQL server where nothing listens (port 1), a SQLite file in a folder that does not exist."""
    url = {
        "postgresql": "postgresql+psycopg://pantau:hunter2-secret@127.0.0.1:1/pantau",
        "sqlite": f"sqlite:///{tmp_path / 'gone' / 'pantau.db'}",
    }[dialect]
    engine = engine_for(url)
    app = create_app(settings=make_settings(url, cron_secret=SECRET), engine=engine)
    response = TestClient(app).get("/api/cron/aggregate-metrics?type=daily", headers=bearer(SECRET))
    engine.dispose()
    assert response.status_code == 503
    assert response.json() == {
        "error": "database_unavailable",
        "detail": "the database is not answering; try again shortly",
    }


class SchedulerEvents:
    """What the running scheduler reports (APScheduler's listener), waited on by condition, not by time."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []
        self.changed = threading.Condition()

    def __call__(self, event) -> None:
        with self.changed:
            self.seen.append((event.job_id, event.code))
            self.changed.notify_all()

    def wait_for(self, job_id: str, code: int) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: (job_id, code) in self.seen, timeout=120):
                raise AssertionError(f"the scheduler never reported {code} for {job_id}; it reported {self.seen}")


def test_the_started_scheduler_runs_a_job_late_within_its_grace_and_skips_one_missed_beyond_it(migrated):
    """The real scheduler, started: an hourly run due a minute ago (inside the 300 s grace) runs and writes its
    snapshots; a daily run due ten minutes ago (beyond the grace) is reported missed and does not run."""
    engine, settings = migrated
    runner = build_scheduler(engine, settings)
    events = SchedulerEvents()
    runner.add_listener(events, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    thread = threading.Thread(target=runner.start, daemon=True)
    thread.start()
    try:
        # One past fire time each (a date trigger), so no cron time of the real clock can add a second one; the
        # jobs keep their own grace and coalescing.
        now = datetime.now(settings.zone)
        runner.reschedule_job("aggregate-hourly", trigger=DateTrigger(now - timedelta(minutes=1)))
        runner.reschedule_job("aggregate-daily", trigger=DateTrigger(now - timedelta(minutes=10)))
        events.wait_for("aggregate-hourly", EVENT_JOB_EXECUTED)
        events.wait_for("aggregate-daily", EVENT_JOB_MISSED)
    finally:
        runner.shutdown(wait=True)
        thread.join(timeout=60)

    assert snapshot_count(engine, SnapshotType.hourly) > 0
    assert ("aggregate-daily", EVENT_JOB_EXECUTED) not in events.seen
    assert not thread.is_alive()


def test_the_scheduler_runs_each_job_on_local_time(migrated):
    engine, settings = migrated
    runner = build_scheduler(engine, settings)
    after = local("2026-03-10 10:30")
    next_runs = {job.id: job.trigger.get_next_fire_time(None, after) for job in runner.get_jobs()}
    assert next_runs == {
        "aggregate-hourly": local("2026-03-10 11:00"),
        "aggregate-daily": local("2026-03-11 00:00"),
        "aggregate-weekly": local("2026-03-16 00:00"),  # Monday
        "ingest-purge": local("2026-03-11 03:30"),
        "reports-send-due": local("2026-03-10 10:30"),  # every minute, this one included
        "alerts-evaluate": local("2026-03-10 10:30"),
    }


def test_a_failing_scheduled_job_is_logged_not_raised(migrated, monkeypatch, caplog):
    from pantau.aggregation import scheduler

    engine, settings = migrated
    monkeypatch.setattr(scheduler, "run_aggregation", lambda *args: (_ for _ in ()).throw(RuntimeError("boom")))
    scheduler.run_job(engine, settings, SnapshotType.hourly)
    assert "hourly aggregation failed" in caplog.text


def run_pantau(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "ENVIRONMENT": "development"}
    return subprocess.run(
        [sys.executable, "-m", "pantau", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_aggregate_commands(migrated, fresh_database_url):
    before = datetime.now(UTC)
    hourly = run_pantau("aggregate", "hourly", database_url=fresh_database_url)
    after = datetime.now(UTC)
    assert hourly.returncode == 0, hourly.stderr
    # The run started somewhere between the two readings of the clock (an hour may turn in between).
    counts = {sum(buckets_of_a_run_at("hourly", moment).values()) for moment in (before, after)}
    assert any(f"hourly aggregation: {count} buckets" in hourly.stdout for count in counts), hourly.stdout


def test_backfill_command_writes_the_snapshots_it_reports(migrated, fresh_database_url):
    """Backfill over the days of `migrated`'s four conversations (NOW minus 1, 5, 30 and 60 hours): the rows it
    says it wrote are in the table, and the organisation's weeks count all four conversations."""
    engine, _ = migrated
    backfill = run_pantau(
        "aggregate", "backfill", "--from", "2026-03-07", "--to", "2026-03-10", database_url=fresh_database_url
    )
    assert backfill.returncode == 0, backfill.stderr
    reported = re.search(r"backfill 2026-03-07\.\.2026-03-10: (\d+) weeks, (\d+) rows", backfill.stdout)
    assert reported is not None, backfill.stdout
    assert int(reported[2]) == snapshot_count(engine) > 0
    with engine.connect() as connection:
        weeks = connection.scalars(
            select(AnalyticsSnapshot.metrics).where(
                AnalyticsSnapshot.snapshot_type == SnapshotType.weekly.value, AnalyticsSnapshot.scope_type == "org"
            )
        ).all()
    assert len(weeks) == int(reported[1])
    assert sum(week["conversations"]["conversations"] for week in weeks) == 4


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_backfill_is_refused_while_a_run_holds_its_lock_and_writes_nothing(migrated, fresh_database_url):
    engine, _ = migrated
    with engine.connect() as daily_run:
        daily_run.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_IDS[SnapshotType.daily]})
        try:
            backfill = run_pantau(
                "aggregate", "backfill", "--from", "2026-03-07", "--to", "2026-03-10", database_url=fresh_database_url
            )
        finally:
            daily_run.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_IDS[SnapshotType.daily]})
            daily_run.commit()

    assert backfill.returncode == 1
    assert "the daily aggregation is running; try the backfill again after it" in backfill.stderr
    assert "Traceback" not in backfill.stderr
    assert snapshot_count(engine) == 0


def test_backfill_refuses_reversed_or_malformed_days(migrated, fresh_database_url):
    reversed_ = run_pantau(
        "aggregate", "backfill", "--from", "2026-03-05", "--to", "2026-03-01", database_url=fresh_database_url
    )
    assert reversed_.returncode == 2 and "--from 2026-03-05 is after --to 2026-03-01" in reversed_.stderr
    malformed = run_pantau(
        "aggregate", "backfill", "--from", "March", "--to", "2026-03-01", database_url=fresh_database_url
    )
    assert malformed.returncode == 2 and "--from must be a date as YYYY-MM-DD" in malformed.stderr


def test_backfill_rebuilds_whole_weeks(migrated):
    engine, settings = migrated
    written = jobs.backfill(engine, settings, local("2026-03-08 00:00").date(), NOW.date(), now=NOW)
    # Organisation rows: 203 hours (2 Mar 00:00 to 10 Mar 10:00), 9 days, 2 weeks. The conversations (1, 5, 30
    # and 60 hours before now) fall in 4 hours, 3 days and 2 weeks, each with a team row and an agent row.
    assert written == 203 + 9 + 2 + 2 * (4 + 3 + 2)
    with engine.connect() as connection:
        weeks = (
            connection.execute(
                select(AnalyticsSnapshot.snapshot_date)
                .where(AnalyticsSnapshot.snapshot_type == "weekly", AnalyticsSnapshot.scope_type == "org")
                .order_by(AnalyticsSnapshot.snapshot_date)
            )
            .scalars()
            .all()
        )
    assert weeks == [local("2026-03-02 00:00"), local("2026-03-09 00:00")]


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_cron_endpoint_answers_success_when_another_run_holds_the_lock(cron_client, migrated):
    engine, _ = migrated
    with engine.connect() as other_runner:
        other_runner.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_IDS[SnapshotType.hourly]})
        body = cron_client().get("/api/cron/aggregate-metrics", headers=bearer(SECRET)).json()
        other_runner.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_IDS[SnapshotType.hourly]})
    assert (body["success"], body["message"], body["buckets"]) == (
        True,
        "hourly metrics aggregation completed successfully",
        0,
    )
    assert snapshot_count(engine) == 0


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_a_run_reading_side_by_side_writes_what_one_reading_in_turn_writes(fresh_database_url):
    """On PostgreSQL a run reads conversations, contacts' histories and messages on connections of their own, all
    at once; the rows are the same as when it reads them one after another on its own connection."""

    engine = engine_for(fresh_database_url)
    upgrade(engine)
    settings = make_settings(fresh_database_url)
    earlier = LATER - timedelta(days=3)
    with engine.begin() as connection:
        build_organisation(Dataset(connection))
        snapshots.write_snapshots(
            connection,
            [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly],
            [(local("2026-02-23 00:00"), earlier)],
            now=earlier,
            zone=settings.zone,
            sla_target_seconds=300,
        )
        # A conversation of a week ago resolved since: its day is rewritten from its moved hour and stored ones.
        connection.execute(
            text(
                "UPDATE conversations SET status = 'resolved', resolved_at = :at WHERE id = "
                "(SELECT id FROM conversations WHERE created_at < :old AND resolved_at IS NULL ORDER BY id LIMIT 1)"
            ),
            {"at": LATER - timedelta(hours=2), "old": LATER - timedelta(days=6)},
        )

    def rows(connection) -> list[tuple]:
        snapshot = AnalyticsSnapshot.__table__.c
        columns = [snapshot.snapshot_type, snapshot.snapshot_date, snapshot.scope_type, snapshot.scope_id]
        documents = [snapshot.metrics, snapshot.message_metrics, snapshot.contact_metrics]
        found = connection.execute(select(*columns, *documents).order_by(*columns)).all()
        return [tuple(row) for row in found]

    for kind in (SnapshotType.hourly, SnapshotType.daily):
        with engine.connect() as connection:
            transaction = connection.begin()
            jobs.aggregate(connection, settings, kind, LATER)  # no readers: one statement after another
            in_turn = rows(connection)
            transaction.rollback()
        run_aggregation(engine, settings, kind, now=LATER)
        with engine.connect() as connection:
            assert rows(connection) == in_turn
    engine.dispose()
