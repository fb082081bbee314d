"""After ingest commits, the dashboards read the new rows at once (the cached answers are invalidated), and a body
that cannot even be stored is the only 5xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from pantau.models.enums import TokenPermission
from pantau.web.app import create_app
from tests.ingest.conftest import ingest_settings, issue
from tests.ingest.payloads import event, inbound, messages_change, signed, webhook

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits


def test_a_cached_dashboard_answer_is_replaced_as_soon_as_ingest_commits(
    ingest_engine, ingest_database_url, crm_user, redis_url, cache_namespace
):
    settings = ingest_settings(ingest_database_url, redis_url=redis_url, cache_namespace=cache_namespace)
    reader = {"Authorization": f"Bearer {issue(ingest_engine, crm_user, TokenPermission.read)}"}
    sender = {"Authorization": f"Bearer {issue(ingest_engine, crm_user, TokenPermission.ingest)}"}
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    with TestClient(create_app(settings=settings, engine=ingest_engine)) as client:
        client.get("/api/dashboard/kpi", headers=reader)
        cached = client.get("/api/dashboard/kpi", headers=reader)
        client.post(
            "/api/ingest/events",
            headers=sender,
            json={
                "events": [
                    event("e-1", "contact.upserted", a_minute_ago, id="k-1"),
                    event("e-2", "conversation.opened", a_minute_ago, id="c-1", contactId="k-1"),
                ]
            },
        )
        fresh = client.get("/api/dashboard/kpi", headers=reader)

    assert (cached.headers["X-Cache"], cached.json()["activeConversations"]["value"]) == ("hit", 0)
    assert (fresh.headers["X-Cache"], fresh.json()["activeConversations"]["value"]) == ("miss", 1)


def test_a_body_that_cannot_be_journaled_is_503_so_meta_sends_it_again(dialect, tmp_path):
    unreachable = {
        "sqlite": f"sqlite:///{tmp_path}/missing-directory/pantau.db",
        "postgresql": "postgresql+psycopg://postgres@127.0.0.1:9/pantau",
    }[dialect]
    settings = ingest_settings(unreachable)
    body = webhook(messages_change(inbound("wamid.A", at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))))
    with TestClient(create_app(settings=settings)) as client:
        response = client.post("/api/ingest/whatsapp", content=body, headers=signed(body))

    assert response.status_code == 503
    assert response.json() == {
        "error": "journal_unavailable",
        "detail": "the body could not be stored; nothing was applied, send it again",
    }
