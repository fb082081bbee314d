"""Liveness, readiness and the clear messages for a database that is missing, unreachable or unmigrated."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from pantau.core.database import DatabaseNotReady, check_ready, make_engine
from pantau.migrations.runner import upgrade
from pantau.web.app import create_app
from tests.conftest import make_settings


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_is_503_with_the_reason_on_an_unmigrated_database(fresh_database_url):
    engine = make_engine(fresh_database_url)
    app = create_app(settings=make_settings(fresh_database_url), engine=engine)
    with TestClient(app) as client:
        response = client.get("/readyz")
    engine.dispose()
    assert response.status_code == 503
    assert response.json()["error"] == "database_not_ready"
    assert response.json()["detail"] == "the database is not migrated to this version; run `pantau migrate`"


def test_check_ready_names_a_missing_sqlite_file(tmp_path):
    path = tmp_path / "absent.db"
    with pytest.raises(DatabaseNotReady, match="does not exist; run `pantau migrate`"):
        check_ready(make_engine(f"sqlite:///{path}"))
    assert not path.exists()


def test_check_ready_says_the_database_cannot_be_reached_without_leaking_the_password():
    engine = make_engine("postgresql+psycopg://pantau:hunter2-secret@127.0.0.1:1/pantau")
    with pytest.raises(DatabaseNotReady) as raised:
        check_ready(engine)
    assert "cannot reach the database" in str(raised.value)
    assert "hunter2-secret" not in str(raised.value)


def test_check_ready_passes_after_migration(fresh_database_url):
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    check_ready(engine)
    engine.dispose()


def test_unknown_route_is_a_json_404(client):
    response = client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found"}


def test_openapi_docs_are_served(client):
    assert client.get("/openapi.json").json()["info"]["title"] == "Pantau"
    assert client.get("/docs").status_code == 200
