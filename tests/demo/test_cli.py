"""`pantau demo` as an operator runs it: the real S dataset, refusals with a reason, never a traceback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pantau.cli.main import app
from pantau.core.config import get_settings
from pantau.migrations.runner import upgrade
from pantau.models import Conversation, Message
from tests.support.databases import engine_for


@pytest.fixture
def pantau(monkeypatch):
    """Run `pantau ...` against a database URL, as the console script would."""

    def run(database_url: str, *arguments: str):
        monkeypatch.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(arguments))
        finally:
            get_settings.cache_clear()

    return run


@pytest.fixture
def migrated_sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = engine_for(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_size_s_loads_a_week_and_prints_counts_and_sign_ins_then_refuses_a_second_load(pantau, migrated_sqlite_url):
    result = pantau(migrated_sqlite_url, "demo")

    assert result.exit_code == 0, result.output
    for role in ("owner", "admin", "manager", "supervisor", "agent"):
        assert f"{role}@demo.pantau.id" in result.output
    assert "pantau-demo" in result.output and "conversations" in result.output
    engine = engine_for(migrated_sqlite_url)
    with engine.connect() as connection:
        conversations = connection.scalar(select(func.count()).select_from(Conversation))
        messages = connection.scalar(select(func.count()).select_from(Message))
    engine.dispose()
    assert 4_500 < conversations < 5_500
    assert 8 < messages / conversations < 13

    again = pantau(migrated_sqlite_url, "demo")
    assert again.exit_code == 1
    assert "already holds CRM data" in again.output and "--reset" in again.output


def test_size_l_is_refused_on_sqlite(pantau, migrated_sqlite_url):
    result = pantau(migrated_sqlite_url, "demo", "--size", "L")

    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output


def test_an_unmigrated_database_is_named_without_a_traceback(pantau, fresh_database_url):
    result = pantau(fresh_database_url, "demo")

    assert result.exit_code == 1
    assert "pantau migrate" in result.output and "Traceback" not in result.output
