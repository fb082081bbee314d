"""`pantau bench` measures every section three ways on the database it is given (no figure is asserted: speed is
reported by the command, not tested)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pantau.bench.runner import run_bench
from pantau.dashboard.router import SECTIONS
from pantau.migrations.runner import upgrade
from pantau.models import ApiToken
from tests.conftest import make_settings
from tests.support.builders import Dataset
from tests.support.databases import engine_for


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_bench_reports_every_section_and_range(fresh_database_url):
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        data = Dataset(connection)
        data.make_user("owner", id="olga")
        for hours_ago in (1, 30):
            data.make_conversation(now - timedelta(hours=hours_ago))
    report = run_bench(
        engine,
        make_settings(fresh_database_url),
        ["default", "30d"],
        repeat=1,
        backfill_snapshots=True,
        refreshes=2,
        refresh_seconds=0.5,
    )
    with engine.connect() as connection:
        active_tokens = connection.execute(
            select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
        ).scalar_one()
    engine.dispose()
    assert active_tokens == 0  # the token it measured with is revoked

    measured = {(row.section, row.range) for row in report.sections}
    expected = {(name, section.default_range) for name, section in SECTIONS.items()}
    expected |= {(name, "30d") for name, section in SECTIONS.items() if section.ranged}
    assert measured == expected
    zone = make_settings(fresh_database_url).zone
    days = (now.astimezone(zone).date() - (now - timedelta(hours=30)).astimezone(zone).date()).days + 1
    assert (report.conversations, report.backfill_days) == (2, days)
    assert all(row.live.p50_ms > 0 and row.snapshots.p50_ms > 0 and row.cache_hit.p50_ms > 0 for row in report.sections)
    # 50 users loading the page twice, then all at once: the 7 sections and the filters each time, all answered.
    load = report.concurrent
    assert (load.users, load.steady_requests, load.burst_requests) == (50, 50 * 2 * 8, 50 * 8)
    assert load.steady.p95_ms >= load.steady.p50_ms > 0 and load.burst.p95_ms >= load.burst.p50_ms > 0
    assert report.worker_peak_mb is not None and report.worker_peak_mb > 0
    # The hit against its floor, side by side: without REDIS_URL the floor is /healthz alone.
    floor = report.floor
    assert (floor.section, floor.rounds, floor.redis_get) == ("kpi", 100, None)
    assert floor.floor_ms == floor.healthz.p50_ms > 0 and floor.ratio == floor.hit.p50_ms / floor.healthz.p50_ms


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_bench_needs_data(fresh_database_url):
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    with pytest.raises(RuntimeError, match="no conversations"):
        run_bench(engine, make_settings(fresh_database_url), ["default"], repeat=1, backfill_snapshots=False)
    engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_bench_ingest_measures_each_door_and_leaves_nothing_behind(fresh_database_url):
    from pantau.bench.ingest import run_ingest_bench
    from pantau.models import Contact, IngestEvent, IngestJournalEntry, Message

    engine = engine_for(fresh_database_url)
    upgrade(engine)
    with engine.begin() as connection:
        Dataset(connection).make_user("owner", id="olga")

    report = run_ingest_bench(
        engine,
        make_settings(fresh_database_url),
        statuses=30,
        statuses_per_body=2,
        clients=2,
        event_batches=2,
        csv_rows=50,
    )

    assert (report.webhook.items, report.webhook_bodies) == (30, 15)
    assert report.events.items == 1000 and report.csv.items == 50
    assert report.webhook.answer.p95_ms >= report.webhook.answer.p50_ms > 0
    with engine.connect() as connection:
        left = {
            model.__tablename__: connection.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Contact, Message, IngestEvent, IngestJournalEntry)
        }
        active_tokens = connection.execute(
            select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
        ).scalar_one()
    engine.dispose()
    assert left == {"contacts": 0, "messages": 0, "ingest_events": 0, "ingest_journal": 0}
    assert active_tokens == 0


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_the_bench_command_prints_its_report_and_leaves_no_token(fresh_database_url):
    """`pantau bench` itself, a tiny run: one repeat, the default ranges, no backfill, one page load per user."""
    from tests.test_cli import run_pantau

    engine = engine_for(fresh_database_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        data = Dataset(connection)
        data.make_user("owner", id="olga")
        for hours_ago in (1, 30):
            data.make_conversation(now - timedelta(hours=hours_ago))

    result = run_pantau(
        "bench",
        *("--ranges", "default", "--repeat", "1", "--no-backfill", "--refreshes", "1", "--refresh-seconds", "0"),
        database_url=fresh_database_url,
        extra_env={"COLUMNS": "200"},  # the table's rows unwrapped, whatever terminal runs the tests
    )

    assert result.returncode == 0, result.stderr
    assert ", 2 conversations, " in result.stdout
    printed_rows = {
        tuple(cell.strip() for cell in line.split("│")[1:3]) for line in result.stdout.splitlines() if "│" in line
    }
    assert {(name, section.default_range) for name, section in SECTIONS.items()} <= printed_rows
    assert "50 users opening the page at the same instant (400 cached requests)" in result.stdout
    assert "a cached kpi against its floor, side by side over 100 rounds (p50): /healthz " in result.stdout
    with engine.connect() as connection:
        active_tokens = connection.execute(
            select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
        ).scalar_one()
    engine.dispose()
    assert active_tokens == 0


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_the_bench_command_on_an_empty_database_says_to_load_data(fresh_database_url):
    from tests.test_cli import run_pantau

    engine = engine_for(fresh_database_url)
    upgrade(engine)
    engine.dispose()

    result = run_pantau("bench", "--repeat", "1", "--no-backfill", database_url=fresh_database_url)

    assert result.returncode == 1
    assert "no conversations" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_bench_hits_measures_the_floor_with_redis_and_the_burst(fresh_database_url, redis_url, cache_namespace):
    """`pantau bench hits`: /healthz, one Redis GET and a hit in turn; then every user's page at once; the Redis
    entry of the floor and the measuring token are gone afterwards."""
    import json

    import redis

    from tests.test_cli import run_pantau

    engine = engine_for(fresh_database_url)
    upgrade(engine)
    with engine.begin() as connection:
        data = Dataset(connection)
        data.make_user("owner", id="olga")
        data.make_conversation(datetime.now(UTC) - timedelta(hours=1))

    result = run_pantau(
        "bench",
        "hits",
        *("--rounds", "20", "--users", "3", "--json"),
        database_url=fresh_database_url,
        extra_env={"REDIS_URL": redis_url, "CACHE_NAMESPACE": cache_namespace},
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    floor = report["floor"]
    assert (floor["section"], floor["rounds"], report["workers"]) == ("kpi", 20, None)
    assert floor["floor_ms"] == pytest.approx(floor["healthz_ms"]["p50"] + floor["redis_get_ms"]["p50"])
    assert floor["hit_over_floor"] == pytest.approx(floor["cache_hit_ms"]["p50"] / floor["floor_ms"])
    assert (report["burst"]["users"], report["burst"]["requests"]) == (3, 3 * 8)
    client = redis.Redis.from_url(redis_url)
    assert client.get(f"{cache_namespace}:bench-floor") is None
    client.close()
    with engine.connect() as connection:
        active_tokens = connection.execute(
            select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
        ).scalar_one()
    engine.dispose()
    assert active_tokens == 0
