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


METRICS_TOKEN = "metrics-token-that-is-long-enough-0123456789"


def test_every_kind_of_response_says_nosniff(client):
    """JSON, errors, metrics, static files and pages alike: a browser must not guess another content type."""
    responses = [
        client.get("/healthz"),
        client.get("/api/me"),
        client.get("/api/nowhere"),
        client.get("/metrics"),
        client.get("/static/favicon.svg"),
        client.get("/login"),
    ]

    assert [response.headers.get("x-content-type-options") for response in responses] == ["nosniff"] * 6
    # The page policy stays on pages.
    assert ["content-security-policy" in response.headers for response in responses] == [False] * 5 + [True]


def test_metrics_are_open_without_a_token(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE" in response.text


class TestWithAMetricsToken:
    @pytest.fixture
    def settings(self, settings):
        return settings.model_copy(update={"metrics_token": METRICS_TOKEN})

    @pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {METRICS_TOKEN}", "Bearer "])
    def test_metrics_are_refused_without_the_token(self, client, authorization):
        headers = {"Authorization": authorization} if authorization else {}

        response = client.get("/metrics", headers=headers)

        assert response.status_code == 401
        assert response.json() == {
            "error": "unauthorized",
            "detail": "send METRICS_TOKEN as `Authorization: Bearer <token>`",
        }
        assert response.headers["www-authenticate"] == "Bearer"
        assert "# TYPE" not in response.text

    def test_metrics_are_served_with_the_token(self, client):
        response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

        assert response.status_code == 200
        assert "# TYPE" in response.text
