"""Tokens with the ingest permission send data and read nothing; read tokens read and send nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pantau.cli.main import app
from pantau.core.database import reset_cached_database
from pantau.models import ApiToken
from pantau.models.enums import TokenPermission
from tests.ingest.conftest import issue

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits

READ_ENDPOINTS = [
    "/api/me",
    "/api/dashboard/kpi",
    "/api/dashboard/business-impact",
    "/api/dashboard/filters",
    "/api/audit",
    "/",
]


@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_an_ingest_token_is_refused_by_every_read_endpoint(ingest_client, ingest_engine, crm_user, path):
    token = issue(ingest_engine, crm_user, TokenPermission.ingest)

    response = ingest_client.get(path, headers={"Authorization": f"Bearer {token}"}, follow_redirects=False)

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert "ingest permission" in response.json()["detail"]


def test_a_read_token_still_reads(ingest_client, ingest_engine, crm_user):
    token = issue(ingest_engine, crm_user, TokenPermission.read)

    assert ingest_client.get("/api/dashboard/kpi", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_token_create_with_the_ingest_permission_and_token_list_shows_it(
    ingest_engine, crm_user, ingest_database_url, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", ingest_database_url)
    monkeypatch.setenv("ENVIRONMENT", "development")
    reset_cached_database()
    try:
        created = CliRunner().invoke(
            app, ["token", "create", "--email", "crm@example.test", "--name", "crm", "--permission", "ingest"]
        )
        refused = CliRunner().invoke(app, ["token", "create", "--email", "crm@example.test", "--permission", "write"])
        listed = CliRunner().invoke(app, ["token", "list"])
    finally:
        reset_cached_database()

    assert created.exit_code == 0, created.output
    assert "(id 1, ingest) for crm@example.test" in created.stderr
    assert refused.exit_code == 2
    assert refused.stderr == "error: --permission must be one of: read, ingest; got 'write'\n"
    assert listed.stdout.splitlines()[0].split() == [
        "id",
        "prefix",
        "name",
        "permission",
        "user",
        "created",
        "last",
        "used",
        "status",
    ]
    assert listed.stdout.splitlines()[1].split()[2:4] == ["crm", "ingest"]
    with Session(ingest_engine) as db:
        assert db.scalar(select(ApiToken.permission)) == TokenPermission.ingest
