"""Dashboard reads on a real streaming replica (DATABASE_READ_URL), writes on the primary, and the fallback to the
primary when the replica fails or lags (pantau.core.replica). The pair of servers is the session's
(`replica_pair`); each test starts from empty tables and a replica that replays."""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from pantau.core.database import make_engine
from pantau.web.app import create_app
from tests.conftest import make_settings
from tests.replica.conftest import ReplicaPair, set_replay, wait_for_replay
from tests.support.auth import PASSWORD_HASH, sign_in
from tests.support.builders import Dataset, local
from tests.support.databases import empty_postgres_tables

SECRET = "cron-secret-that-is-long-enough-0123456789"


@pytest.fixture
def primary(replica_pair: ReplicaPair) -> Iterator[Engine]:
    engine = make_engine(replica_pair.primary_url)
    empty_postgres_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def replica(replica_pair: ReplicaPair, primary: Engine) -> Iterator[Engine]:
    engine = make_engine(replica_pair.replica_url)
    set_replay(engine, paused=False)
    wait_for_replay(primary, engine)
    yield engine
    set_replay(engine, paused=False)
    engine.dispose()


@pytest.fixture
def world(primary: Engine) -> Dataset:
    """An owner who can sign in and two open conversations today, committed on the primary."""
    connection = primary.connect().execution_options(isolation_level="AUTOCOMMIT")
    data = Dataset(connection)
    data.make_user("owner", id="olga", password_hash=PASSWORD_HASH)
    data.make_conversation(local("2026-03-04 09:00"), status="open")
    data.make_conversation(local("2026-03-04 09:30"), status="open")
    return data


@pytest.fixture
def client_for(replica_pair: ReplicaPair, primary: Engine, pinned_now, request):
    """`client_for(**settings)`: a signed-in owner's client on an app whose DATABASE_READ_URL is the replica."""
    clients = []

    def factory(**overrides) -> TestClient:
        values = {
            "database_read_url": replica_pair.replica_url,
            "database_read_check_seconds": 0,
            "database_read_max_lag_seconds": 3600,
            "cache_ttl_seconds": 0,
            "cron_secret": SECRET,
        }
        values.update(overrides)
        app = create_app(settings=make_settings(replica_pair.primary_url, **values), engine=primary)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        assert sign_in(client, "olga@example.test").status_code == 303
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


def active(client: TestClient) -> int:
    response = client.get("/api/dashboard/kpi")
    assert response.status_code == 200, response.text
    return response.json()["activeConversations"]["value"]


def metric(client: TestClient, name: str, **labels: str) -> float:
    """A counter's value as /metrics shows it (0 when it was never incremented)."""
    body = client.get("/metrics").text
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    found = re.search(rf"^{name}_total\{{{re.escape(wanted)}\}} (\S+)$", body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def add_open_conversation(world: Dataset) -> None:
    world.make_conversation(local("2026-03-04 10:00"), status="open")


def test_a_section_is_read_on_the_replica(client_for, world, primary, replica):
    client = client_for()
    wait_for_replay(primary, replica)
    assert active(client) == 2
    # The replica stops replaying; the primary gets a third conversation. Within the bound (an hour) the section
    # still reads the replica, which has not seen it: the read went there.
    set_replay(replica, paused=True)
    add_open_conversation(world)
    before = metric(client, "pantau_database_reads", database="replica")
    assert active(client) == 2
    assert metric(client, "pantau_database_reads", database="replica") == before + 1
    set_replay(replica, paused=False)
    wait_for_replay(primary, replica)
    assert active(client) == 3


def test_a_drill_down_list_is_read_on_the_replica(client_for, world, primary, replica):
    client = client_for()
    wait_for_replay(primary, replica)
    set_replay(replica, paused=True)
    add_open_conversation(world)
    response = client.get("/api/dashboard/kpi/conversations?figure=activeConversations.value")
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 2


def test_the_summary_pdf_reads_its_six_sections_on_the_replica(client_for, world, primary, replica):
    client = client_for()
    wait_for_replay(primary, replica)
    on_replica = metric(client, "pantau_database_reads", database="replica")
    on_primary = metric(client, "pantau_database_reads", database="primary")
    response = client.get("/api/export/summary.pdf")
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"%PDF")
    assert metric(client, "pantau_database_reads", database="replica") == on_replica + 6
    assert metric(client, "pantau_database_reads", database="primary") == on_primary


def test_a_conversation_export_streams_from_the_replica(client_for, world, primary, replica):
    client = client_for()
    wait_for_replay(primary, replica)
    set_replay(replica, paused=True)
    add_open_conversation(world)
    response = client.get("/api/export/conversations", params={"dateRange": "today", "format": "csv"})
    assert response.status_code == 200, response.text
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    # The audit row of the download went to the primary.
    with primary.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1


def test_an_idle_primary_does_not_make_an_up_to_date_replica_look_late(client_for, world, primary, replica):
    client = client_for(database_read_max_lag_seconds=1)
    wait_for_replay(primary, replica)
    assert active(client) == 2
    # Nothing is written for longer than the bound: the last replayed transaction grows old, the replica does not
    # fall behind (its replay position is the primary's).
    time.sleep(1.5)
    lagging = metric(client, "pantau_replica_fallbacks", reason="lagging")
    on_replica = metric(client, "pantau_database_reads", database="replica")
    assert active(client) == 2
    assert metric(client, "pantau_database_reads", database="replica") == on_replica + 1
    assert metric(client, "pantau_replica_fallbacks", reason="lagging") == lagging


def _assert_a_new_row_is_read_on_the_primary(client, world, caplog, reason: str, warning: str) -> None:
    """A conversation opened now is counted at once (read on the primary), the fallback counted under `reason` and
    a warning saying `warning` logged."""
    add_open_conversation(world)
    before = metric(client, "pantau_replica_fallbacks", reason=reason)
    with caplog.at_level(logging.WARNING, logger="pantau.database"):
        assert active(client) == 3
    assert metric(client, "pantau_replica_fallbacks", reason=reason) == before + 1
    warnings = [record.getMessage() for record in caplog.records if record.name == "pantau.database"]
    assert any(warning in message for message in warnings), warnings


def test_a_replica_behind_the_bound_sends_reads_to_the_primary(client_for, world, primary, replica, caplog):
    client = client_for(database_read_max_lag_seconds=0)
    wait_for_replay(primary, replica)
    assert active(client) == 2
    set_replay(replica, paused=True)
    _assert_a_new_row_is_read_on_the_primary(client, world, caplog, "lagging", "has replayed WAL up to")


def test_a_stopped_replica_sends_reads_to_the_primary(client_for, world, primary, replica, replica_pair, caplog):
    client = client_for()
    wait_for_replay(primary, replica)
    assert active(client) == 2
    replica_pair.stop_replica()
    try:
        _assert_a_new_row_is_read_on_the_primary(client, world, caplog, "unreachable", "did not answer")
    finally:
        replica_pair.start_replica()


def test_a_replica_answer_fills_the_cache_only_when_the_replica_has_every_write(
    client_for, world, primary, replica, redis_url, cache_namespace
):
    client = client_for(cache_ttl_seconds=300, redis_url=redis_url, cache_namespace=cache_namespace)
    wait_for_replay(primary, replica)
    set_replay(replica, paused=True)
    add_open_conversation(world)
    # The replica lags within the bound, but an answer about to be cached is read where every write is: a stale
    # answer would otherwise be served for the cache's whole TTL.
    before = metric(client, "pantau_replica_fallbacks", reason="cache_fill")
    response = client.get("/api/dashboard/kpi")
    assert metric(client, "pantau_replica_fallbacks", reason="cache_fill") == before + 1
    assert response.headers["X-Cache"] == "miss"
    assert response.json()["activeConversations"]["value"] == 3
    assert client.get("/api/dashboard/kpi").headers["X-Cache"] == "hit"


def test_writes_go_to_the_primary_with_a_replica_set(client_for, world, primary, replica):
    # Signing in wrote a session row; a write sent to the replica would fail (it is read-only).
    client = client_for()
    response = client.get("/api/cron/aggregate-metrics?type=hourly", headers={"Authorization": f"Bearer {SECRET}"})
    assert response.status_code == 200, response.text
    with primary.connect() as connection:
        sessions = connection.execute(text("SELECT count(*) FROM auth_sessions")).scalar_one()
        snapshots = connection.execute(text("SELECT count(*) FROM analytics_snapshots")).scalar_one()
    assert sessions == 1
    assert snapshots > 0
    with replica.connect() as connection:
        assert connection.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
