"""`GET /api/cron/aggregate-metrics?type=hourly|daily|weekly`, for an external cron (SPEC §7).

Authorised by `Authorization: Bearer <CRON_SECRET>`, compared in constant time. Without a configured CRON_SECRET the
endpoint is closed (503), never open. A run is one transaction: on failure nothing of it is written. A database that
does not answer is a 503 {error, detail}, as on every other endpoint (`web.errors`); any other failure of the run is
the 500 {success: false, error, details} of SPEC §7.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from pantau.aggregation.jobs import run_aggregation
from pantau.models.enums import SnapshotType
from pantau.web.deps import SettingsDep
from pantau.web.errors import ApiError

log = logging.getLogger("pantau.aggregation")

router = APIRouter(prefix="/api/cron", tags=["cron"])


def _authorised(authorization: str | None, secret: str) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    return hmac.compare_digest(f"{scheme.lower()} {token}".encode(), f"bearer {secret}".encode())


@router.get("/aggregate-metrics", summary="Run one aggregation (for an external cron)")
def aggregate_metrics(
    request: Request,
    settings: SettingsDep,
    kind: Annotated[str, Query(alias="type", description="hourly, daily or weekly")] = "hourly",
    authorization: Annotated[str | None, Header()] = None,
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
