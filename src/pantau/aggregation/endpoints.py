"""`GET /api/cron/aggregate-metrics?type=hourly|daily|weekly`, for an external cron (SPEC §7).

Authorised by `Authorization: Bearer <CRON_SECRET>`, compared in constant time. Without a configured CRON_SECRET the
endpoint is closed (503), never open. A run is one transaction: on failure nothing of it is written. A database that
does not answer is a 503 {error, detail}, as on every other endpoint (`web.errors`); any other failure of the run is
the 500 {success: false, error, details} of SPEC §7.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, WithJsonSchema
from sqlalchemy.exc import OperationalError

from pantau.aggregation.jobs import run_aggregation
from pantau.models.enums import SnapshotType
from pantau.realtime.changes import Change
from pantau.realtime.service import announce
from pantau.web.deps import SettingsDep
from pantau.web.errors import ApiError, Refusal, error_responses

log = logging.getLogger("pantau.aggregation")

router = APIRouter(prefix="/api/cron", tags=["cron"])


class AggregationRun(BaseModel):
    """The answer to a run that completed (or found another runner at work: `buckets` 0)."""

    success: Literal[True]
    type: SnapshotType
    timestamp: str = Field(description="When the run started, UTC, ISO 8601", examples=["2026-03-04T03:00:00.012Z"])
    message: str = Field(examples=["hourly metrics aggregation completed successfully"])
    buckets: int = Field(description="Buckets written")


class AggregationFailure(BaseModel):
    """The answer to a run that failed; nothing of it was written."""

    success: Literal[False]
    error: str = Field(examples=["hourly metrics aggregation failed"])
    details: str = Field(description="The kind of error (its details are in the server's log)")


def _authorised(authorization: str | None, secret: str) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    return hmac.compare_digest(f"{scheme.lower()} {token}".encode(), f"bearer {secret}".encode())


@router.get(
    "/aggregate-metrics",
    summary="Run one aggregation (for an external cron)",
    responses={
        200: {"model": AggregationRun, "description": "The run completed."},
        **error_responses(
            400,
            401,
            422,
            503,
            worded={
                400: Refusal(
                    "type is not hourly, daily or weekly (or a parameter holds a NUL character).",
                    "invalid_parameter",
                    "type: use hourly, daily or weekly, got 'monthly'",
                ),
                401: Refusal(
                    "No `Authorization: Bearer <CRON_SECRET>`, or a wrong secret.",
                    "unauthorized",
                    "send `Authorization: Bearer <CRON_SECRET>`",
                ),
                503: Refusal(
                    "CRON_SECRET is not configured: the endpoint is closed.",
                    "cron_disabled",
                    "CRON_SECRET is not configured; the cron endpoint is closed",
                ),
            },
        ),
        500: {"model": AggregationFailure, "description": "The run failed; nothing of it was written."},
    },
)
def aggregate_metrics(
    request: Request,
    settings: SettingsDep,
    kind: Annotated[
        str,
        Query(alias="type", description="hourly, daily or weekly"),
        WithJsonSchema({"type": "string", "enum": [snapshot.value for snapshot in SnapshotType], "default": "hourly"}),
    ] = "hourly",
    authorization: Annotated[
        str | None, Header(description="Bearer <CRON_SECRET>"), WithJsonSchema({"type": "string"})
    ] = None,
) -> JSONResponse:
    if not settings.cron_secret:
        raise ApiError(503, "cron_disabled", "CRON_SECRET is not configured; the cron endpoint is closed")
    if not _authorised(authorization, settings.cron_secret):
        raise ApiError(
            401, "unauthorized", "send `Authorization: Bearer <CRON_SECRET>`", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        snapshot_type = SnapshotType(kind)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"type: use hourly, daily or weekly, got {kind!r}") from None
    try:
        result = run_aggregation(request.app.state.engine, settings, snapshot_type)
        announce(request.app, Change.of("aggregation"))
    except OperationalError:
        raise  # the database is not answering: 503, like every other endpoint
    except Exception as exc:
        log.exception("%s aggregation failed", snapshot_type.value)
        return JSONResponse(
            {
                "success": False,
                "error": f"{snapshot_type.value} metrics aggregation failed",
                "details": type(exc).__name__,
            },
            status_code=500,
        )
    # A run skipped because another holds the lock is a success too: its buckets are being computed (buckets: 0).
    return JSONResponse(
        {
            "success": True,
            "type": snapshot_type.value,
            "timestamp": result.started.isoformat().replace("+00:00", "Z"),
            "message": f"{snapshot_type.value} metrics aggregation completed successfully",
            "buckets": result.buckets,
        }
    )
