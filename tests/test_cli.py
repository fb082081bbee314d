"""The `pantau` command as an operator runs it: a real process, clear messages, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


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
    down = run_pantau("migrate", "base", "--down", database_url=fresh_database_url)
    assert down.returncode == 0, down.stderr


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_migrate_against_an_unreachable_server_says_so(dialect):
    result = run_pantau("migrate", database_url="postgresql://pantau:pw@127.0.0.1:1/pantau")
    assert result.returncode == 1
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
