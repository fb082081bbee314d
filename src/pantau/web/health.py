"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from pantau.core.database import DatabaseNotReady, check_ready

log = logging.getLogger("pantau.web")

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up. Says nothing about the database."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The database answers and is migrated; 503 with the reason otherwise (without the database's address)."""
    try:
        check_ready(request.app.state.engine)
    except DatabaseNotReady as exc:
        # The reason names the database's address: it goes to the log, not to an unauthenticated caller.
        log.warning("not ready: %s", exc)
        return JSONResponse(
            {"status": "unavailable", "error": "database_not_ready", "detail": exc.public}, status_code=503
        )
    return JSONResponse({"status": "ready"})
