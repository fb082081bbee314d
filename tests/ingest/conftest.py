"""Ingest tests write through real commits (their modules are marked `commits`): each gets a clean migrated database
of its dialect, and the app built over it with `create_app(settings, engine)`, as `pantau serve` builds it.

    def test_...(doors, ingest_engine):
        doors.webhook(webhook(messages_change(inbound("wamid.A", at=...))))
        doors.events(event("e-1", "team.upserted", ..., id="t-1", name="Sales"))
        table(ingest_engine, Conversation)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pantau.auth.tokens import issue_token
from pantau.models import IngestJournalEntry, User
from pantau.models.enums import TokenPermission
from pantau.web.app import create_app
from tests.conftest import make_settings
from tests.ingest.payloads import APP_SECRET, EVENTS, VERIFY_TOKEN, WEBHOOK, batch, signed
from tests.support.builders import Dataset


def ingest_settings(database_url: str, **overrides):
    values = {"whatsapp_verify_token": VERIFY_TOKEN, "whatsapp_app_secret": APP_SECRET, **overrides}
    return make_settings(database_url, **values)


@pytest.fixture
def ingest_engine(engine) -> Engine:
    """The test's clean migrated database (the ingest test modules are marked `commits`)."""
    return engine


@pytest.fixture
def ingest_database_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def issue(engine: Engine, user_id: str, permission: TokenPermission) -> str:
    with Session(engine, expire_on_commit=False) as db, db.begin():
        return issue_token(db, db.get(User, user_id), f"{permission.value} token", datetime.now(UTC), permission).token


@pytest.fixture
def crm_user(ingest_engine) -> str:
    """The CRM integration's user (an owner), committed."""
    with ingest_engine.begin() as connection:
        Dataset(connection).make_user("owner", id="crm")
    return "crm"


class Doors:
    """The webhook and the events API of one app, with the right credentials."""

    def __init__(self, client: TestClient, engine: Engine, token: str) -> None:
        self.client = client
        self.engine = engine
        self.token = token

    def webhook(self, body: bytes) -> Response:
        return self.client.post(WEBHOOK, content=body, headers=signed(body))

    def events(self, *events: dict) -> Response:
        return self.client.post(EVENTS, json=batch(*events), headers={"Authorization": f"Bearer {self.token}"})

    def outcomes(self, *events: dict) -> list[str]:
        response = self.events(*events)
        assert response.status_code == 200, response.text
        return [result["outcome"] for result in response.json()["results"]]


@pytest.fixture
def ingest_app(ingest_engine, ingest_database_url):
    return create_app(settings=ingest_settings(ingest_database_url), engine=ingest_engine)


@pytest.fixture
def ingest_client(ingest_app) -> Iterator[TestClient]:
    with TestClient(ingest_app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def doors(ingest_client, ingest_engine, crm_user) -> Doors:
    return Doors(ingest_client, ingest_engine, issue(ingest_engine, crm_user, TokenPermission.ingest))


def table(engine: Engine, model, *columns, order_by=None) -> list[dict]:
    """Every row of the model's table (only `columns` when given), ordered by id: what a test compares."""
    selected = [model.__table__.c[name] for name in columns] if columns else [model.__table__]
    query = select(*selected).order_by(order_by if order_by is not None else model.__table__.c.id)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def journal(engine: Engine) -> list[dict]:
    return table(engine, IngestJournalEntry, "id", "source", "state", "error", "summary")
