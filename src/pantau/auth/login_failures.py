"""Failed sign-ins, kept in `login_failures`, and the waits they impose: a brake on guessing that an attacker cannot
turn into a lock on someone else's account.

Kept in the database rather than in Redis so that every web replica sees the same failures, with or without Redis.
A failure counts for LOGIN_FAILURE_WINDOW_SECONDS. Three rules, each a wait after the latest failure it counts, that
doubles with every failure beyond a free allowance (1 s, 2 s, 4 s, ...) up to a cap:

- one account from one address: LOGIN_FREE_FAILURES, then waits up to LOGIN_MAX_WAIT_SECONDS. Always applies: this
  is what slows someone guessing one password from one place.
- one address, whatever the accounts: LOGIN_FREE_FAILURES_PER_ADDRESS, then waits up to LOGIN_MAX_WAIT_SECONDS.
  Slows one address trying many accounts.
- one account, from however many addresses: once more than LOGIN_FREE_ADDRESSES_PER_ACCOUNT addresses have failed,
  waits up to LOGIN_MAX_ACCOUNT_WAIT_SECONDS (a gentle cap). Slows a guess spread over many addresses.

The last two spare an address the account has signed in from before (a session was started from it): the owner at
their usual desk is never held back by someone else's failures, only by their own. One address hammering an account
never holds the owner back elsewhere either, as the account-wide wait counts addresses, not attempts.

An attempt that must wait is refused without checking the password and is not recorded, so hammering the form does
not push the end of the wait further away. Two replicas checking at the same instant may each let one more attempt
through: the waits are a brake, not a counter that must be exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from pantau.core.config import Settings
from pantau.models import LoginFailure

# The width of `login_failures.email`.
_EMAIL_LENGTH = 320

# Beyond this many doublings every cap in use is long reached; it keeps the power small.
_MAX_DOUBLINGS = 40


def normalise_email(email: str) -> str:
    """The account an attempt is counted against: one per e-mail, whatever its letter case."""
    return email.strip().lower()[:_EMAIL_LENGTH]


def _window(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.login_failure_window_seconds)


@dataclass(frozen=True)
class _Tally:
    """What one rule counts inside the window, and when the latest failure it counts happened."""

    count: int
    latest: datetime | None

    def wait_ends(self, free: int, cap_seconds: int) -> datetime | None:
        """When the next attempt may be made: `free` failures cost nothing, each one beyond doubles the wait."""
        if self.latest is None or self.count < free + 1:
            return None
        doublings = min(self.count - free - 1, _MAX_DOUBLINGS)
        return self.latest + timedelta(seconds=min(cap_seconds, 2**doublings))


def _tally(db: Session, counted: ColumnElement[int], *conditions: ColumnElement[bool]) -> _Tally:
    count, latest = db.execute(select(counted, func.max(LoginFailure.created_at)).where(*conditions)).one()
    return _Tally(count, latest)


def retry_after_seconds(
    db: Session, settings: Settings, *, email: str, address: str, signed_in_from_here_before: bool, now: datetime
) -> int | None:
    """Seconds until this account may be tried from this address; None when it may be tried now.

    `signed_in_from_here_before`: the account has signed in from this address before, which spares it the
    address-wide and the account-wide waits (see the module's description).
    """
    account = normalise_email(email)
    in_window = LoginFailure.created_at > now - _window(settings)
    max_wait = settings.login_max_wait_seconds
    pair = _tally(db, func.count(), in_window, LoginFailure.email == account, LoginFailure.address == address)
    ends = [pair.wait_ends(settings.login_free_failures, max_wait)]
    if not signed_in_from_here_before:
        from_address = _tally(db, func.count(), in_window, LoginFailure.address == address)
        ends.append(from_address.wait_ends(settings.login_free_failures_per_address, max_wait))
        addresses = _tally(db, func.count(LoginFailure.address.distinct()), in_window, LoginFailure.email == account)
        ends.append(
            addresses.wait_ends(settings.login_free_addresses_per_account, settings.login_max_account_wait_seconds)
        )
    latest_end = max((end for end in ends if end is not None), default=None)
    if latest_end is None or latest_end <= now:
        return None
    return max(1, math.ceil((latest_end - now).total_seconds()))


def record_failure(db: Session, settings: Settings, *, email: str, address: str, now: datetime) -> None:
    """Count one failed attempt, and drop the failures that have left the window while the table is being written."""
    db.execute(delete(LoginFailure).where(LoginFailure.created_at <= now - _window(settings)))
    db.add(LoginFailure(email=normalise_email(email), address=address, created_at=now))
    db.flush()


def clear_failures(db: Session, *, email: str, address: str) -> None:
    """Forget the account's failures from this address, after it signed in from there. Failures from other
    addresses stay: they are someone else's, and still count."""
    db.execute(
        delete(LoginFailure).where(LoginFailure.email == normalise_email(email), LoginFailure.address == address)
    )
