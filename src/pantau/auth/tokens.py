"""API tokens: how programs call Pantau (`Authorization: Bearer pt_...`), acting with their user's scope.

A token is 32 random bytes; the table keeps its SHA-256 and a short prefix for listings. Unlike session hashes, these
are not keyed with SECRET_KEY: a program's token must outlive a key rotation, and a hash of 256 random bits needs
no key (nor a slow hash) to resist guessing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from pantau.core.database import write_apart
from pantau.models import ApiToken, User
from pantau.models.enums import TokenPermission

TOKEN_PREFIX = "pt_"
# "pt_" and 8 characters: enough to tell a user's tokens apart in a listing, far too little to guess the rest.
LISTED_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# `last_used_at` says roughly when a token was last used; rewriting it on every call would cost a write per request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `token` is shown to its owner once and stored nowhere."""

    token: str
    record: ApiToken


def api_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenHolder:
    """A valid token's user, what the token may do, and the token's id (the ingest journal names it)."""

    user: User
    permission: TokenPermission
    token_id: int


def issue_token(
    db: Session, user: User, name: str, now: datetime, permission: TokenPermission = TokenPermission.read
) -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        name=name,
        prefix=token[:LISTED_PREFIX_LENGTH],
        token_hash=api_token_hash(token),
        permission=permission,
        created_at=now,
    )
    db.add(record)
    db.flush()
    return IssuedToken(token=token, record=record)


def find_token_holder(db: Session, token: str, now: datetime) -> TokenHolder | None:
    """The active user of a token that is known and not revoked, with the token's permission; None otherwise. Notes
    when the token was used."""
    return find_token_holder_by_hash(db, api_token_hash(token), now)


def find_token_holder_by_hash(db: Session, token_hash: str, now: datetime) -> TokenHolder | None:
    """`find_token_holder` for a token known by its hash."""
    row = db.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    record, user = row
    if record.revoked_at is not None or not user.is_active:
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_PRECISION:
        write_apart(db, update(ApiToken).where(ApiToken.id == record.id).values(last_used_at=now))
    return TokenHolder(user=user, permission=TokenPermission(record.permission), token_id=record.id)


def find_tokens(db: Session, reference: str) -> list[ApiToken]:
    """Tokens named by their id (digits) or their listed prefix (`pt_...`); a prefix may, rarely, name several."""
    condition = ApiToken.id == int(reference) if reference.isdigit() else ApiToken.prefix == reference
    return list(db.scalars(select(ApiToken).where(condition).order_by(ApiToken.id)))


def list_tokens(db: Session, user_id: str | None = None) -> list[tuple[ApiToken, User]]:
    query = select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return [(record, user) for record, user in db.execute(query)]


def revoke_user_tokens(db: Session, user_id: str, now: datetime) -> int:
    """Revoke every token of the user that is still valid; return how many were."""
    result = db.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    return cast("CursorResult[Any]", result).rowcount
