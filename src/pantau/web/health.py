"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from pantau.core.database import DatabaseNotReady, check_ready

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up. Says nothing about the database."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The database answers and is migrated; 503 with the reason otherwise."""
    try:
        check_ready(request.app.state.engine)
    except DatabaseNotReady as exc:
        return JSONResponse(
            {"status": "unavailable", "error": "database_not_ready", "detail": str(exc)}, status_code=503
        )
    return JSONResponse({"status": "ready"})
