"""Sign-in and sign-out for browsers, `/api/me` for any caller, and the signed-in landing page at `/`.

`POST /login` takes `email`, `password` and an optional `next` as an ordinary form, without a CSRF token field, so
programs and tests can post just the two fields; a cross-site post is refused by its Origin instead. It answers a
303 with the session cookie on success. A refusal re-renders the form (401 for wrong credentials, 429 with
Retry-After when throttled), or, for a client that asks for JSON and not HTML (`Accept: application/json`), answers
{error, detail} with the same status and headers.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from pantau.auth.dependencies import (
    CurrentPageUser,
    CurrentUser,
    OptionalUser,
    SessionToken,
    client_address,
    refuse_cross_site_post,
)
from pantau.auth.schemas import MeOut, ScopeOut
from pantau.auth.scope import Scope
from pantau.auth.sessions import SESSION_COOKIE, end_session, session_lifetime, start_session
from pantau.auth.sign_in import SignInRefused, SignInThrottled, authenticate
from pantau.models import Team
from pantau.web.deps import DbSession, SettingsDep
from pantau.web.errors import error_response
from pantau.web.pages import templates

router = APIRouter(tags=["auth"])

# Never says whether the e-mail exists, the password is wrong or the account may not sign in.
SIGN_IN_REFUSED = "wrong e-mail or password"


def safe_next_path(candidate: str | None) -> str:
    """Where to go after signing in: a path on this site, else `/`.

    Accepted: a path starting with a single `/`, without backslashes (browsers read `/\\host` as `//host`) or control
    characters. `https://elsewhere`, `//elsewhere` and the like become `/`.
    """
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return "/"
    if "\\" in candidate or any(ord(character) < 0x20 or ord(character) == 0x7F for character in candidate):
        return "/"
    return candidate


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _wait_phrase(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _sign_in_form(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "login.html",
        {"next_path": next_path, "email": email, "error": error},
        status_code=status,
        headers=headers,
    )


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def sign_in_form(
    request: Request, caller: OptionalUser, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    destination = safe_next_path(next_path)
    if caller is not None:
        return RedirectResponse(destination, status_code=303)
    return _sign_in_form(request, next_path=destination)


@router.post(
    "/login", dependencies=[Depends(refuse_cross_site_post)], response_class=RedirectResponse, status_code=303
)
def sign_in(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    previous_session: SessionToken,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next_path: Annotated[str | None, Form(alias="next")] = None,
) -> Response:
    now = datetime.now(UTC)
    address = client_address(request)
    destination = safe_next_path(next_path)
    try:
        user = authenticate(db, settings, email=email, password=password, address=address, now=now)
    except SignInThrottled as exc:
        wait = exc.retry_after_seconds
        detail = f"too many failed sign-ins; try again in {_wait_phrase(wait)}"
        headers = {"Retry-After": str(wait)}
        if _wants_json(request):
            return error_response(429, "too_many_attempts", detail, headers)
        return _sign_in_form(request, next_path=destination, email=email, error=detail, status=429, headers=headers)
    except SignInRefused:
        if _wants_json(request):
            return error_response(401, "invalid_credentials", SIGN_IN_REFUSED)
        return _sign_in_form(request, next_path=destination, email=email, error=SIGN_IN_REFUSED, status=401)

    if previous_session:
        end_session(db, settings, previous_session, now)
    token = start_session(db, settings, user, address=address, user_agent=request.headers.get("user-agent"), now=now)
    response = RedirectResponse(destination, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(session_lifetime(settings).total_seconds()),
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post(
    "/logout", dependencies=[Depends(refuse_cross_site_post)], response_class=RedirectResponse, status_code=303
)
def sign_out(db: DbSession, settings: SettingsDep, session_token: SessionToken) -> Response:
    """End the session on the server (the cookie stops working even if kept) and clear the cookie."""
    if session_token:
        end_session(db, settings, session_token, datetime.now(UTC))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.session_cookie_secure, httponly=True, samesite="lax"
    )
    return response


@router.get("/api/me", response_model=MeOut)
def me(caller: CurrentUser) -> MeOut:
    """Who is calling, and the scope their dashboard data is narrowed to."""
    return MeOut(
        id=caller.id,
        email=caller.email,
        full_name=caller.full_name,
        role=caller.role,
        team_id=caller.team_id,
        scope=ScopeOut(level=caller.scope.level, team_ids=list(caller.scope.team_ids)),
    )


def _rows_seen(scope: Scope, team_names: list[str]) -> str:
    if scope.level == "all":
        return "the whole organisation"
    if scope.level == "team":
        return ("team " if len(team_names) == 1 else "teams ") + ", ".join(team_names)
    return "the conversations and tickets assigned to you"


def _sections_open(scope: Scope) -> str:
    if scope.can_read_management_sections:
        return "all, including WhatsApp performance, automation impact and business impact"
    return "KPIs, conversation effectiveness, customer load and your own productivity"


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def signed_in_home(request: Request, caller: CurrentPageUser, db: DbSession) -> HTMLResponse:
    """Who is signed in and what they may see, with a sign-out button; the dashboard page takes `/` over."""
    team_names = list(db.scalars(select(Team.name).where(Team.id.in_(caller.scope.team_ids)).order_by(Team.name)))
    context = {
        "caller": caller,
        "rows_seen": _rows_seen(caller.scope, team_names),
        "sections_open": _sections_open(caller.scope),
    }
    return templates.TemplateResponse(request, "home.html", context)
