"""Fixtures of the command line tests: a migrated database of the test's dialect, and the account commands'."""

from __future__ import annotations

import pytest

from pantau.migrations.runner import upgrade
from tests.auth.test_cli import cli_engine  # noqa: F401 (a fixture)
from tests.support.databases import engine_for


@pytest.fixture
def migrated_url(fresh_database_url) -> str:
    """A fresh database of the test's dialect, migrated to head (dropped afterwards)."""
    engine = engine_for(fresh_database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return fresh_database_url
