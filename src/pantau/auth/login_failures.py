"""Failed sign-ins, counted per account and per client address in `login_failures`.

Kept in the database rather than in Redis so that every web replica sees the same counts, with or without Redis.
Within LOGIN_FAILURE_WINDOW_SECONDS, LOGIN_MAX_FAILURES_PER_ACCOUNT failures for one e-mail (any letter case), or
LOGIN_MAX_FAILURES_PER_ADDRESS from one address, are allowed; the next attempt is refused without checking the
password, until enough of those failures have left the window. Refused attempts are not recorded, so hammering the
form does not push the end of the wait further away. Two replicas checking at the same instant may each let one more
attempt through: the limit is a brake on guessing, not a counter that must be exact.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from pantau.core.config import Settings
from pantau.models import LoginFailure

# The width of `login_failures.email`.
_EMAIL_LENGTH = 320


def normalise_email(email: str) -> str:
    """The account an attempt is counted against: one per e-mail, whatever its letter case."""
    return email.strip().lower()[:_EMAIL_LENGTH]


def _window(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.login_failure_window_seconds)


def retry_after_seconds(db: Session, settings: Settings, *, email: str, address: str, now: datetime) -> int | None:
    """Seconds until sign-in may be tried again for this account and address; None when it may be tried now."""
    window_start = now - _window(settings)
    waits = []
    for column, value, allowed in (
        (LoginFailure.email, normalise_email(email), settings.login_max_failures_per_account),
        (LoginFailure.address, address, settings.login_max_failures_per_address),
    ):
        oldest_counted = _nth_latest_failure(db, column, value, allowed, window_start)
        if oldest_counted is not None:
            # Once that failure leaves the window, fewer than `allowed` remain in it.
            waits.append((oldest_counted + _window(settings) - now).total_seconds())
    if not waits:
        return None
    return max(1, math.ceil(max(waits)))


def _nth_latest_failure(
    db: Session, column: InstrumentedAttribute[str], value: str, n: int, window_start: datetime
) -> datetime | None:
    """When the n-th most recent failure inside the window happened; None when the window holds fewer than n."""
    return db.scalar(
        select(LoginFailure.created_at)
        .where(column == value, LoginFailure.created_at > window_start)
        .order_by(LoginFailure.created_at.desc())
        .offset(n - 1)
        .limit(1)
    )


def record_failure(db: Session, settings: Settings, *, email: str, address: str, now: datetime) -> None:
    """Count one failed attempt, and drop the failures that have left the window while the table is being written."""
    db.execute(delete(LoginFailure).where(LoginFailure.created_at <= now - _window(settings)))
    db.add(LoginFailure(email=normalise_email(email), address=address, created_at=now))
    db.flush()


def clear_account_failures(db: Session, email: str) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.email == normalise_email(email)))
