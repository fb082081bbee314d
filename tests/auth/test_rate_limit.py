"""Failed sign-ins are throttled per account and per address, from the `login_failures` table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pantau.models import LoginFailure
from tests.support.auth import PASSWORD_HASH, sign_in

ACCOUNT_LIMIT = 3
ADDRESS_LIMIT = 5
WINDOW_SECONDS = 600


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={
            "login_max_failures_per_account": ACCOUNT_LIMIT,
            "login_max_failures_per_address": ADDRESS_LIMIT,
            "login_failure_window_seconds": WINDOW_SECONDS,
        }
    )


def fail_to_sign_in(client, email: str, times: int) -> None:
    for _ in range(times):
        assert sign_in(client, email, "not the password").status_code == 401


def failure_emails(session) -> list[str]:
    return list(session.scalars(select(LoginFailure.email).order_by(LoginFailure.id)))


def test_after_the_account_s_allowed_failures_even_the_right_password_is_refused(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    fail_to_sign_in(client, "ana@example.test", ACCOUNT_LIMIT)

    response = sign_in(client, "ana@example.test")

    assert response.status_code == 429
    assert WINDOW_SECONDS - 10 < int(response.headers["retry-after"]) <= WINDOW_SECONDS
    # The form speaks the page language: Indonesian, the default for TIMEZONE=Asia/Jakarta.
    assert "Terlalu banyak percobaan masuk yang gagal; coba lagi dalam 10 menit." in response.text
    assert "set-cookie" not in response.headers


def test_a_json_client_is_told_when_to_retry(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    fail_to_sign_in(client, "ana@example.test", ACCOUNT_LIMIT)

    response = sign_in(client, "ana@example.test", headers={"Accept": "application/json"})

    assert response.status_code == 429
    assert response.json() == {
        "error": "too_many_attempts",
        "detail": "too many failed sign-ins; try again in 10 minutes",
    }
    assert "retry-after" in response.headers


def test_failures_count_against_the_account_in_any_letter_case(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    fail_to_sign_in(client, "ANA@example.test", ACCOUNT_LIMIT)

    assert sign_in(client, "ana@example.test").status_code == 429


def test_failures_of_one_account_do_not_throttle_another(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    data.make_user("agent", id="budi", password_hash=PASSWORD_HASH)
    fail_to_sign_in(client, "ana@example.test", ACCOUNT_LIMIT)

    assert sign_in(client, "budi@example.test").status_code == 303


def test_many_failed_emails_from_one_address_throttle_that_address(client, data):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    for guess in range(ADDRESS_LIMIT):
        fail_to_sign_in(client, f"guess-{guess}@example.test", 1)

    response = sign_in(client, "ana@example.test")

    assert response.status_code == 429
    assert "retry-after" in response.headers


def test_a_successful_sign_in_clears_the_account_s_failures(client, data, session):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    fail_to_sign_in(client, "ana@example.test", ACCOUNT_LIMIT - 1)
    fail_to_sign_in(client, "someone-else@example.test", 1)

    assert sign_in(client, "ana@example.test").status_code == 303

    assert failure_emails(session) == ["someone-else@example.test"]


def test_failures_older_than_the_window_no_longer_count(client, data, session):
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    long_ago = datetime.now(UTC) - timedelta(seconds=WINDOW_SECONDS + 1)
    session.add_all(
        LoginFailure(email="ana@example.test", address="testclient", created_at=long_ago) for _ in range(ACCOUNT_LIMIT)
    )

    assert sign_in(client, "ana@example.test").status_code == 303


def test_recording_a_failure_prunes_those_older_than_the_window(client, session):
    long_ago = datetime.now(UTC) - timedelta(seconds=WINDOW_SECONDS + 1)
    session.add(LoginFailure(email="old@example.test", address="10.0.0.9", created_at=long_ago))

    fail_to_sign_in(client, "new@example.test", 1)

    assert failure_emails(session) == ["new@example.test"]
