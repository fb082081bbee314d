"""Sign-in and sign-out for browsers, and `/api/me` for any caller. The signed-in page at `/` is the dashboard
(`pantau.web.dashboard_page`).

`POST /login` takes `email`, `password` and an optional `next` as an ordinary form, without a CSRF token field, so
programs and tests can post just the two fields; a cross-site post is refused by its Origin instead. It answers a
303 with the session cookie on success. A refusal re-renders the form (401 for wrong credentials, 429 with
Retry-After when throttled), or, for a client that asks for JSON and not HTML (`Accept: application/json`), answers
{error, detail} with the same status and headers. The form speaks the page language (`pantau.web.i18n`); the JSON
answers are English. Signing out lands on the form with a note that it worked.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pantau.auth.dependencies import (
    CurrentUser,
    Now,
    OptionalUser,
    SessionToken,
    client_address,
    refuse_cross_site_post,
)
from pantau.auth.schemas import MeOut, ScopeOut
from pantau.auth.sessions import (
    SESSION_COOKIE,
    end_session,
    session_cookie_secure,
    session_lifetime,
    start_session,
)
from pantau.auth.sign_in import SignInRefused, SignInThrottled, authenticate
from pantau.core import clock
from pantau.web.deps import DbSession, SettingsDep
from pantau.web.errors import Refusal, error_response, error_responses
from pantau.web.i18n import wait_phrase
from pantau.web.pages import templates

router = APIRouter(tags=["auth"])

# Never says whether the e-mail exists, the password is wrong or the account may not sign in.
SIGN_IN_REFUSED = "wrong e-mail or password"

# How the schema documents the form and its posts: they work without a session (a browser that has none yet, a
# sign-out twice), so `{}` says the credentials are optional. A refused sign-in is the form again for a browser,
# {error, detail} for a JSON client.
_NO_SESSION_NEEDED: dict[str, Any] = {"security": [{}]}
_CROSS_SITE = Refusal(
    "Posted from a form on another site (its Origin is not this host).",
    "cross_site_request",
    "a form on another site cannot sign in or out here",
)
_THE_FORM = {"text/html": {"schema": {"type": "string"}}}
_SIGN_IN_RESPONSES: dict[int | str, dict[str, Any]] = {
    303: {
        "description": "Signed in: the session cookie is set and `Location` is `next` (a path on this site) or `/`.",
        "headers": {"Location": {"schema": {"type": "string"}}, "Set-Cookie": {"schema": {"type": "string"}}},
    },
    **error_responses(
        401,
        403,
        422,
        429,
        503,
        worded={
            401: Refusal(
                "Wrong e-mail or password: the form again, or {error, detail} for a client that accepts JSON and "
                "not HTML.",
                "invalid_credentials",
                SIGN_IN_REFUSED,
            ),
            403: _CROSS_SITE,
            422: Refusal("email or password missing or empty.", "invalid_parameter", "password: Field required"),
            429: "Too many failed sign-ins for this e-mail or from this address; `Retry-After` says in how many "
            "seconds to try again. The form again, or {error, detail} for a JSON client.",
        },
    ),
}
for _status in (401, 429):
    _SIGN_IN_RESPONSES[_status]["content"].update(_THE_FORM)


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


def _sign_in_form(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    refusal: str | None = None,
    retry_after: int | None = None,
    signed_out: bool = False,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The form; `refusal` is the error code of a refused attempt, shown in the page language."""
    context = {
        "next_path": next_path,
        "email": email,
        "refusal": refusal,
        "retry_after": retry_after,
        "signed_out": signed_out,
    }
    return templates.TemplateResponse(request, "login.html", context, status_code=status, headers=headers)


@router.get(
    "/login",
    response_class=HTMLResponse,
    summary="The sign-in form (HTML)",
    responses={
        303: {
            "description": "Already signed in: `Location` is `next` (a path on this site) or `/`.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        **error_responses(
            400,
            422,
            503,
            worded={
                400: Refusal(
                    "A parameter holds a NUL character.", "invalid_parameter", "next: contains a NUL character"
                ),
                422: Refusal(
                    "signedOut is not a boolean.", "invalid_parameter", "signedOut: Input should be a valid boolean"
                ),
            },
        ),
    },
    openapi_extra=_NO_SESSION_NEEDED,
)
def sign_in_form(
    request: Request,
    caller: OptionalUser,
    next_path: Annotated[str | None, Query(alias="next")] = None,
    signed_out: Annotated[bool, Query(alias="signedOut")] = False,
) -> Response:
    destination = safe_next_path(next_path)
    if caller is not None:
        return RedirectResponse(destination, status_code=303)
    return _sign_in_form(request, next_path=destination, signed_out=signed_out)


@router.post(
    "/login",
    dependencies=[Depends(refuse_cross_site_post)],
    response_class=RedirectResponse,
    status_code=303,
    summary="Sign in with e-mail and password (an ordinary form post)",
    responses=_SIGN_IN_RESPONSES,
    openapi_extra=_NO_SESSION_NEEDED,
)
def sign_in(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    previous_session: SessionToken,
    now: Now,
    email: Annotated[str, Form(min_length=1)],
    password: Annotated[str, Form(min_length=1)],
    next_path: Annotated[str | None, Form(alias="next")] = None,
) -> Response:
    address = client_address(request)
    destination = safe_next_path(next_path)
    try:
        user = authenticate(db, settings, email=email, password=password, address=address, now=now)
    except SignInThrottled as exc:
        wait = exc.retry_after_seconds
        headers = {"Retry-After": str(wait)}
        if _wants_json(request):
            detail = f"too many failed sign-ins; try again in {wait_phrase('en', wait)}"
            return error_response(429, "too_many_attempts", detail, headers)
        return _sign_in_form(
            request,
            next_path=destination,
            email=email,
            refusal="too_many_attempts",
            retry_after=wait,
            status=429,
            headers=headers,
        )
    except SignInRefused:
        if _wants_json(request):
            return error_response(401, "invalid_credentials", SIGN_IN_REFUSED)
        return _sign_in_form(request, next_path=destination, email=email, refusal="invalid_credentials", status=401)

    if previous_session:
        end_session(db, settings, previous_session, now)
    token = start_session(db, settings, user, address=address, user_agent=request.headers.get("user-agent"), now=now)
    response = RedirectResponse(destination, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(session_lifetime(settings).total_seconds()),
        path="/",
        secure=session_cookie_secure(settings, request.url.scheme),
        httponly=True,
        samesite="lax",
    )
    return response


@router.post(
    "/logout",
    dependencies=[Depends(refuse_cross_site_post)],
    response_class=RedirectResponse,
    status_code=303,
    summary="Sign out: end the session and clear its cookie",
    responses={
        303: {
            "description": "Signed out (or there was no session): `Location` is the form with a note that it worked.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        **error_responses(403, 503, worded={403: _CROSS_SITE}),
    },
    openapi_extra=_NO_SESSION_NEEDED,
)
def sign_out(request: Request, db: DbSession, settings: SettingsDep, session_token: SessionToken) -> Response:
    """End the session on the server (the cookie stops working even if kept) and clear the cookie."""
    if session_token:
        end_session(db, settings, session_token, clock.now())
    response = RedirectResponse("/login?signedOut=1", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=session_cookie_secure(settings, request.url.scheme),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(
    "/api/me", response_model=MeOut, summary="Who is calling, and their scope", responses=error_responses(401, 503)
)
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
