"""Checking an e-mail and password: the throttle first, then the password, never saying which part was wrong."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from pantau.auth.login_failures import clear_failures, record_failure, retry_after_seconds
from pantau.auth.passwords import verify_password
from pantau.auth.sessions import has_signed_in_from
from pantau.auth.users import find_user_by_email
from pantau.core.config import Settings
from pantau.models import User

log = logging.getLogger("pantau.auth")


class SignInRefused(Exception):
    """Wrong e-mail or password, or an account that may not sign in (deactivated, no password): one answer for all."""


class SignInThrottled(Exception):
    """Recent failures ask this attempt to wait (see `pantau.auth.login_failures`); the password was not checked."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


def authenticate(db: Session, settings: Settings, *, email: str, password: str, address: str, now: datetime) -> User:
    """The user these credentials belong to; raises SignInThrottled or SignInRefused.

    Every attempt that gets past the throttle costs one argon2 verification, whether or not the account exists, so
    the time taken does not tell an unknown e-mail from a wrong password. A success clears the account's failures
    from this address.
    """
    if "\x00" in email:
        # No account has such an address, and PostgreSQL text cannot even hold it: refuse before any lookup.
        raise SignInRefused
    user = find_user_by_email(db, email)
    known_address = user is not None and has_signed_in_from(db, user.id, address)
    retry_after = retry_after_seconds(
        db, settings, email=email, address=address, signed_in_from_here_before=known_address, now=now
    )
    if retry_after is not None:
        log.warning("sign-in throttled for an account from %s (retry after %d s)", address, retry_after)
        raise SignInThrottled(retry_after)
    password_matches = verify_password(user.password_hash if user else None, password)
    # What follows writes (a failure, or the cleared failures and the new session): in a transaction that begins by
    # writing, which SQLite lets wait its turn (see `write_apart`).
    db.commit()
    if user is None or not user.is_active or not password_matches:
        record_failure(db, settings, email=email, address=address, now=now)
        log.info("sign-in refused from %s", address)
        raise SignInRefused
    clear_failures(db, email=email, address=address)
    log.info("user %s signed in from %s", user.id, address)
    return user
