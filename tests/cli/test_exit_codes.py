"""The exit codes every command keeps: 0 ok, 1 failed, 2 bad usage, 3 a service did not answer."""

from __future__ import annotations

import pytest

from tests.support.cli import run_pantau

pytestmark = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


def test_an_unknown_option_is_bad_usage(dialect, tmp_path):
    result = run_pantau("user", "list", "--colour", database_url=f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert result.returncode == 2
    assert "No such option: --colour" in result.stderr


def test_a_value_pantau_refuses_is_bad_usage(dialect, tmp_path):
    result = run_pantau(
        "cache", "clear", "--section", "nope", database_url=f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown section 'nope'; use one of kpi, ")


def test_an_unmigrated_database_fails(dialect, tmp_path):
    result = run_pantau("user", "list", database_url=f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert result.returncode == 1
    assert "run `pantau migrate`" in result.stderr


def test_a_database_that_does_not_answer_is_3(dialect, tmp_path):
    result = run_pantau("user", "list", database_url="postgresql://pantau:pw@127.0.0.1:1/pantau", cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr.startswith("error: cannot reach the database at postgresql+psycopg://pantau:***@127.0.0.1:1/")
