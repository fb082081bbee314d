"""Who is calling: `CurrentUser` for the JSON API, `CurrentPageUser` for HTML pages.

Both accept either credential: the `pantau_session` cookie a browser gets at sign-in, or an API token sent as
`Authorization: Bearer pt_...`. When a Bearer token is sent it alone decides; a bad token is refused even if a good
cookie comes with it. A token created with the ingest permission reads nothing (403 here); `IngestCredential` is the
one dependency that accepts it, for the events API, and it accepts nothing else. The database session comes from
`pantau.web.deps.DbSession`, so whatever serves that dependency (the tests' transaction, for one) also serves these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from pantau.auth.credential_cache import CredentialCache
from pantau.auth.scope import Scope, resolve_scope
from pantau.auth.sessions import SESSION_COOKIE, find_session, session_token_hash
from pantau.auth.tokens import api_token_hash, find_token_holder, find_token_holder_by_hash
from pantau.core import clock
from pantau.core.config import Settings
from pantau.core.database import release_connection
from pantau.models import User
from pantau.models.enums import Role, TokenPermission
from pantau.web.deps import DbSession, SettingsDep, request_epoch
from pantau.web.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="An API token from `pantau token create`.")
_session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="Set by signing in at /login.")

BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
SessionToken = Annotated[str | None, Depends(_session_cookie)]

# The width of the address columns (`auth_sessions.address`, `login_failures.address`).
_ADDRESS_LENGTH = 64


@dataclass(frozen=True)
class AuthenticatedUser:
    """The caller, detached from the database session, with the scope every query of theirs starts from."""

    id: str
    email: str
    full_name: str
    role: Role
    team_id: str | None
    scope: Scope
    credential: Literal["session", "token"]
    permission: TokenPermission = TokenPermission.read

    @classmethod
    def of(
        cls,
        user: User,
        credential: Literal["session", "token"],
        permission: TokenPermission = TokenPermission.read,
    ) -> AuthenticatedUser:
        return cls(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=Role(user.role),
            team_id=user.team_id,
            scope=resolve_scope(user),
            credential=credential,
            permission=permission,
        )


def current_time() -> datetime:
    """Now, in UTC: a dependency, so that a test can set the clock the sign-in throttle reads."""
    return clock.now()


Now = Annotated[datetime, Depends(current_time)]


def client_address(request: Request) -> str:
    """The client's address as the server sees it; behind a proxy, uvicorn's FORWARDED_ALLOW_IPS makes it the real
    client's."""
    return (request.client.host if request.client else "unknown")[:_ADDRESS_LENGTH]


def _credential(
    settings: Settings, bearer: HTTPAuthorizationCredentials | None, session_token: str | None
) -> tuple[Literal["session", "token"], str] | None:
    """The kind of credential a request sends and its hash: a Bearer token alone decides when one is sent."""
    if bearer is not None:
        return "token", api_token_hash(bearer.credentials)
    if session_token:
        return "session", session_token_hash(settings, session_token)
    return None


def get_optional_user(
    request: Request, db: DbSession, settings: SettingsDep, bearer: BearerCredentials, session_token: SessionToken
) -> AuthenticatedUser | None:
    """The caller a Bearer token or a session cookie names, or None. Recently seen credentials are answered from
    this process's memory while the credentials epoch stands (`pantau.auth.credential_cache`): a sign-out or a
    revocation anywhere bumps it, so it takes effect at once."""
    credential = _credential(settings, bearer, session_token)
    if credential is None:
        return None
    kind, digest = credential
    credentials: CredentialCache[AuthenticatedUser] | None = getattr(request.app.state, "credentials", None)
    # Read before the lookup: a change committed after this read bumps the epoch, so what the lookup saw is never
    # trusted under the new one.
    epoch = request_epoch(request)
    if credentials is not None and epoch is not None:
        remembered = credentials.get(kind, digest, epoch)
        if remembered is not None:
            return remembered
    now = clock.now()
    caller, session_expires = None, None
    if kind == "token":
        holder = find_token_holder_by_hash(db, digest, now)
        caller = AuthenticatedUser.of(holder.user, "token", holder.permission) if holder else None
    else:
        found = find_session(db, digest, now)
        if found is not None:
            caller, session_expires = AuthenticatedUser.of(found[0], "session"), found[1]
    release_connection(db)
    if caller is not None and credentials is not None and epoch is not None:
        credentials.remember(kind, digest, epoch, caller, session_expires)
    return caller


async def remembered_caller(request: Request) -> tuple[int, AuthenticatedUser] | None:
    """The caller this request's credential names as this process last looked it up, with the credentials epoch of
    that lookup, without the database or a worker thread; None when nothing is remembered. The epoch is not checked
    here: whoever uses the caller must read the epoch now and trust the caller only if it is the same (the hit path
    in `pantau.dashboard.router` reads it with the answer)."""
    credentials: CredentialCache[AuthenticatedUser] | None = getattr(request.app.state, "credentials", None)
    if credentials is None:
        return None
    credential = _credential(request.app.state.settings, await _bearer(request), await _session_cookie(request))
    return None if credential is None else credentials.peek(*credential)


OptionalUser = Annotated[AuthenticatedUser | None, Depends(get_optional_user)]


def _refuse_ingest_token() -> ApiError:
    return ApiError(
        403,
        "forbidden",
        "this API token has the ingest permission: it may only send data to POST /api/ingest/events; "
        "reading needs a token created without --permission ingest",
    )


async def get_current_user(caller: OptionalUser, bearer: BearerCredentials) -> AuthenticatedUser:
    """The caller, or 401 {error: "unauthorized", detail}; 403 for a token that may only send data."""
    if caller is not None:
        if caller.permission is TokenPermission.ingest:
            raise _refuse_ingest_token()
        return caller
    if bearer is not None:
        detail = "the API token is unknown or revoked, or its user is deactivated"
    else:
        detail = "sign in at /login, or send an API token as `Authorization: Bearer <token>`"
    raise ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


async def get_current_page_user(request: Request, caller: OptionalUser) -> AuthenticatedUser:
    """The caller, or a 303 to the sign-in form that comes back to this page afterwards."""
    if caller is not None:
        if caller.permission is TokenPermission.ingest:
            raise _refuse_ingest_token()
        return caller
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login" if here == "/" else "/login?" + urlencode({"next": here})
    raise ApiError(303, "sign_in_required", "sign in to open this page", headers={"Location": location})


CurrentUser = Annotated[AuthenticatedUser, Depends(get_current_user)]
CurrentPageUser = Annotated[AuthenticatedUser, Depends(get_current_page_user)]


@dataclass(frozen=True)
class IngestSender:
    """A program allowed to send data: the token (the journal names it) and its user."""

    token_id: int
    user_id: str


def get_ingest_sender(db: DbSession, bearer: BearerCredentials) -> IngestSender:
    """The sender of an events API call: a valid API token with the ingest permission. No token or an unknown one ->
    401; a read token -> 403. A session cookie is no credential here: programs send data, browsers do not."""
    holder = find_token_holder(db, bearer.credentials, clock.now()) if bearer is not None else None
    release_connection(db)
    if holder is None:
        detail = (
            "the API token is unknown or revoked, or its user is deactivated"
            if bearer is not None
            else "send an API token created with `pantau token create --permission ingest` as "
            "`Authorization: Bearer <token>`"
        )
        raise ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})
    if holder.permission is not TokenPermission.ingest:
        raise ApiError(
            403,
            "forbidden",
            "this API token may only read; sending data needs a token created with --permission ingest",
        )
    return IngestSender(token_id=holder.token_id, user_id=holder.user.id)


IngestCredential = Annotated[IngestSender, Depends(get_ingest_sender)]


async def refuse_cross_site_post(request: Request) -> None:
    """403 when a browser says the form was posted from another site.

    SameSite=Lax already keeps the cookie off cross-site posts; this also stops a foreign page from signing a
    browser in to an account of the attacker's choosing. Programs send no Origin and pass.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return
    if urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise ApiError(403, "cross_site_request", "a form on another site cannot sign in or out here")
