"""The request's database session (`pantau.web.deps.get_db`) commits what a request wrote and rolls back what a
failed request wrote: checked on a `commits` database, read back on a connection of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pantau.models import AuthSession, LoginFailure
from tests.support.auth import PASSWORD_HASH, sign_in

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits


def rows(engine, model) -> int:
    with engine.connect() as own:
        return own.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_sign_in_is_committed_and_seen_by_another_connection(client, data, engine):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    assert sign_in(client, "ana@example.test").status_code == 303

    assert (rows(engine, AuthSession), rows(engine, LoginFailure)) == (1, 0)


def test_a_refused_sign_in_commits_its_failure_and_no_session(client, data, engine):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    assert sign_in(client, "ana@example.test", "wrong password").status_code == 401

    assert (rows(engine, AuthSession), rows(engine, LoginFailure)) == (0, 1)


def test_each_commits_test_starts_from_an_empty_database(engine):
    assert (rows(engine, AuthSession), rows(engine, LoginFailure)) == (0, 0)
