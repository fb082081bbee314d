"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from pantau.core.database import DatabaseNotReady, check_ready

log = logging.getLogger("pantau.web")

router = APIRouter(tags=["health"])


class Ready(BaseModel):
    status: Literal["ready"]


class NotReady(BaseModel):
    status: Literal["unavailable"]
    error: str
    detail: str


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up. Says nothing about the database."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    responses={
        200: {"model": Ready, "description": "The database answers and is migrated."},
        503: {"model": NotReady, "description": "The database does not answer, or is not migrated."},
    },
)
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
