"""One error shape for every failure: {error, detail}. Bad input is a 4xx naming the parameter; never a trace."""

from __future__ import annotations

import logging
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


def error_response(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


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
