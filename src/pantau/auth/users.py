"""The people who sign in: finding them by e-mail, creating them, changing passwords, deactivating them.

The CRM may write `users` itself; these functions are what Pantau's own tools (the CLI) use on the same rows.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pantau.auth.email_addresses import InvalidEmailAddress, parse_email_address
from pantau.auth.passwords import hash_password
from pantau.auth.sessions import end_user_sessions
from pantau.auth.tokens import revoke_user_tokens
from pantau.models import Team, User
from pantau.models.enums import Role

log = logging.getLogger("pantau.auth")

MIN_PASSWORD_LENGTH = 8
VALID_ROLES = ", ".join(role.value for role in Role)


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why, for the person who asked."""


@dataclass(frozen=True)
class NewUser:
    """An account that passed every check and may be created."""

    email: str
    full_name: str
    role: Role
    team_id: str | None


@dataclass(frozen=True)
class Deactivation:
    sessions_ended: int
    tokens_revoked: int


def find_user_by_email(db: Session, email: str) -> User | None:
    """The user with this e-mail, in any letter case.

    The unique constraint is on the exact text, so a CRM could store two addresses differing only in case; neither
    can then sign in by that address, as Pantau cannot tell which person is meant.
    """
    matches = list(db.scalars(select(User).where(func.lower(User.email) == email.strip().lower()).limit(2)))
    if len(matches) > 1:
        log.warning(
            "users %s and %s share an e-mail address up to letter case; neither can sign in by it",
            matches[0].id,
            matches[1].id,
        )
        return None
    return matches[0] if matches else None


def get_user_by_email(db: Session, email: str) -> User:
    user = find_user_by_email(db, email)
    if user is None:
        raise AccountError(f"no user has the e-mail {email}")
    return user


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise AccountError(f"unknown role {text!r}; valid roles: {VALID_ROLES}") from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def check_new_user(db: Session, *, email: str, full_name: str, role: str, team_id: str | None) -> NewUser:
    """The account to create, checked; raises AccountError naming the first problem. Asks for no password yet, so a
    typo is reported before anyone types one."""
    try:
        address = parse_email_address(email)
    except InvalidEmailAddress as exc:
        raise AccountError(str(exc)) from None
    existing = find_user_by_email(db, address)
    if existing is not None:
        raise AccountError(f"a user with the e-mail {existing.email} already exists (id {existing.id})")
    parsed_role = parse_role(role)
    if team_id is not None and db.get(Team, team_id) is None:
        raise AccountError(f"no team has the id {team_id!r}")
    if not full_name.strip():
        raise AccountError("the name must not be empty")
    return NewUser(email=address, full_name=full_name.strip(), role=parsed_role, team_id=team_id)


def create_user(db: Session, new_user: NewUser, password: str, now: datetime) -> User:
    """An active user with an uuid4 id (the CRM's own users keep the CRM's ids)."""
    check_password(password)
    user = User(
        id=str(uuid.uuid4()),
        email=new_user.email,
        full_name=new_user.full_name,
        role=new_user.role,
        team_id=new_user.team_id,
        is_active=True,
        password_hash=hash_password(password),
        created_at=now,
    )
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, user: User, password: str, now: datetime) -> int:
    """Replace the user's password and end their sessions (a changed password signs every browser out).

    API tokens keep working: they are revoked one by one, or all at once by deactivating the user.
    Returns how many sessions were ended.
    """
    check_password(password)
    user.password_hash = hash_password(password)
    return end_user_sessions(db, user.id, now)


def deactivate_user(db: Session, user: User, now: datetime) -> Deactivation:
    """Refuse the user from now on: sign-in, their open sessions and their API tokens all stop working."""
    user.is_active = False
    return Deactivation(
        sessions_ended=end_user_sessions(db, user.id, now),
        tokens_revoked=revoke_user_tokens(db, user.id, now),
    )


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.email)))
