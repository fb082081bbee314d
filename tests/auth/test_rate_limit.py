"""Failed sign-ins make the next attempt wait, per account and address, per address and per account, with waits that
double; nobody's failures lock the owner out of an address they signed in from before (`pantau.auth.login_failures`).

The clock the throttle reads is pinned (`clock`), and failures are planted with their timestamps, so nothing here
depends on how fast the machine is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pantau.auth.dependencies import current_time
from pantau.models import AuthSession, LoginFailure
from tests.support.auth import PASSWORD_HASH, sign_in

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits

FREE_FAILURES = 3
FREE_FAILURES_PER_ADDRESS = 6
FREE_ADDRESSES_PER_ACCOUNT = 3
MAX_WAIT_SECONDS = 300
MAX_ACCOUNT_WAIT_SECONDS = 60
WINDOW_SECONDS = 3600

ANA = "ana@example.test"
# The address TestClient requests come from, unless a test asks for another.
HERE = "testclient"
ATTACKER = "203.0.113.66"


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={
            "login_free_failures": FREE_FAILURES,
            "login_free_failures_per_address": FREE_FAILURES_PER_ADDRESS,
            "login_free_addresses_per_account": FREE_ADDRESSES_PER_ACCOUNT,
            "login_max_wait_seconds": MAX_WAIT_SECONDS,
            "login_max_account_wait_seconds": MAX_ACCOUNT_WAIT_SECONDS,
            "login_failure_window_seconds": WINDOW_SECONDS,
        }
    )


@dataclass
class Clock:
    now: datetime

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app) -> Clock:
    """The time sign-in sees: starts at the real now (sessions it starts must not look expired) and moves only when
    a test moves it."""
    pinned = Clock(datetime.now(UTC).replace(microsecond=0))
    app.dependency_overrides[current_time] = lambda: pinned.now
    return pinned


@pytest.fixture
def ana(data) -> str:
    data.make_user("agent", id="ana", password_hash=PASSWORD_HASH)
    return ANA


def client_at(app, address: str) -> TestClient:
    """A client whose requests come from `address`."""
    return TestClient(app, base_url="http://testserver", client=(address, 50000))


def plant_failures(session, email: str, addresses: list[str], at: datetime) -> None:
    session.add_all(LoginFailure(email=email, address=address, created_at=at) for address in addresses)
    session.flush()


def retry_after(response) -> int:
    assert response.status_code == 429
    return int(response.headers["retry-after"])


def failures(session) -> list[tuple[str, str]]:
    rows = session.execute(select(LoginFailure.email, LoginFailure.address).order_by(LoginFailure.id))
    return [(email, address) for email, address in rows]


def test_a_few_typos_cost_no_wait(client, clock, ana):
    for _ in range(FREE_FAILURES):
        assert sign_in(client, ana, "not the password").status_code == 401

    assert sign_in(client, ana).status_code == 303


def test_each_failure_beyond_the_free_ones_doubles_the_wait_of_that_address(client, clock, ana):
    for _ in range(FREE_FAILURES + 1):
        assert sign_in(client, ana, "not the password").status_code == 401

    waits = []
    for _ in range(5):
        wait = retry_after(sign_in(client, ana, "not the password"))
        waits.append(wait)
        clock.advance(wait)
        assert sign_in(client, ana, "not the password").status_code == 401

    assert waits == [1, 2, 4, 8, 16]


def test_attempts_refused_while_waiting_do_not_make_the_wait_longer(client, clock, ana, session):
    plant_failures(session, ana, [HERE] * (FREE_FAILURES + 3), clock.now)

    assert retry_after(sign_in(client, ana, "not the password")) == 4
    assert retry_after(sign_in(client, ana, "not the password")) == 4
    clock.advance(3)
    assert retry_after(sign_in(client, ana, "not the password")) == 1


def test_while_waiting_even_the_right_password_is_refused_unchecked_then_accepted(client, clock, ana, session):
    plant_failures(session, ana, [HERE] * (FREE_FAILURES + 2), clock.now)

    refused = sign_in(client, ana)
    assert retry_after(refused) == 2
    assert "set-cookie" not in refused.headers

    clock.advance(2)
    assert sign_in(client, ana).status_code == 303


def test_the_wait_of_an_address_stops_growing_at_the_cap(client, clock, ana, session):
    plant_failures(session, ana, [HERE] * 40, clock.now)

    assert retry_after(sign_in(client, ana)) == MAX_WAIT_SECONDS


def test_an_attacker_hammering_the_account_does_not_stop_the_owner_signing_in_from_elsewhere(app, clock, ana, session):
    plant_failures(session, ana, [ATTACKER] * 50, clock.now)
    attacker = client_at(app, ATTACKER)

    assert retry_after(sign_in(attacker, ana)) == MAX_WAIT_SECONDS
    assert sign_in(client_at(app, "198.51.100.7"), ana).status_code == 303


def test_a_guess_spread_over_many_addresses_makes_every_new_address_wait(app, clock, ana, session):
    spread = [f"192.0.2.{number}" for number in range(1, FREE_ADDRESSES_PER_ACCOUNT + 4)]
    plant_failures(session, ana, spread, clock.now)
    newcomer = client_at(app, "198.51.100.7")

    # Six addresses have failed, three are free: the wait after the latest failure is 2 ** (6 - 3 - 1) s.
    assert retry_after(sign_in(newcomer, ana)) == 4
    clock.advance(4)
    assert sign_in(newcomer, ana).status_code == 303


def test_the_wait_a_spread_guess_causes_stays_gentle(app, clock, ana, session):
    plant_failures(session, ana, [f"192.0.2.{number}" for number in range(1, 41)], clock.now)

    assert retry_after(sign_in(client_at(app, "198.51.100.7"), ana)) == MAX_ACCOUNT_WAIT_SECONDS


def test_the_owner_at_an_address_they_signed_in_from_before_is_not_held_back_by_a_spread_guess(
    client, clock, ana, session
):
    session.add(
        AuthSession(
            user_id="ana",
            token_hash="0" * 64,
            created_at=clock.now - timedelta(days=30),
            expires_at=clock.now - timedelta(days=29),
            address=HERE,
        )
    )
    plant_failures(session, ana, [f"192.0.2.{number}" for number in range(1, 41)], clock.now)

    assert sign_in(client, ana).status_code == 303


def test_one_address_trying_many_accounts_waits_whatever_the_account(app, clock, ana, session):
    for guess in range(FREE_FAILURES_PER_ADDRESS + 1):
        plant_failures(session, f"guess-{guess}@example.test", [ATTACKER], clock.now)

    assert retry_after(sign_in(client_at(app, ATTACKER), ana)) == 1
    assert sign_in(client_at(app, "198.51.100.7"), ana).status_code == 303


def test_a_json_client_is_told_when_to_retry(client, clock, ana, session):
    plant_failures(session, ana, [HERE] * (FREE_FAILURES + 3), clock.now)

    response = sign_in(client, ana, headers={"Accept": "application/json"})

    assert retry_after(response) == 4
    assert response.json() == {
        "error": "too_many_attempts",
        "detail": "too many failed sign-ins; try again in 4 seconds",
    }


def test_the_form_says_how_long_to_wait_in_the_page_language(client, clock, ana, session):
    plant_failures(session, ana, [HERE] * 40, clock.now)

    response = sign_in(client, ana)

    assert retry_after(response) == MAX_WAIT_SECONDS
    # Indonesian, the default for TIMEZONE=Asia/Jakarta.
    assert "Terlalu banyak percobaan masuk yang gagal; coba lagi dalam 5 menit." in response.text


def test_failures_count_against_the_account_in_any_letter_case(client, clock, ana, session):
    plant_failures(session, "ana@example.test", [HERE] * (FREE_FAILURES + 1), clock.now)

    assert retry_after(sign_in(client, "ANA@Example.test")) == 1


def test_failures_of_one_account_do_not_hold_back_another(client, clock, ana, data, session):
    data.make_user("agent", id="budi", password_hash=PASSWORD_HASH)
    plant_failures(session, ana, [HERE] * (FREE_FAILURES + 2), clock.now)

    assert sign_in(client, "budi@example.test").status_code == 303


def test_failures_older_than_the_window_no_longer_count(client, clock, ana, session):
    long_ago = clock.now - timedelta(seconds=WINDOW_SECONDS + 1)
    plant_failures(session, ana, [HERE] * 40 + [f"192.0.2.{number}" for number in range(1, 41)], long_ago)

    assert sign_in(client, ana).status_code == 303


def test_a_successful_sign_in_forgets_the_account_s_failures_from_that_address_only(client, clock, ana, session):
    plant_failures(session, ana, [ATTACKER], clock.now)
    plant_failures(session, "someone-else@example.test", [HERE], clock.now)
    assert sign_in(client, ana, "not the password").status_code == 401

    assert sign_in(client, ana).status_code == 303

    assert failures(session) == [(ANA, ATTACKER), ("someone-else@example.test", HERE)]


def test_recording_a_failure_prunes_those_older_than_the_window(client, clock, session):
    plant_failures(session, "old@example.test", ["10.0.0.9"], clock.now - timedelta(seconds=WINDOW_SECONDS + 1))

    assert sign_in(client, "new@example.test", "not the password").status_code == 401

    assert failures(session) == [("new@example.test", HERE)]
