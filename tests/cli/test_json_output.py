"""`--json` on listings and reports: every document parses and holds what the table shows."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from pantau.auth.tokens import issue_token
from pantau.dashboard.router import SECTIONS
from pantau.ingest import journal
from pantau.models import ApiToken, Message, ParkedItem, User
from pantau.models.enums import IngestSource, JournalState, ReferentKind
from tests.auth.test_cli import pantau, seed
from tests.support.builders import Dataset
from tests.support.cli import run_pantau
from tests.support.databases import engine_for

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _table(output: str) -> list[list[str]]:
    """The rows of a plain aligned table (columns two spaces apart), header first."""
    return [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in output.splitlines()]


def test_user_list_json_holds_what_the_table_shows(cli_engine):
    def build(db):
        data = Dataset(db.connection())
        data.make_team("Sales", id="sales")
        data.make_user("supervisor", id="sri", name="Sri Wahyuni", email="sri@example.com", team="sales")
        data.make_user("agent", id="ana", name="Ana", email="ana@example.com", is_active=False)

    seed(cli_engine, build)

    table = pantau("user", "list")
    as_json = pantau("user", "list", "--json")

    assert as_json.exit_code == 0, as_json.output
    listed = json.loads(as_json.stdout)
    assert listed == [
        {"id": "ana", "email": "ana@example.com", "name": "Ana", "role": "agent", "team": None, "active": False},
        {
            "id": "sri",
            "email": "sri@example.com",
            "name": "Sri Wahyuni",
            "role": "supervisor",
            "team": "sales",
            "active": True,
        },
    ]
    shown = [
        [user["id"], user["email"], user["name"], user["role"], user["team"] or "-", "yes" if user["active"] else "no"]
        for user in listed
    ]
    assert _table(table.stdout)[1:] == shown


def test_token_list_json_holds_what_the_table_shows_and_never_a_token(cli_engine):
    def build(db):
        data = Dataset(db.connection())
        data.make_user("owner", id="olga", email="olga@example.com")
        data.make_user("agent", id="ana", email="ana@example.com")
        issue_token(db, db.get(User, "olga"), "nightly export", NOW)
        revoked = issue_token(db, db.get(User, "ana"), "phone app", NOW)
        revoked.record.revoked_at = NOW + timedelta(hours=1)

    seed(cli_engine, build)
    with Session(cli_engine) as db:
        prefixes = {token.name: token.prefix for token in db.query(ApiToken)}

    table = pantau("token", "list")
    as_json = pantau("token", "list", "--json")

    assert as_json.exit_code == 0, as_json.output
    listed = json.loads(as_json.stdout)
    assert sorted(listed, key=lambda token: token["id"]) == [
        {
            "id": 1,
            "prefix": prefixes["nightly export"],
            "name": "nightly export",
            "permission": "read",
            "user": "olga@example.com",
            "created_at": "2026-03-02T09:00:00+00:00",
            "last_used_at": None,
            "revoked_at": None,
            "status": "active",
        },
        {
            "id": 2,
            "prefix": prefixes["phone app"],
            "name": "phone app",
            "permission": "read",
            "user": "ana@example.com",
            "created_at": "2026-03-02T09:00:00+00:00",
            "last_used_at": None,
            "revoked_at": "2026-03-02T10:00:00+00:00",
            "status": "revoked",
        },
    ]
    rows = {row[0]: row for row in _table(table.stdout)[1:]}
    assert rows["1"][1:3] == [prefixes["nightly export"] + "…", "nightly export"]
    assert rows["2"][-1] == "revoked 2026-03-02 10:00 UTC"
    assert {row[0] for row in rows.values()} == {str(token["id"]) for token in listed}


def test_ingest_status_json_holds_what_the_table_shows(cli_engine):
    now = datetime.now(UTC)
    first = journal.record(
        cli_engine, source=IngestSource.events, body=b"{}", headers={}, received_at=now - timedelta(hours=2)
    )
    failed = journal.record(cli_engine, source=IngestSource.events, body=b"{}", headers={}, received_at=now)
    journal.mark_failed(cli_engine, failed, now, "no such conversation")
    with cli_engine.begin() as connection:
        connection.execute(
            insert(ParkedItem),
            [
                {
                    "source": IngestSource.whatsapp,
                    "waiting_kind": ReferentKind.message,
                    "waiting_id": "wamid.old",
                    "item": {},
                    "occurred_at": now - timedelta(days=9),
                    "parked_at": now - timedelta(days=8),
                },
                {
                    "source": IngestSource.events,
                    "waiting_kind": ReferentKind.conversation,
                    "waiting_id": "c-new",
                    "event_id": "e-1",
                    "item": {},
                    "occurred_at": now - timedelta(hours=1),
                    "parked_at": now - timedelta(hours=1),
                },
            ],
        )

    table = pantau("ingest", "status")
    as_json = pantau("ingest", "status", "--json")

    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    counts = {state.value: 0 for state in JournalState} | {"received": 1, "failed": 1}
    assert report["counts"] == counts
    assert report["oldest_unapplied"]["id"] == first
    received = datetime.fromisoformat(report["oldest_unapplied"]["received_at"])
    assert received == now - timedelta(hours=2)
    assert (report["parked"], report["parked_old_count"]) == (2, 1)
    [old] = report["parked_old"]
    assert (old["source"], old["waiting_kind"], old["waiting_id"], old["event_id"]) == (
        "whatsapp",
        "message",
        "wamid.old",
        None,
    )
    lines = table.stdout.splitlines()
    assert lines[0] == "journal entries: " + ", ".join(f"{count} {state}" for state, count in counts.items())
    assert (
        lines[1]
        == f"oldest not applied: entry {first}, received {received:%Y-%m-%d %H:%M:%S} UTC (`pantau ingest replay`)"
    )
    assert lines[2] == "parked items: 2, of which 1 older than 7 days"
    assert lines[3].startswith("  whatsapp waiting for message wamid.old since ")


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_cache_status_json_holds_what_the_table_shows(dialect, tmp_path, redis_url, cache_namespace):
    env = {"REDIS_URL": redis_url, "CACHE_NAMESPACE": cache_namespace}
    url = f"sqlite:///{tmp_path / 'unused.db'}"
    cleared = run_pantau("cache", "clear", "--section", "kpi", database_url=url, cwd=tmp_path, extra_env=env)
    assert cleared.returncode == 0, cleared.stderr

    table = run_pantau("cache", "status", database_url=url, cwd=tmp_path, extra_env=env)
    as_json = run_pantau("cache", "status", "--json", database_url=url, cwd=tmp_path, extra_env=env)

    assert as_json.returncode == 0, as_json.stderr
    status = json.loads(as_json.stdout)
    versions = {"all": 0} | {section: 0 for section in SECTIONS} | {"kpi": 1}
    assert status == {
        "store": "redis",
        "ttl_seconds": 30,
        "namespace": cache_namespace,
        "reachable": True,
        "versions": versions,
    }
    assert table.stdout.splitlines() == [
        f"store: Redis, shared by every Pantau process (namespace {cache_namespace})",
        "answers kept: 30 s",
        "versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
    ]


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_cache_status_says_redis_did_not_answer_and_exits_3(dialect, tmp_path):
    env = {"REDIS_URL": "redis://127.0.0.1:1/0"}
    result = run_pantau(
        "cache", "status", "--json", database_url=f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path, extra_env=env
    )
    assert result.returncode == 3
    assert json.loads(result.stdout)["reachable"] is False
    assert result.stderr.startswith("error: Redis at REDIS_URL did not answer")


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_bench_json_carries_every_figure_with_the_data_set_and_the_machine(dialect, tmp_path, migrated_url):
    now = datetime.now(UTC)
    engine = engine_for(migrated_url)
    with engine.begin() as connection:
        data = Dataset(connection)
        data.make_user("owner", id="olga")
        for hours_ago in (1, 30):
            data.make_conversation(now - timedelta(hours=hours_ago))
        messages = connection.execute(select(func.count()).select_from(Message)).scalar_one()
    engine.dispose()

    options = ("--ranges", "default", "--repeat", "1", "--refreshes", "1", "--refresh-seconds", "0.2", "--json")
    result = run_pantau("bench", *options, database_url=migrated_url, cwd=tmp_path, timeout=600)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["database"].startswith("SQLite ")
    assert report["machine"].startswith(f"{os.cpu_count()} cores, ")
    assert report["data_set"] == {"conversations": 2, "messages": messages}
    assert (report["ranges"], report["repeat"]) == (["default"], 1)
    assert report["backfill"]["days"] >= 2 and report["backfill"]["seconds"] > 0
    assert {(row["section"], row["range"]) for row in report["sections"]} == {
        (name, section.default_range) for name, section in SECTIONS.items()
    }
    for row in report["sections"]:
        for figure in ("miss_live_ms", "miss_snapshots_ms", "cache_hit_ms"):
            assert row[figure]["p95"] >= row[figure]["p50"] > 0
        assert row["live_over_snapshots"] == row["miss_live_ms"]["p50"] / row["miss_snapshots_ms"]["p50"]
    load = report["concurrent"]
    assert (load["users"], load["refreshes"], load["steady_requests"], load["burst_requests"]) == (50, 1, 400, 400)
    assert load["steady_ms"]["p50"] > 0 and load["burst_ms"]["p50"] > 0
    assert report["worker_peak_mb"] > 0
