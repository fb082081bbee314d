"""API tokens: programs call with `Authorization: Bearer pt_...` and act with their user's scope."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from pantau.auth.tokens import issue_token
from pantau.models import ApiToken, User
from tests.support.auth import PASSWORD_HASH, sign_in

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def token_for(session, user_id: str) -> str:
    return issue_token(session, session.get(User, user_id), "reporting script", NOW).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_bearer_token_identifies_its_user(client, data, session):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")

    response = client.get("/api/me", headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["id"] == "olga"
    assert response.json()["scope"] == {"level": "all", "teamIds": []}


def test_only_the_sha256_of_the_token_and_a_short_prefix_are_stored(data, session):
    data.make_user("owner", id="olga")

    token = token_for(session, "olga")

    record = session.scalars(select(ApiToken)).one()
    assert token.startswith("pt_")
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert record.prefix == token[:11]
    assert record.name == "reporting script"


def test_a_revoked_token_is_refused(client, data, session):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")
    session.execute(update(ApiToken).values(revoked_at=NOW))

    response = client.get("/api/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.json() == {
        "error": "unauthorized",
        "detail": "the API token is unknown or revoked, or its user is deactivated",
    }


def test_a_token_of_a_deactivated_user_is_refused(client, data, session):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")
    session.execute(update(User).where(User.id == "olga").values(is_active=False))

    assert client.get("/api/me", headers=bearer(token)).status_code == 401


def test_an_unknown_token_is_refused(client):
    assert client.get("/api/me", headers=bearer("pt_made-up")).status_code == 401


def test_a_bad_token_is_refused_even_alongside_a_good_session(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    sign_in(client, "ana@example.test")

    assert client.get("/api/me", headers=bearer("pt_made-up")).status_code == 401


def test_using_a_token_records_when_it_was_last_used(client, data, session, pinned_now):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")

    client.get("/api/me", headers=bearer(token))

    assert session.scalars(select(ApiToken.last_used_at)).one() == pinned_now


def test_last_used_is_rewritten_at_most_once_a_minute(client, data, session, pinned_now):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")
    thirty_seconds_ago = pinned_now - timedelta(seconds=30)
    session.execute(update(ApiToken).values(last_used_at=thirty_seconds_ago))

    client.get("/api/me", headers=bearer(token))

    assert session.scalars(select(ApiToken.last_used_at)).one() == thirty_seconds_ago


def test_last_used_older_than_a_minute_is_rewritten(client, data, session, pinned_now):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")
    session.execute(update(ApiToken).values(last_used_at=pinned_now - timedelta(seconds=61)))

    client.get("/api/me", headers=bearer(token))

    assert session.scalars(select(ApiToken.last_used_at)).one() == pinned_now
