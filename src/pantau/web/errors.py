"""One error shape for every failure: {error, detail}. Bad input is a 4xx naming the parameter; never a trace."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("pantau.web")


class ApiError(Exception):
    """Raised anywhere in request handling; becomes `status` with body {error, detail}."""

    def __init__(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers


def error_response(status: int, error: str, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


class ErrorBody(BaseModel):
    """What every refusal and failure answers (SPEC §9), as the OpenAPI schema documents it."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(
        description="A stable code to act on: invalid_parameter, unauthorized, forbidden, not_found, ...",
        examples=["invalid_parameter"],
    )
    detail: str = Field(
        description="What went wrong, in English; for bad input it starts with the parameter's name and a colon.",
        examples=["startDate: must be a date as YYYY-MM-DD, got '2026-W48-1'"],
    )


@dataclass(frozen=True)
class Refusal:
    """How the schema documents a status: why it is answered, and an example of its body."""

    description: str
    error: str
    detail: str


REFUSALS = {
    400: Refusal(
        "Bad input: a value of the wrong format or range, or parameters that do not go together. `detail` starts "
        "with the parameter's name.",
        "invalid_parameter",
        "startDate: must be a date as YYYY-MM-DD, got '2026-W48-1'",
    ),
    401: Refusal(
        "No valid credentials: sign in at /login (session cookie), or send `Authorization: Bearer <API token>`.",
        "unauthorized",
        "sign in at /login, or send an API token as `Authorization: Bearer <token>`",
    ),
    403: Refusal(
        "The caller's role or scope does not cover this.",
        "forbidden",
        "teamId: this team is outside what you may see",
    ),
    404: Refusal("An id that names nothing.", "not_found", "teamId: no team with this id"),
    413: Refusal(
        "The body is larger than this endpoint takes.",
        "body_too_large",
        "body: larger than 1,048,576 bytes (INGEST_MAX_BODY_BYTES)",
    ),
    422: Refusal(
        "A parameter of the wrong type, or outside its documented bounds. `detail` starts with the parameter's name.",
        "invalid_parameter",
        "offset: Input should be less than or equal to 1000000000",
    ),
    429: Refusal(
        "Too many failed sign-ins; `Retry-After` says in how many seconds to try again.",
        "too_many_attempts",
        "too many failed sign-ins; try again in 15 minutes",
    ),
    503: Refusal(
        "The database is not answering; try again shortly.",
        "database_unavailable",
        "the database is not answering; try again shortly",
    ),
}


def error_responses(*statuses: int, worded: dict[int, str | Refusal] | None = None) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the {error, detail} body, documented as in REFUSALS unless `worded`
    says it for this endpoint (a description, or a whole Refusal with its example). A route that declares 422 this
    way no longer shows FastAPI's own list-shaped one, which this API never answers."""
    worded = worded or {}
    documented: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, *worded}):
        refusal = worded[status] if status in worded else REFUSALS[status]
        if isinstance(refusal, str):
            refusal = replace(REFUSALS[status], description=refusal)
        documented[status] = {
            "model": ErrorBody,
            "description": refusal.description,
            "content": {"application/json": {"example": {"error": refusal.error, "detail": refusal.detail}}},
        }
    return documented


_STATUS_ERRORS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "too_many_requests",
}


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path", "header")]
        name = ".".join(location) or "request"
        parts.append(f"{name}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path. Starlette's 405 names only the first route there, so
    `/login` (a route for the form, another for the sign-in) would say `Allow: GET`."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]


class RefuseNulCharacters:
    """No id, date or filter contains a NUL; PostgreSQL text cannot even hold one. Refuse it at the door.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware would wrap every response in a stream and a task group,
    which costs more than a cached answer takes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            for name, value in QueryParams(scope["query_string"]).multi_items():
                if "\x00" in name or "\x00" in value:
                    detail = f"{name.replace(chr(0), '')}: contains a NUL character"
                    await error_response(400, "invalid_parameter", detail)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(RefuseNulCharacters)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.error, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_parameter", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        headers = exc.headers
        if exc.status_code == 405 and headers and "Allow" in headers:
            headers = {**headers, "Allow": ", ".join(_allowed_methods(request))}
        return error_response(exc.status_code, _STATUS_ERRORS.get(exc.status_code, "error"), detail, headers)

    @app.exception_handler(OperationalError)
    async def _database_down(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        return error_response(503, "database_unavailable", "the database is not answering; try again shortly")

    @app.exception_handler(DBAPIError)
    async def _database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        log.exception("database error")
        return error_response(500, "internal_error", "the request failed; the error is logged on the server")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "the request failed; the error is logged on the server")
