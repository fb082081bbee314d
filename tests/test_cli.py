"""The `pantau` command as an operator runs it: a real process, clear messages, no tracebacks."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from pantau.cli.main import app
from pantau.core.database import reset_cached_database
from pantau.migrations.runner import upgrade
from tests.support.auth import PASSWORD, PASSWORD_HASH
from tests.support.builders import Dataset
from tests.support.databases import engine_for

ROOT = Path(__file__).resolve().parent.parent


def run_pantau(*args: str, database_url: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "SECRET_KEY"}}
    env.update({"DATABASE_URL": database_url, **(extra_env or {})})
    return subprocess.run(
        [sys.executable, "-m", "pantau", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_serve_refuses_an_unmigrated_database_with_a_clear_message(fresh_database_url):
    result = run_pantau("serve", "--port", "0", database_url=fresh_database_url)
    assert result.returncode == 1
    assert "run `pantau migrate`" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_then_migrate_down(fresh_database_url):
    up = run_pantau("migrate", database_url=fresh_database_url)
    assert up.returncode == 0, up.stderr
    assert "is at revision" in up.stdout
    engine = engine_for(fresh_database_url)
    try:
        assert {"conversations", "messages", "analytics_snapshots"} <= set(inspect(engine).get_table_names())
        down = run_pantau("migrate", "base", "--down", database_url=fresh_database_url)
        assert down.returncode == 0, down.stderr
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_serve_refuses_more_than_one_worker_on_sqlite(fresh_database_url):
    upgrade_engine = engine_for(fresh_database_url)
    upgrade(upgrade_engine)
    upgrade_engine.dispose()

    result = run_pantau("serve", "--port", "0", "--workers", "2", database_url=fresh_database_url)

    assert (result.returncode, result.stderr.strip()) == (
        2,  # bad usage
        "error: SQLite mode runs one process; use PostgreSQL (DATABASE_URL) for --workers > 1",
    )


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_migrate_against_an_unreachable_server_says_so(dialect):
    result = run_pantau("migrate", database_url="postgresql://pantau:pw@127.0.0.1:1/pantau")
    assert result.returncode == 3
    assert "cannot reach the database at postgresql+psycopg://pantau:***@127.0.0.1:1/pantau" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_bad_settings_are_named_without_a_traceback(dialect, tmp_path):
    result = run_pantau(
        "migrate", database_url=f"sqlite:///{tmp_path / 'x.db'}", extra_env={"TIMEZONE": "Nowhere/Atlantis"}
    )
    assert result.returncode == 1
    assert "TIMEZONE: unknown IANA time zone 'Nowhere/Atlantis'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_production_with_the_example_secret_is_refused(dialect, tmp_path):
    result = run_pantau("serve", database_url=f"sqlite:///{tmp_path / 'x.db'}", extra_env={"ENVIRONMENT": "production"})
    assert result.returncode == 1
    assert "SECRET_KEY must be set" in result.stderr


RELATIVE_WITHOUT_SLASHES = (
    "error: invalid settings: DATABASE_URL: 'sqlite:/relative.db' is not a database URL; write "
    "sqlite:///relative/path.db (three slashes: relative to the working directory), sqlite:////absolute/path.db "
    "(four slashes) or postgresql://user:password@host:5432/dbname\n"
)


@pytest.mark.parametrize(
    "command",
    [
        ["migrate"],
        ["serve"],
        ["demo"],
        ["user", "create", "--email", "ana@example.com", "--name", "Ana", "--role", "agent", "--password", "long pass"],
        ["user", "list"],
        ["user", "set-password", "--email", "ana@example.com", "--password", "long pass"],
        ["user", "deactivate", "--email", "ana@example.com"],
        ["token", "create", "--email", "ana@example.com"],
        ["token", "list"],
        ["token", "revoke", "1"],
        ["aggregate", "hourly"],
        ["aggregate", "backfill", "--from", "2026-03-01", "--to", "2026-03-02"],
        ["scheduler"],
        ["cache", "clear"],
        ["bench"],
        ["bench", "report"],
        ["report", "list"],
        ["report", "send-due"],
        ["bench", "realtime"],
        ["bench", "ingest"],
        ["import", "teams", "teams.csv"],
    ],
    ids=" ".join,
)
def test_every_command_names_a_malformed_database_url_in_one_line(monkeypatch, command):
    monkeypatch.setenv("DATABASE_URL", "sqlite:/relative.db")
    reset_cached_database()
    try:
        result = CliRunner().invoke(app, command)
    finally:
        monkeypatch.undo()
        reset_cached_database()

    assert (result.exit_code, result.stderr) == (1, RELATIVE_WITHOUT_SLASHES)


def test_serve_names_a_malformed_database_url_in_one_line_without_a_traceback():
    result = run_pantau("serve", database_url="sqlite:/relative.db")
    assert result.returncode == 1
    assert result.stderr == RELATIVE_WITHOUT_SLASHES


@pytest.fixture
def listening_socket() -> Iterator[socket.socket]:
    """A port on 127.0.0.1 some other process listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder


def test_serve_refuses_a_port_in_use_before_it_touches_the_database(fresh_database_url, listening_socket):
    port = listening_socket.getsockname()[1]

    # The database is not even migrated: the port is what it complains about.
    result = run_pantau("serve", "--port", str(port), database_url=fresh_database_url)

    assert result.returncode == 1
    assert result.stderr == (
        f"error: port {port} on 127.0.0.1 is already in use; is Pantau already running? "
        "Stop it (Ctrl-C where it runs) or choose another --port\n"
    )


def test_the_start_script_s_port_check_tells_a_taken_port_from_a_free_one(listening_socket):
    port = listening_socket.getsockname()[1]

    def port_is_free() -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", '. scripts/lib.sh && port_is_free 127.0.0.1 "$1"', "port_is_free", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    taken = port_is_free()
    listening_socket.close()
    free = port_is_free()

    assert (taken.returncode, taken.stderr) == (1, f"port {port} on 127.0.0.1 is already in use\n")
    assert (free.returncode, free.stderr) == (0, "")


def test_the_start_script_checks_the_port_before_it_touches_the_database():
    script = (ROOT / "scripts" / "start.sh").read_text()

    assert script.index('port_is_free "$HOST" "$PORT"') < script.index('pantau" migrate')


@pytest.fixture
def database_with_ana(tmp_path) -> str:
    """A migrated SQLite database in which ana@example.test can sign in."""
    url = f"sqlite:///{tmp_path / 'pantau.db'}"
    engine = engine_for(url)
    upgrade(engine)
    with engine.begin() as connection:
        Dataset(connection).make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    engine.dispose()
    return url


# Settings the tests of a running server set themselves (or leave at their defaults).
SERVE_SETTINGS = {
    "REDIS_URL",
    "ENVIRONMENT",
    "SECRET_KEY",
    "SESSION_COOKIE_SECURE",
    "METRICS_TOKEN",
    "FORWARDED_ALLOW_IPS",
}


@contextmanager
def serving(database_url: str, tmp_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[Served]:
    """`pantau serve` on a port the system picks, from the moment it says it is listening until the block ends. It
    runs in `tmp_path`, so it reads a `.env` a test writes there."""
    env = {k: v for k, v in os.environ.items() if k not in SERVE_SETTINGS}
    env.update({"DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "pantau", "serve", "--port", "0"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            announcement = server.stdout.readline()
            listening = re.fullmatch(r"Pantau is listening on (http://127\.0\.0\.1:\d+)\n", announcement)
            assert listening, f"{announcement!r}\n{log_path.read_text()}"
            yield Served(listening.group(1), log_path)
        finally:
            server.terminate()
            server.wait(timeout=60)
            server.stdout.close()


@dataclass(frozen=True)
class Served:
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_serve_says_it_is_listening_only_once_it_is(dialect, database_with_ana, tmp_path):
    with serving(database_with_ana, tmp_path) as served:
        # No retry: the announcement comes after the bind, so the first request is answered.
        response = httpx2.get(f"{served.base_url}/healthz")

    assert response.status_code == 200


def sign_in_over(base_url: str, headers: dict[str, str]) -> httpx2.Response:
    return httpx2.post(f"{base_url}/login", data={"email": "ana@example.test", "password": PASSWORD}, headers=headers)


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_behind_a_trusted_tls_proxy_the_session_cookie_is_secure(dialect, database_with_ana, tmp_path):
    with serving(database_with_ana, tmp_path) as served:
        proxied = sign_in_over(served.base_url, {"X-Forwarded-Proto": "https"})
        direct = sign_in_over(served.base_url, {})

    assert proxied.status_code == direct.status_code == 303
    assert proxied.headers["set-cookie"].endswith("; Secure")
    assert "Secure" not in direct.headers["set-cookie"]


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_forwarded_headers_from_an_untrusted_address_are_not_believed(dialect, database_with_ana, tmp_path):
    # A Pantau setting like any other: read from `.env` too, which uvicorn alone would not read.
    (tmp_path / ".env").write_text("FORWARDED_ALLOW_IPS=192.0.2.1\n")
    with serving(database_with_ana, tmp_path) as served:
        response = sign_in_over(served.base_url, {"X-Forwarded-Proto": "https"})

    assert response.status_code == 303
    assert "Secure" not in response.headers["set-cookie"]


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_serve_warns_about_an_insecure_cookie_and_open_metrics_in_production(dialect, database_with_ana, tmp_path):
    production = {"ENVIRONMENT": "production", "SECRET_KEY": "s" * 40, "SESSION_COOKIE_SECURE": "false"}
    with serving(database_with_ana, tmp_path, production) as served:
        response = sign_in_over(served.base_url, {"X-Forwarded-Proto": "https"})
        log = served.log()

    assert "Secure" not in response.headers["set-cookie"]
    assert [line for line in log.splitlines() if line.startswith("warning: ")] == [
        "warning: SESSION_COOKIE_SECURE=false with ENVIRONMENT=production: browsers will send the session cookie "
        "over plain http too; leave it unset (Secure) when Pantau is reached over https",
        "warning: METRICS_TOKEN is empty with ENVIRONMENT=production: /metrics is open to anyone who can reach the "
        "server; set a token or keep /metrics off the public network",
    ]
