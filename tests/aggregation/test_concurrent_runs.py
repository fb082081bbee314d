"""Runs of different kinds started at the same moment (the scheduler's jobs at 00:00, or a cron calling both at once)
write some of the same rows and must never deadlock, on PostgreSQL, each run on connections of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text

from pantau.aggregation import jobs, rewrite
from pantau.aggregation.jobs import run_aggregation
from pantau.migrations.runner import upgrade
from pantau.models import AnalyticsSnapshot, BroadcastResult
from pantau.models.enums import SnapshotType
from tests.conftest import make_settings
from tests.support.builders import Dataset, local
from tests.support.databases import engine_for

# At 10:30 the hourly run recomputes from 08 Mar 10:00 and rewrites the days 08 and 09 Mar; the daily run recomputes
# from 08 Mar 00:00, the same two days and today. Both write those days' rows.
NOW = local("2026-03-10 10:30")
BACKFILLED = local("2026-03-10 09:00")
TRIES = 10
HOURLY, DAILY = SnapshotType.hourly, SnapshotType.daily


def build_three_days(data: Dataset) -> None:
    """Two teams, three agents and the unassigned queue, a conversation every 40 minutes with replies and outbound
    messages; and a campaign of 08 Mar 06:00, after the daily run's span begins and before the hourly run's: the
    hourly run recomputes its results first (its reply window may have closed), the daily run last, with its span."""
    teams = [data.make_team("A", id="team-a"), data.make_team("B", id="team-b")]
    agents = [data.make_user("agent", team=teams[0], id=f"agent-a{i}") for i in (1, 2)]
    agents.append(data.make_user("agent", team=teams[1], id="agent-b1"))
    start = local("2026-03-07 00:00")
    for index in range(int((NOW - start) / timedelta(minutes=40))):
        created = start + index * timedelta(minutes=40)
        agent = [*agents, None][index % 4]
        conversation = data.make_conversation(
            created,
            team=teams[index % 2],
            assigned_to=agent,
            status="resolved" if index % 3 else "open",
            resolved_at=created + timedelta(minutes=30) if index % 3 else None,
            id=f"conv-{index:03d}",
        )
        data.make_message(
            conversation,
            created + timedelta(minutes=index % 7 + 1),
            sender="agent",
            sender_id=agent,
            status=["sent", "delivered", "read", "failed"][index % 4],
            sent_at=created + timedelta(minutes=index % 7 + 1, seconds=3),
        )
    campaign = data.make_broadcast(local("2026-03-08 06:00"), name="Weekend sale", id="weekend-sale")
    for index, agent in enumerate([*agents, None]):
        sent = local("2026-03-08 06:00") + timedelta(minutes=index)
        conversation = data.make_conversation(
            sent, team=teams[index % 2], assigned_to=agent, broadcast=campaign, inbound_at=None, id=f"sale-{index}"
        )
        data.make_message(conversation, sent, sender="system", status="read", broadcast=campaign)
        data.make_message(conversation, sent + timedelta(hours=index + 1), sender="customer")


def as_the_backfill_left_it(engine, settings) -> None:
    with engine.begin() as connection:
        connection.execute(delete(AnalyticsSnapshot.__table__))
        connection.execute(delete(BroadcastResult.__table__))
    jobs.backfill(engine, settings, local("2026-03-02 00:00").date(), BACKFILLED.date(), now=BACKFILLED)


def stored(engine) -> tuple[list[tuple], list[tuple]]:
    snapshot, result = AnalyticsSnapshot.__table__.c, BroadcastResult.__table__.c
    key = [snapshot.snapshot_type, snapshot.snapshot_date, snapshot.scope_type, snapshot.scope_id]
    documents = [snapshot.metrics, snapshot.message_metrics, snapshot.contact_metrics, snapshot.computed_at]
    with engine.connect() as connection:
        snapshots = connection.execute(select(*key, *documents).order_by(*key)).all()
        results = connection.execute(
            select(*(column for column in BroadcastResult.__table__.c if column.name != "id")).order_by(
                result.broadcast_id, result.scope_type, result.scope_id
            )
        ).all()
    return [tuple(row) for row in snapshots], [tuple(row) for row in results]


class Interleaving:
    """Holds one run just before it writes the days until the other run has written them: the order of writes in
    which two runs that lock the same rows in different orders deadlock. A run never waits for ever: it goes on as
    soon as the other run has finished, or waits for a lock (it cannot write its days before this one commits)."""

    def __init__(self, engine, settings, held: SnapshotType) -> None:
        self.engine, self.settings, self.held = engine, settings, held
        self.days_written = threading.Event()
        self.finished = threading.Event()
        self.run_of_thread = threading.local()

    def run(self, kind: SnapshotType):
        self.run_of_thread.kind = kind
        try:
            return run_aggregation(self.engine, self.settings, kind, NOW)
        finally:
            if kind is not self.held:
                self.finished.set()

    def store_rows(self, store: Callable) -> Callable:
        def in_turn(connection, kind, *args, **kwargs):
            mine = self.run_of_thread.kind
            if kind is DAILY and mine is self.held:
                self._wait_for_the_other()
            written = store(connection, kind, *args, **kwargs)
            if kind is DAILY and mine is not self.held:
                self.days_written.set()
            return written

        return in_turn

    def _wait_for_the_other(self) -> None:
        with self.engine.connect() as watcher:
            while not (self.days_written.wait(0.01) or self.finished.is_set() or _someone_waits_for_a_lock(watcher)):
                continue


def _someone_waits_for_a_lock(connection) -> bool:
    waiting = connection.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    ).scalar_one()
    connection.commit()
    return bool(waiting)


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_an_hourly_and_a_daily_run_started_together_never_deadlock(fresh_database_url, monkeypatch):
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    settings = make_settings(fresh_database_url)
    with engine.begin() as connection:
        build_three_days(Dataset(connection))
    # The rows two runs one after the other leave, whichever goes first.
    as_the_backfill_left_it(engine, settings)
    for kind in (HOURLY, DAILY):
        run_aggregation(engine, settings, kind, NOW)
    expected = stored(engine)
    as_the_backfill_left_it(engine, settings)
    for kind in (DAILY, HOURLY):
        run_aggregation(engine, settings, kind, NOW)
    assert stored(engine) == expected
    assert sum(row[0] == DAILY for row in expected[0]) > 3 * 5  # three days, in five scopes at least

    failed = []
    for attempt in range(TRIES):
        as_the_backfill_left_it(engine, settings)
        # Either run may be the one that reaches the days later.
        interleaving = Interleaving(engine, settings, held=(HOURLY, DAILY)[attempt % 2])
        monkeypatch.setattr(rewrite, "store_rows", interleaving.store_rows(rewrite.store_rows))
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(interleaving.run, kind) for kind in (HOURLY, DAILY)]
            outcomes = [run.exception() or run.result() for run in runs]
        monkeypatch.undo()
        errors = [str(outcome).splitlines()[0] for outcome in outcomes if isinstance(outcome, Exception)]
        failed += [(attempt, errors)] if errors else []
        if not errors:
            assert [outcome.ran for outcome in outcomes] == [True, True]
            assert stored(engine) == expected
    engine.dispose()
    assert failed == []


def _when_all_are_ready(ready: threading.Barrier, write: Callable):
    ready.wait()
    return write()


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_on_sqlite_runs_and_a_backfill_started_together_take_turns(fresh_database_url):
    """SQLite has one writer at a time: a run that read first could not write at all once another had written (the
    scheduler's jobs at 00:00 run on threads of one process). Each waits its turn instead."""
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    settings = make_settings(fresh_database_url)
    with engine.begin() as connection:
        build_three_days(Dataset(connection))
    as_the_backfill_left_it(engine, settings)
    for kind in (HOURLY, DAILY):
        run_aggregation(engine, settings, kind, NOW)
    expected = stored(engine)

    def run(kind):
        return lambda: run_aggregation(engine, settings, kind, NOW)

    def backfill():
        return jobs.backfill(engine, settings, NOW.date(), NOW.date(), now=NOW)

    for writers in ([run(HOURLY), run(DAILY)], [run(DAILY), backfill]):
        as_the_backfill_left_it(engine, settings)
        together = threading.Barrier(len(writers))
        with ThreadPoolExecutor(len(writers)) as pool:
            started = [pool.submit(_when_all_are_ready, together, write) for write in writers]
            errors = [str(each.exception()).splitlines()[0] for each in started if each.exception()]
        assert errors == []
        if backfill not in writers:
            assert stored(engine) == expected
    engine.dispose()
