"""Failures answered by the real handlers (`pantau.web.errors`) of a real server: the database going away is a 503
for every request that needs it and for /readyz, an unexpected exception is a 500; neither body carries a trace, the
database's address or the exception's words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pantau.auth.tokens import issue_token
from pantau.migrations.runner import upgrade
from pantau.models import User
from tests.support.builders import Dataset
from tests.support.databases import _admin_engine, engine_for
from tests.web.server import serving

NO_TIME_LIMIT = httpx2.Timeout(None)
SECRET_WORDS = "token pt_do-not-show-me in the exception"


def owner_token(database_url: str) -> str:
    engine = engine_for(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        Dataset(connection).make_user("owner", id="olga")
    with Session(engine) as session, session.begin():
        token = issue_token(session, session.get(User, "olga"), "errors", datetime.now(UTC)).token
    engine.dispose()
    return token


@contextmanager
def database_refusing_connections(database_url: str) -> Iterator[None]:
    """The PostgreSQL database stops accepting connections and loses the ones it had, as when it goes down."""
    name = make_url(database_url).database
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_with_the_database_gone_requests_are_503_and_readyz_is_not_ready(fresh_database_url):
    token = owner_token(fresh_database_url)
    bearer = {"Authorization": f"Bearer {token}"}
    with serving(fresh_database_url) as base_url, httpx2.Client(base_url=base_url, timeout=NO_TIME_LIMIT) as client:
        assert client.get("/api/dashboard/kpi", headers=bearer).status_code == 200
        assert client.get("/readyz").status_code == 200

        with database_refusing_connections(fresh_database_url):
            section = client.get("/api/dashboard/kpi", headers=bearer)
            ready = client.get("/readyz")
            alive = client.get("/healthz")

        assert (section.status_code, section.json()) == (
            503,
            {"error": "database_unavailable", "detail": "the database is not answering; try again shortly"},
        )
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["error"] == "database_not_ready"
        host = make_url(fresh_database_url).host
        for response in (section, ready):
            assert host not in response.text and "Traceback" not in response.text
        assert alive.status_code == 200
        # Once the database is back, so are the answers.
        assert client.get("/api/dashboard/kpi", headers=bearer).status_code == 200


def test_an_unexpected_exception_is_a_500_without_a_trace(fresh_database_url):
    owner_token(fresh_database_url)

    def add_a_failing_route(app: FastAPI) -> None:
        @app.get("/api/failing")
        def failing() -> None:
            raise RuntimeError(SECRET_WORDS)

    with serving(fresh_database_url, extend=add_a_failing_route) as base_url:
        response = httpx2.get(f"{base_url}/api/failing", timeout=NO_TIME_LIMIT)

    assert (response.status_code, response.json()) == (
        500,
        {"error": "internal_error", "detail": "the request failed; the error is logged on the server"},
    )
    assert "pt_do-not-show-me" not in response.text
