"""`pantau bench realtime` runs two real server processes over one PostgreSQL database and a real Redis, opens its
subscribers and writes; every write reaches every subscriber whose scope it touches (no latency is asserted: speed
is reported by the command, not tested), and its tokens are revoked afterwards."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from pantau.bench.realtime import run_realtime_bench
from pantau.migrations.runner import upgrade
from pantau.models import ApiToken
from tests.conftest import make_settings
from tests.realtime.processes import RedisServer
from tests.realtime.world import plant
from tests.support.databases import engine_for


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_realtime_bench_delivers_every_write_to_every_subscriber_in_scope(fresh_database_url):
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    plant(engine)
    redis_server = RedisServer()
    try:
        settings = make_settings(
            fresh_database_url, redis_url=redis_server.url, cache_namespace=f"pantau-test:{uuid.uuid4().hex}"
        )
        # On a thread of its own, as on the command line: the browser tests' session-wide Playwright keeps an event
        # loop running on the main thread, where the bench's asyncio.run would be refused.
        with ThreadPoolExecutor(1) as thread:
            report = thread.submit(run_realtime_bench, engine, settings, subscribers=10, rate=4.0, seconds=2.0).result()
    finally:
        redis_server.stop()
    assert report.subscribers == 10
    assert report.by_level == {"organisation": 1, "team": 2, "agent": 7}
    assert report.writes == 8
    # The writes cycle over the three agents (ana, budi, citra: 3, 3, 2 writes). The organisation sees all 8; each
    # team supervisor sees their team's (A: ana + budi = 6, B: citra = 2); the 7 agent subscribers cycle ana, budi,
    # citra, ana, budi, citra, ana and see their own.
    assert report.deliveries == 8 + (6 + 2) + (3 + 3 + 2 + 3 + 3 + 2 + 3)
    assert report.undelivered == 0
    assert report.pushes > 0
    # Every write's answer timed, from its own sending.
    assert 0 < report.write_answer.p50_ms <= report.write_answer.p95_ms < 60_000
    # Timed from the answers, which come after the sending: each push counts for less time than from the sending.
    assert report.answer_to_push.p50_ms < report.latency.p50_ms
    with engine.connect() as connection:
        active = connection.execute(select(func.count()).where(ApiToken.revoked_at.is_(None))).scalar_one()
    assert active == 7  # the tokens the test's own world issued; the bench's are revoked
    engine.dispose()
