"""Credentials remembered for a few seconds: a remembered session or token is not looked up again, and a sign-out, a
revocation (in this process or another one sharing Redis), a deactivation or a new role takes effect at the very
next request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, insert, update

from pantau.auth.tokens import issue_token
from pantau.models import BusinessSetting, User
from tests.support.auth import PASSWORD_HASH, sign_in
from tests.support.cli import run_pantau

# Writes through the app with real commits; remembered credentials never lapse, so only the epoch refuses them.
pytestmark = [pytest.mark.commits, pytest.mark.usefixtures("remembered_for_an_hour")]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def lookups(engine):
    """How many times a session or a token was looked up in the database."""
    seen = {"session": 0, "token": 0}

    def count(_connection, _cursor, statement, *_):
        if statement.lstrip().startswith("SELECT") and "FROM auth_sessions" in statement:
            seen["session"] += 1
        if statement.lstrip().startswith("SELECT") and "FROM api_tokens" in statement:
            seen["token"] += 1

    event.listen(engine, "after_cursor_execute", count)
    yield seen
    event.remove(engine, "after_cursor_execute", count)


def signed_in(app, email: str) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    assert sign_in(client, email).status_code == 303
    return client


def token_for(session, user_id: str) -> str:
    return issue_token(session, session.get(User, user_id), "reporting script", NOW).token


def test_a_remembered_session_is_not_looked_up_again(redis_app, data, lookups):
    data.make_user("owner", id="olga", email="olga@example.test", password_hash=PASSWORD_HASH)
    olga = signed_in(redis_app, "olga@example.test")
    assert olga.get("/api/me").status_code == 200
    looked_up = lookups["session"]
    assert looked_up >= 1
    assert [olga.get("/api/me").status_code for _ in range(3)] == [200, 200, 200]
    assert lookups["session"] == looked_up


def test_without_redis_every_request_looks_the_session_up(cached_app, data, lookups):
    app = cached_app(redis_url=None)
    data.make_user("owner", id="olga", email="olga@example.test", password_hash=PASSWORD_HASH)
    olga = signed_in(app, "olga@example.test")
    olga.get("/api/me")
    looked_up = lookups["session"]
    olga.get("/api/me")
    assert lookups["session"] == looked_up + 1


def test_signing_out_refuses_the_remembered_cookie_at_once(redis_app, data):
    data.make_user("owner", id="olga", email="olga@example.test", password_hash=PASSWORD_HASH)
    olga = signed_in(redis_app, "olga@example.test")
    assert olga.get("/api/me").status_code == 200
    assert olga.get("/api/me").status_code == 200  # remembered now
    cookie = olga.cookies.get("pantau_session")
    assert olga.post("/logout", follow_redirects=False).status_code == 303
    replay = TestClient(redis_app, base_url="http://testserver", cookies={"pantau_session": cookie})
    assert replay.get("/api/me").status_code == 401


def test_a_token_revoked_by_another_process_is_refused_at_once(
    redis_app, data, session, engine, redis_url, cache_namespace, tmp_path, lookups
):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")
    client = TestClient(redis_app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/me").status_code == 200
    assert client.get("/api/me").status_code == 200
    looked_up = lookups["token"]
    assert client.get("/api/me").status_code == 200
    assert lookups["token"] == looked_up  # answered from memory

    revoked = run_pantau(
        "token",
        "revoke",
        token[:11],
        database_url=engine.url.render_as_string(hide_password=False),
        cwd=tmp_path,
        extra_env={"REDIS_URL": redis_url, "CACHE_NAMESPACE": cache_namespace},
    )
    assert revoked.returncode == 0, revoked.stderr

    refused = client.get("/api/me")
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthorized"


def test_a_deactivated_user_is_refused_at_once(redis_app, data, session, engine):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")
    client = TestClient(redis_app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/me").status_code == 200
    assert client.get("/api/me").status_code == 200
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id == "olga").values(is_active=False))
    assert client.get("/api/me").status_code == 401


def test_a_new_role_gives_the_new_scope_at_once(redis_app, data, session, engine):
    team = data.make_team("A", id="team-a")
    data.make_user("owner", id="olga", team=team)
    token = token_for(session, "olga")
    client = TestClient(redis_app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/dashboard/business-impact").status_code == 200
    assert client.get("/api/dashboard/business-impact").status_code == 200
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id == "olga").values(role="agent"))
    refused = client.get("/api/dashboard/business-impact")
    assert refused.status_code == 403


def test_settings_saved_anywhere_are_in_force_at_the_next_request(redis_app, data, session, engine):
    data.make_user("owner", id="olga")
    token = token_for(session, "olga")
    client = TestClient(redis_app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/dashboard/kpi").headers["X-Cache"] == "miss"
    assert client.get("/api/dashboard/kpi").headers["X-Cache"] == "hit"  # the settings in force remembered too
    with engine.begin() as connection:
        connection.execute(insert(BusinessSetting).values(key="sla_first_response_seconds", value=120, updated_at=NOW))
    # Other settings in force: another cache entry (the key holds their fingerprint), computed with them.
    changed = client.get("/api/dashboard/kpi")
    assert changed.headers["X-Cache"] == "miss"
    assert client.get("/api/dashboard/kpi").headers["X-Cache"] == "hit"
