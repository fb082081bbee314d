"""`pantau doctor` against real services: each broken part is named with its fix, and a good set-up passes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from pantau.aggregation.jobs import run_aggregation
from pantau.models.enums import SnapshotType
from tests.conftest import make_settings
from tests.support.cli import run_pantau
from tests.support.databases import REDIS_URL, engine_for

STRONG = "a-production-secret-that-is-long-and-random-0123456789"


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A port bound by this test and never listened on: a connection to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def _aggregated(url: str) -> None:
    engine = engine_for(url)
    try:
        for kind in (SnapshotType.hourly, SnapshotType.daily):
            run_aggregation(engine, make_settings(url), kind)
    finally:
        engine.dispose()


def _line(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line[2:].startswith(f"{name}:"))


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_an_unreachable_database_is_named_and_exits_3(dialect, tmp_path, dead_port):
    url = f"postgresql://pantau:pw@127.0.0.1:{dead_port}/pantau"
    result = run_pantau("doctor", database_url=url, cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    line = _line(result.stdout, "database")
    assert line.startswith("✗ database: cannot reach the database at postgresql+psycopg://pantau:***@127.0.0.1:")
    assert "pw@" not in result.stdout
    assert "fix: start the database server, or correct DATABASE_URL" in result.stdout
    assert _line(result.stdout, "snapshots") == "– snapshots: not checked: the database is not ready"
    assert "Traceback" not in result.stderr


def test_an_unmigrated_database_is_named(dialect, tmp_path, fresh_database_url):
    result = run_pantau("doctor", database_url=fresh_database_url, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert _line(result.stdout, "database").startswith("✗ database: ")
    assert "run `pantau migrate`" in _line(result.stdout, "database")
    assert "    fix: run `pantau migrate`" in result.stdout
    assert _line(result.stdout, "settings") == "✓ settings: every setting parses"


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_weak_secret_in_production_is_named_and_the_other_checks_still_run(dialect, tmp_path, migrated_url):
    result = run_pantau(
        "doctor",
        database_url=migrated_url,
        cwd=tmp_path,
        extra_env={"ENVIRONMENT": "production", "SECRET_KEY": "short"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert _line(result.stdout, "secrets") == (
        "✗ secrets: SECRET_KEY must be set to a random value of at least 32 characters when ENVIRONMENT=production"
    )
    assert "secrets.token_urlsafe" in result.stdout
    assert "short" not in result.stdout
    assert _line(result.stdout, "database").startswith("✓ database: ")


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_dead_redis_is_named_and_exits_3(dialect, tmp_path, migrated_url, dead_port):
    _aggregated(migrated_url)
    result = run_pantau(
        "doctor", database_url=migrated_url, cwd=tmp_path, extra_env={"REDIS_URL": f"redis://127.0.0.1:{dead_port}/0"}
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert (
        _line(result.stdout, "redis")
        == f"✗ redis: Redis at redis://127.0.0.1:{dead_port}/0 did not answer (ConnectionError)"
    )
    assert "1 of 9 checks failed" in result.stdout


def test_no_snapshots_fails_the_freshness_and_scheduler_checks(dialect, tmp_path, migrated_url):
    result = run_pantau("doctor", database_url=migrated_url, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert _line(result.stdout, "snapshots") == "✗ snapshots: no hourly snapshot yet"
    assert _line(result.stdout, "scheduler").startswith("✗ scheduler: no daily run since ")


def test_a_good_set_up_passes(dialect, tmp_path, migrated_url):
    _aggregated(migrated_url)
    env = {"ENVIRONMENT": "production", "SECRET_KEY": STRONG, "METRICS_TOKEN": STRONG, "REDIS_URL": REDIS_URL}
    result = run_pantau("doctor", database_url=migrated_url, cwd=tmp_path, extra_env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "all checks passed"
    assert all(line[0] in "✓–" for line in lines[:-1]), result.stdout
    assert _line(result.stdout, "secrets") == "✓ secrets: strong for ENVIRONMENT=production"
    assert _line(result.stdout, "redis").startswith("✓ redis: ")
    assert _line(result.stdout, "snapshots").startswith("✓ snapshots: the hourly run at ")
    assert _line(result.stdout, "scheduler").startswith("✓ scheduler: the daily run at ")
    assert _line(result.stdout, "disk")[0] == ("✓" if dialect == "sqlite" else "–")

    as_json = run_pantau("doctor", "--json", database_url=migrated_url, cwd=tmp_path, extra_env=env)
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["ok"] is True
    shown = {line[2:].split(":", 1)[0]: line[0] for line in lines[:-1]}
    assert {check["name"]: {True: "✓", None: "–"}[check["ok"]] for check in document["checks"]} == shown


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_an_unreachable_smtp_server_is_named(dialect, tmp_path, migrated_url, dead_port):
    _aggregated(migrated_url)
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(dead_port)}
    result = run_pantau("doctor", database_url=migrated_url, cwd=tmp_path, extra_env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert _line(result.stdout, "smtp") == (
        f"✗ smtp: the SMTP server 127.0.0.1:{dead_port} did not answer (ConnectionRefusedError)"
    )


class _Inbox:
    """aiosmtpd's handler: keeps what it is sent (doctor sends nothing; it greets with EHLO and quits)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int]]:
    """A real SMTP server on a free local port (aiosmtpd checks its own start by connecting to the port it was given,
    so it is given a port that was free a moment before)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_an_smtp_server_that_greets_passes(dialect, tmp_path, migrated_url, smtp_server):
    _aggregated(migrated_url)
    host, port = smtp_server
    result = run_pantau(
        "doctor", database_url=migrated_url, cwd=tmp_path, extra_env={"SMTP_HOST": host, "SMTP_PORT": str(port)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _line(result.stdout, "smtp") == f"✓ smtp: the SMTP server {host}:{port} answers EHLO"


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_the_read_replica_is_checked_when_set(dialect, tmp_path, migrated_url, dead_port):
    _aggregated(migrated_url)
    same = run_pantau("doctor", database_url=migrated_url, cwd=tmp_path, extra_env={"DATABASE_READ_URL": migrated_url})
    assert same.returncode == 0, same.stdout + same.stderr
    assert _line(same.stdout, "read replica").startswith("✓ read replica: postgresql+psycopg://")

    replica = f"postgresql://pantau:pw@127.0.0.1:{dead_port}/pantau"
    dead = run_pantau("doctor", database_url=migrated_url, cwd=tmp_path, extra_env={"DATABASE_READ_URL": replica})
    assert dead.returncode == 3, dead.stdout + dead.stderr
    assert _line(dead.stdout, "read replica").startswith("✗ read replica: cannot reach the database at ")
    assert "fix: start the database server, or correct DATABASE_READ_URL" in dead.stdout


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_an_unknown_time_zone_is_named_and_nothing_else_is_checked(dialect, tmp_path, migrated_url):
    result = run_pantau("doctor", database_url=migrated_url, cwd=tmp_path, extra_env={"TIMEZONE": "Asia/Atlantis"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "✗ settings: TIMEZONE: unknown IANA time zone 'Asia/Atlantis'",
        "    fix: correct the named settings (.env or the environment)",
        "– other checks: not run: they need settings that parse",
        "1 of 2 checks failed",
    ]
