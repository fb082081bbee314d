"""Browser sign-in: the form, the cookie it sets, and the one answer every refusal gets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pantau.models import AuthSession
from tests.support.auth import PASSWORD_HASH, sign_in

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits


def cookie_attributes(set_cookie: str) -> dict[str, str]:
    """`a=b; HttpOnly; Max-Age=60` → {"httponly": "", "max-age": "60"} (the attributes after the value)."""
    attributes = {}
    for part in set_cookie.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


# The refusal as the form shows it in Indonesian, the page language for TIMEZONE=Asia/Jakarta (the JSON answer is
# English: see test_a_json_client_gets_error_and_detail).
REFUSED = "E-mail atau kata sandi salah."


def session_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuthSession))


def test_the_sign_in_form_asks_for_email_and_password(client):
    response = client.get("/login")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'name="email"' in response.text
    assert 'name="password"' in response.text
    assert 'action="/login"' in response.text


def test_signing_in_sets_an_http_only_same_site_session_cookie_and_redirects_home(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    response = sign_in(client, "ana@example.test")

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert response.headers["set-cookie"].startswith("pantau_session=")
    attributes = cookie_attributes(response.headers["set-cookie"])
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert attributes["max-age"] == str(12 * 3600)
    assert "secure" not in attributes


def secure_cookie(response) -> bool:
    return "secure" in cookie_attributes(response.headers["set-cookie"])


@pytest.mark.parametrize(
    ("environment", "configured", "secure"),
    [
        ("production", None, True),
        ("staging", None, True),
        ("production", False, False),
        ("development", None, False),
        ("development", True, True),
    ],
)
def test_the_session_cookie_is_secure_outside_development_unless_turned_off(
    app, settings, data, environment, configured, secure
):
    """Over plain http, as a TLS proxy that does not say so would forward the request."""
    app.state.settings = settings.model_copy(update={"environment": environment, "session_cookie_secure": configured})
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    with TestClient(app, base_url="http://testserver") as client:
        signed_in = sign_in(client, "ana@example.test")
        signed_out = client.post("/logout", follow_redirects=False)

    assert secure_cookie(signed_in) is secure
    assert secure_cookie(signed_out) is secure


@pytest.mark.parametrize(("configured", "secure"), [(None, True), (False, False)])
def test_in_development_a_request_over_https_gets_a_secure_cookie_unless_turned_off(
    app, settings, data, configured, secure
):
    app.state.settings = settings.model_copy(update={"session_cookie_secure": configured})
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    with TestClient(app, base_url="https://testserver") as client:
        response = sign_in(client, "ana@example.test")

    assert secure_cookie(response) is secure


def test_after_signing_in_api_me_names_the_user_and_their_scope(client, data):
    data.make_team("Sales", id="sales")
    data.make_user("supervisor", id="sri", name="Sri Wahyuni", team="sales", password_hash=PASSWORD_HASH)

    sign_in(client, "sri@example.test")

    assert client.get("/api/me").json() == {
        "id": "sri",
        "email": "sri@example.test",
        "fullName": "Sri Wahyuni",
        "role": "supervisor",
        "teamId": "sales",
        "scope": {"level": "team", "teamIds": ["sales"]},
    }


def test_the_email_is_matched_in_any_letter_case(client, data):
    data.make_user("agent", id="ana", email="Ana@Example.test", password_hash=PASSWORD_HASH)

    response = sign_in(client, "  ANA@example.TEST ")

    assert response.status_code == 303


def test_a_wrong_password_is_refused_with_the_generic_message(client, data, session):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    response = sign_in(client, "ana@example.test", "not the password")

    assert response.status_code == 401
    assert REFUSED in response.text
    assert "set-cookie" not in response.headers
    assert session_count(session) == 0


def test_an_unknown_email_gets_the_same_message(client):
    response = sign_in(client, "nobody@example.test")

    assert response.status_code == 401
    assert REFUSED in response.text


def test_a_deactivated_user_cannot_sign_in_even_with_the_right_password(client, data):
    data.make_user("agent", id="ana", is_active=False, password_hash=PASSWORD_HASH)

    response = sign_in(client, "ana@example.test")

    assert response.status_code == 401
    assert REFUSED in response.text


def test_a_user_without_a_password_cannot_sign_in(client, data):
    data.make_user("agent", id="ana", password_hash=None)

    response = sign_in(client, "ana@example.test", "anything at all")

    assert response.status_code == 401
    assert REFUSED in response.text


def test_the_refused_form_keeps_the_email_but_never_the_password(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    response = sign_in(client, "ana@example.test", "hunter2-typo")

    assert 'value="ana@example.test"' in response.text
    assert "hunter2-typo" not in response.text


def test_a_json_client_gets_error_and_detail(client):
    response = client.post(
        "/login",
        data={"email": "nobody@example.test", "password": "whatever"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_credentials", "detail": "wrong e-mail or password"}


def test_next_sends_the_user_back_to_the_page_they_asked_for(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    response = sign_in(client, "ana@example.test", next="/dashboard?dateRange=7d")

    assert response.headers["location"] == "/dashboard?dateRange=7d"


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example/phish", "evil.example", "/a\r\nb"],
)
def test_next_pointing_anywhere_but_this_site_is_ignored(client, data, next_path):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    response = sign_in(client, "ana@example.test", next=next_path)

    assert response.headers["location"] == "/"


def test_a_sign_in_posted_from_another_site_is_refused(client, data, session):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    response = sign_in(client, "ana@example.test", headers={"Origin": "https://evil.example"})

    assert response.status_code == 403
    assert response.json()["error"] == "cross_site_request"
    assert session_count(session) == 0


def test_a_sign_in_posted_from_this_site_passes_the_origin_check(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)

    response = sign_in(client, "ana@example.test", headers={"Origin": "http://testserver"})

    assert response.status_code == 303


def test_the_form_carries_next_through_to_the_post(client):
    response = client.get("/login", params={"next": "/reports"})

    assert 'name="next" value="/reports"' in response.text


def test_opening_the_form_while_signed_in_goes_straight_on(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    sign_in(client, "ana@example.test")

    response = client.get("/login", params={"next": "/reports"}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/reports"
