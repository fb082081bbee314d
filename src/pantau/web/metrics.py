"""`GET /metrics`: Prometheus counters of this process (cache hits, misses, bypasses and store errors, ...).

Open when METRICS_TOKEN is empty (the default, so a scraper on the same network needs nothing), else only with
`Authorization: Bearer <METRICS_TOKEN>`, compared in constant time. `pantau serve` warns at start-up when it is open
outside development.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pantau.web.deps import SettingsDep
from pantau.web.errors import ApiError, Refusal, error_responses

router = APIRouter(tags=["health"])

_bearer = HTTPBearer(auto_error=False, description="METRICS_TOKEN, when one is set.")


def _require_metrics_token(settings: SettingsDep, credentials: HTTPAuthorizationCredentials | None) -> None:
    expected = settings.metrics_token
    if not expected:
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(
            401,
            "unauthorized",
            "send METRICS_TOKEN as `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )


MetricsCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics of this process",
    responses={
        200: {"description": "The counters, in Prometheus' text format.", "content": {CONTENT_TYPE_LATEST: {}}},
        **error_responses(
            401,
            worded={
                401: Refusal(
                    "METRICS_TOKEN is set and the request did not send it.",
                    "unauthorized",
                    "send METRICS_TOKEN as `Authorization: Bearer <token>`",
                )
            },
        ),
    },
    # The token is asked for only when METRICS_TOKEN is set: no credentials is a valid call too.
    openapi_extra={"security": [{}, {"HTTPBearer": []}]},
)
def metrics(settings: SettingsDep, credentials: MetricsCredentials) -> Response:
    _require_metrics_token(settings, credentials)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
