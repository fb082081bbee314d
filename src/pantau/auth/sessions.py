"""Browser sign-in sessions, kept on the server in `auth_sessions`.

The `pantau_session` cookie carries a random token; the table keeps only its HMAC-SHA256 keyed with SECRET_KEY, so
a copy of the database alone cannot be turned into working cookies. SECRET_KEY is therefore the session-signing
secret: rotating it ends every session at once (no stored hash matches any more), which is also the way to sign
everybody out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, exists, select, update
from sqlalchemy.orm import Session

from pantau.core.config import Settings
from pantau.models import AuthSession, User

SESSION_COOKIE = "pantau_session"

# The width of `auth_sessions.user_agent`; browsers send longer ones.
_USER_AGENT_LENGTH = 300


def session_token_hash(settings: Settings, token: str) -> str:
    return hmac.new(settings.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def session_lifetime(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_ttl_hours)


def session_cookie_secure(settings: Settings, scheme: str) -> bool:
    """Whether the cookie is marked Secure (sent over https only): as SESSION_COOKIE_SECURE says when it is set;
    unset, always outside development, and in development when the request came over https (`scheme` is the one
    uvicorn saw, or the one a trusted proxy announced in X-Forwarded-Proto, see FORWARDED_ALLOW_IPS)."""
    if settings.session_cookie_secure is not None:
        return settings.session_cookie_secure
    return settings.environment != "development" or scheme == "https"


def start_session(
    db: Session, settings: Settings, user: User, *, address: str, user_agent: str | None, now: datetime
) -> str:
    """Record a new session for `user`; return the token for the cookie (it is stored nowhere)."""
    token = secrets.token_urlsafe(32)
    db.add(
        AuthSession(
            user_id=user.id,
            token_hash=session_token_hash(settings, token),
            created_at=now,
            expires_at=now + session_lifetime(settings),
            address=address,
            user_agent=user_agent[:_USER_AGENT_LENGTH] if user_agent else None,
        )
    )
    db.flush()
    return token


def find_session_user(db: Session, settings: Settings, token: str, now: datetime) -> User | None:
    """The active user of a session that has neither ended nor expired; None otherwise."""
    found = find_session(db, session_token_hash(settings, token), now)
    return found[0] if found else None


def find_session(db: Session, token_hash: str, now: datetime) -> tuple[User, datetime] | None:
    """The active user of the session with this token hash and when the session expires, if it has neither ended nor
    expired; None otherwise."""
    row = db.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id).where(AuthSession.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    auth_session, user = row
    if auth_session.ended_at is not None or auth_session.expires_at <= now or not user.is_active:
        return None
    return user, auth_session.expires_at


def end_session(db: Session, settings: Settings, token: str, now: datetime) -> None:
    db.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == session_token_hash(settings, token), AuthSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_user_sessions(db: Session, user_id: str, now: datetime) -> int:
    """End every open session of the user; return how many were open."""
    result = db.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None), AuthSession.expires_at > now)
        .values(ended_at=now)
    )
    return cast("CursorResult[Any]", result).rowcount


def has_signed_in_from(db: Session, user_id: str, address: str) -> bool:
    """Whether the user ever signed in from this address (sessions are kept after they end)."""
    return bool(db.scalar(select(exists().where(AuthSession.user_id == user_id, AuthSession.address == address))))
