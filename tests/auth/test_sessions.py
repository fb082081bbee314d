"""Server-side sessions: what is stored, when they end, and what a page does without one."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from pantau.auth.dependencies import CurrentPageUser
from pantau.models import AuthSession, User
from tests.support.auth import PASSWORD_HASH, sign_in

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits


def signed_in_as_ana(client, data) -> str:
    """Sign the agent `ana` in; return the raw session token from the cookie."""
    data.make_user("agent", id="ana", name="Ana Putri", password_hash=PASSWORD_HASH)
    sign_in(client, "ana@example.test")
    return client.cookies["pantau_session"]


def with_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"pantau_session={token}"}


def test_only_a_keyed_hash_of_the_session_token_is_stored(client, data, session, settings):
    token = signed_in_as_ana(client, data)

    stored = session.scalars(select(AuthSession.token_hash)).all()

    assert stored == [hmac.new(settings.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()]
    assert token not in stored[0]


def test_a_session_lasts_the_configured_hours(client, data, session):
    signed_in_as_ana(client, data)

    auth_session = session.scalars(select(AuthSession)).one()

    assert auth_session.user_id == "ana"
    assert auth_session.expires_at - auth_session.created_at == timedelta(hours=12)
    assert auth_session.address == "testclient"


def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(client, data, session):
    token = signed_in_as_ana(client, data)

    response = client.post("/logout", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?signedOut=1"
    assert response.headers["set-cookie"].startswith('pantau_session=""')
    assert session.scalars(select(AuthSession.ended_at)).one() is not None
    replayed = client.get("/api/me", headers=with_cookie(token))
    assert replayed.status_code == 401


def test_a_sign_out_posted_from_another_site_is_refused_and_the_session_goes_on(client, data, session):
    token = signed_in_as_ana(client, data)

    response = client.post("/logout", headers={"Origin": "https://evil.example"}, follow_redirects=False)

    assert (response.status_code, response.json()["error"]) == (403, "cross_site_request")
    assert "set-cookie" not in response.headers
    assert session.scalars(select(AuthSession.ended_at)).one() is None
    assert client.get("/api/me", headers=with_cookie(token)).status_code == 200


def test_an_expired_session_is_refused(client, data, session):
    token = signed_in_as_ana(client, data)
    session.execute(update(AuthSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    response = client.get("/api/me", headers=with_cookie(token))

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_a_session_stops_working_once_the_crm_deactivates_its_user(client, data, session):
    token = signed_in_as_ana(client, data)
    session.execute(update(User).where(User.id == "ana").values(is_active=False))

    assert client.get("/api/me", headers=with_cookie(token)).status_code == 401


def test_rotating_the_secret_key_ends_every_session(client, data, settings):
    token = signed_in_as_ana(client, data)
    client.app.state.settings = settings.model_copy(update={"secret_key": "a-new-secret-key-0123456789-abcdefghijkl"})

    assert client.get("/api/me", headers=with_cookie(token)).status_code == 401


def test_the_api_without_credentials_answers_401_with_error_and_detail(client):
    response = client.get("/api/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "error": "unauthorized",
        "detail": "sign in at /login, or send an API token as `Authorization: Bearer <token>`",
    }


def test_a_page_without_a_session_redirects_to_the_sign_in_form_and_back(client):
    response = client.get("/", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_the_redirect_to_sign_in_remembers_the_page_and_its_query(client, app):
    @app.get("/reports")
    def reports(caller: CurrentPageUser) -> dict[str, str]:
        return {"id": caller.id}

    response = client.get("/reports", params={"dateRange": "7d"}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Freports%3FdateRange%3D7d"


def test_signing_in_again_ends_the_browser_s_previous_session(client, data, session):
    first = signed_in_as_ana(client, data)

    sign_in(client, "ana@example.test")

    assert client.get("/api/me", headers=with_cookie(first)).status_code == 401
    assert client.get("/api/me").status_code == 200
