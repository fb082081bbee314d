"""Two `pantau serve` processes sharing one PostgreSQL database and a real Redis: a write through one reaches a socket
on the other; with Redis gone the sockets get periodic pushes, and once it is back, changes travel again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx2
import pytest

from pantau.migrations.runner import upgrade
from tests.realtime.conftest import open_socket
from tests.realtime.processes import RedisServer, Serve
from tests.realtime.world import opened, plant
from tests.support.databases import engine_for


def _active(message: dict) -> int:
    return message["data"]["activeConversations"]["value"]


def _kpi_at(value: int):
    return lambda m: m.get("section") == "kpi" and _active(m) == value


@pytest.fixture
def two_servers(fresh_database_url):
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    world = plant(engine)
    engine.dispose()
    redis_server = RedisServer()
    environment = {"REDIS_URL": redis_server.url, "CACHE_NAMESPACE": f"pantau-test:{uuid.uuid4().hex}"}
    servers = []
    try:
        servers = [Serve(fresh_database_url, **environment), Serve(fresh_database_url, **environment)]
        yield servers, world, redis_server
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()


def _write(server: Serve, world, person: str, conversation: str, contact: str) -> None:
    response = httpx2.post(
        f"{server.base_url}/api/ingest/events",
        json=opened(person, conversation, contact, datetime.now(UTC)),
        headers={"Authorization": f"Bearer {world.ingest_token}"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_a_write_through_one_process_reaches_a_socket_on_the_other_and_redis_going_away_is_survived(two_servers):
    (first, second), world, redis_server = two_servers
    owner = open_socket(second.base_url, world.headers("owner"))
    ana = open_socket(second.base_url, world.headers("ana"))
    owner.subscribe(["kpi"])
    ana.subscribe(["kpi"])
    assert _active(owner.until(lambda m: m.get("section") == "kpi")) == 3
    assert _active(ana.until(lambda m: m.get("section") == "kpi")) == 1

    _write(first, world, "ana", "conv-ana-1", "cust-1")
    owner.until(_kpi_at(4))
    ana.until(_kpi_at(2))

    # Redis goes away: the write through the first process cannot travel, the second pushes it from its periodic
    # refresh, and neither process fails a request.
    redis_server.stop()
    _write(first, world, "ana", "conv-ana-2", "cust-2")
    owner.until(_kpi_at(5))
    ana.until(_kpi_at(3))
    assert httpx2.get(f"{second.base_url}/api/dashboard/kpi", headers=world.headers("owner")).status_code == 200

    # Back: changes travel through Redis again.
    redis_server.start()
    _write(first, world, "budi", "conv-budi-1", "cust-3")
    owner.until(_kpi_at(6))
    _write(first, world, "ana", "conv-ana-3", "cust-4")
    ana.until(_kpi_at(4))
    owner.connection.close()
    ana.connection.close()
