"""`pantau user ...` and `pantau token ...`: who may sign in, and the API tokens programs call with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import typer
from sqlalchemy.orm import Session

from pantau.auth import tokens, users
from pantau.auth.users import MIN_PASSWORD_LENGTH, VALID_ROLES, AccountError
from pantau.cli.common import database_session, fail, usage_error
from pantau.cli.output import json_option, print_json
from pantau.core import clock
from pantau.models import User
from pantau.models.enums import TokenPermission

user_app = typer.Typer(help="People who sign in: create, list, set passwords, deactivate.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for programs (`Authorization: Bearer <token>`).", no_args_is_help=True)


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Plain aligned columns: readable in a terminal, and unchanged when piped to grep or a file."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    for line in (headers, *rows):
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _user_or_exit(db: Session, email: str) -> User:
    try:
        return users.get_user_by_email(db, email)
    except AccountError as exc:
        fail(str(exc))


def _given_or_asked(password: str | None) -> str:
    """The --password value, else one typed twice without echo."""
    if password is not None:
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("create")
def create_user(
    email: str = typer.Option(..., "--email", help="Sign-in address; must not belong to another user."),
    name: str = typer.Option(..., "--name", help="Full name, as the dashboard shows it."),
    role: str = typer.Option(..., "--role", help=f"One of: {VALID_ROLES}."),
    team: str | None = typer.Option(None, "--team", help="Id of an existing team (supervisors and managers see it)."),
    password: str | None = typer.Option(
        None,
        "--password",
        help=f"At least {MIN_PASSWORD_LENGTH} characters. Without it, asked for twice, hidden "
        "(a password on the command line stays in the shell's history).",
    ),
) -> None:
    """Create a user who can sign in."""
    with database_session() as db:
        try:
            new_user = users.check_new_user(db, email=email, full_name=name, role=role, team_id=team)
            user = users.create_user(db, new_user, _given_or_asked(password), clock.now())
        except AccountError as exc:
            fail(str(exc))
        typer.echo(f"created {user.role.value} {user.email} (id {user.id})")


@user_app.command("list")
def list_users(as_json: bool = json_option()) -> None:
    """Every user, by e-mail."""
    with database_session() as db:
        listed: list[dict[str, Any]] = [
            {
                "id": user.id,
                "email": user.email,
                "name": user.full_name,
                "role": user.role.value,
                "team": user.team_id,
                "active": user.is_active,
            }
            for user in users.list_users(db)
        ]
    if as_json:
        print_json(listed)
        return
    rows = [
        (user["id"], user["email"], user["name"], user["role"], user["team"] or "-", _yes_no(user["active"]))
        for user in listed
    ]
    _print_table(("id", "email", "name", "role", "team", "active"), rows)


@user_app.command("set-password")
def set_password(
    email: str = typer.Option(..., "--email", help="The user's sign-in address."),
    password: str | None = typer.Option(
        None, "--password", help=f"At least {MIN_PASSWORD_LENGTH} characters. Without it, asked for twice, hidden."
    ),
) -> None:
    """Set a user's password and sign them out everywhere (their API tokens keep working)."""
    with database_session() as db:
        user = _user_or_exit(db, email)
        try:
            ended = users.set_password(db, user, _given_or_asked(password), clock.now())
        except AccountError as exc:
            fail(str(exc))
        typer.echo(f"password of {user.email} changed; {ended} open session(s) ended")


@user_app.command("deactivate")
def deactivate(email: str = typer.Option(..., "--email", help="The user's sign-in address.")) -> None:
    """Stop a user from signing in, end their sessions and revoke their API tokens."""
    with database_session() as db:
        user = _user_or_exit(db, email)
        outcome = users.deactivate_user(db, user, clock.now())
        typer.echo(
            f"{user.email} deactivated; {outcome.sessions_ended} open session(s) ended, "
            f"{outcome.tokens_revoked} API token(s) revoked"
        )


@token_app.command("create")
def create_token(
    email: str = typer.Option(..., "--email", help="The user the token acts as (with that user's scope)."),
    name: str = typer.Option("api", "--name", help="What the token is for, shown in listings."),
    permission: str = typer.Option(
        TokenPermission.read.value,
        "--permission",
        help="read: dashboards, exports and every read endpoint; ingest: only sending data to POST "
        "/api/ingest/events (a CRM's integration).",
    ),
) -> None:
    """Create an API token. It is printed once, alone on standard output, and cannot be shown again."""
    try:
        chosen = TokenPermission(permission)
    except ValueError:
        usage_error(f"--permission must be one of: {', '.join(TokenPermission)}; got {permission!r}")
    with database_session() as db:
        user = _user_or_exit(db, email)
        if not user.is_active:
            fail(f"{user.email} is deactivated; a token of theirs would not work")
        issued = tokens.issue_token(db, user, name, clock.now(), chosen)
    typer.echo(issued.token)
    typer.echo(
        f"API token {issued.record.prefix}… (id {issued.record.id}, {chosen.value}) for {user.email}. "
        "Store it now: it will not be shown again.",
        err=True,
    )


@token_app.command("list")
def list_tokens(
    email: str | None = typer.Option(None, "--email", help="Only this user's tokens."), as_json: bool = json_option()
) -> None:
    """API tokens (prefixes only, never the tokens), with when they were last used."""
    with database_session() as db:
        user_id = _user_or_exit(db, email).id if email is not None else None
        listed: list[dict[str, Any]] = [
            {
                "id": record.id,
                "prefix": record.prefix,
                "name": record.name,
                "permission": TokenPermission(record.permission).value,
                "user": user.email,
                "created_at": record.created_at,
                "last_used_at": record.last_used_at,
                "revoked_at": record.revoked_at,
                "status": "revoked" if record.revoked_at else "active",
            }
            for record, user in tokens.list_tokens(db, user_id)
        ]
    if as_json:
        print_json(listed)
        return
    rows = [
        (
            str(token["id"]),
            token["prefix"] + "…",
            token["name"],
            token["permission"],
            token["user"],
            _when(token["created_at"]),
            _when(token["last_used_at"]),
            f"revoked {_when(token['revoked_at'])}" if token["revoked_at"] else "active",
        )
        for token in listed
    ]
    _print_table(("id", "prefix", "name", "permission", "user", "created", "last used", "status"), rows)


@token_app.command("revoke")
def revoke_token(
    reference: str = typer.Argument(..., help="The token's id or its prefix, as `token list` shows."),
) -> None:
    """Revoke an API token: programs using it get 401 from now on."""
    with database_session() as db:
        matches = tokens.find_tokens(db, reference.rstrip("…"))
        if not matches:
            fail(f"no API token has the id or prefix {reference!r}; see `pantau token list`")
        if len(matches) > 1:
            ids = ", ".join(str(match.id) for match in matches)
            fail(f"the prefix {reference!r} names {len(matches)} tokens; revoke by id: {ids}")
        token = matches[0]
        if token.revoked_at is not None:
            typer.echo(f"API token {token.prefix}… (id {token.id}) was already revoked at {_when(token.revoked_at)}")
            return
        token.revoked_at = clock.now()
        typer.echo(f"API token {token.prefix}… (id {token.id}) revoked")
