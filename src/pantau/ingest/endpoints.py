"""Pantau's doors for data (SPEC §8.1): the WhatsApp Cloud API webhook and the events API.

Both read the body themselves, counting its bytes as they arrive (a Content-Length may lie, or be absent), and
refuse it past INGEST_MAX_BODY_BYTES with 413. A body that passes authentication is journaled before it is applied;
the only 5xx is a journal that cannot be written (or, for the events API, a body that could not be applied now).
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from pantau.auth.dependencies import IngestCredential
from pantau.core import clock
from pantau.core.config import Settings
from pantau.ingest import service, whatsapp
from pantau.ingest.group import GroupCommit
from pantau.ingest.journal import JournalUnavailable
from pantau.ingest.schemas import EventsRequest, EventsResponse, WebhookAnswer
from pantau.models.enums import IngestSource, JournalState
from pantau.realtime.changes import Change
from pantau.realtime.service import announce
from pantau.web.deps import SettingsDep
from pantau.web.errors import ApiError, Refusal, error_response, error_responses

log = logging.getLogger("pantau.ingest")

router = APIRouter(prefix="/api/ingest", tags=["ingest"])

_VERIFY_TOKEN_IN_QUERY = re.compile(r"(hub\.verify_token=)[^&\s\"]*")


class HideVerifyToken(logging.Filter):
    """Meta sends WHATSAPP_VERIFY_TOKEN in the handshake's query string, which the access log would print: it is
    blanked there, as every secret is kept out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _VERIFY_TOKEN_IN_QUERY.sub(r"\1***", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


logging.getLogger("uvicorn.access").addFilter(HideVerifyToken())

# The headers worth keeping with a body; never Authorization.
_KEPT_HEADERS = ("content-type", "user-agent", "x-hub-signature-256")


_WORDED = {
    400: "The body is not what this endpoint takes (the detail names the problem).",
    401: Refusal(
        "Missing or wrong credentials.", "unauthorized", "send an API token as `Authorization: Bearer <token>`"
    ),
    403: "The credentials may not do this.",
    413: "The body is over INGEST_MAX_BODY_BYTES, or has more than 1,000 events.",
    503: Refusal(
        "Not configured, or the body could not be stored (send it again).",
        "journal_unavailable",
        "the body could not be stored; nothing was applied, send it again",
    ),
}


def _errors(*statuses: int) -> dict[int | str, dict]:
    return error_responses(*statuses, worded={status: _WORDED[status] for status in statuses if status in _WORDED})


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, up to `limit` bytes: past that, 413 before reading any further."""
    too_large = ApiError(413, "body_too_large", f"body: larger than {limit:,} bytes (INGEST_MAX_BODY_BYTES)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _events_request_schema() -> dict:
    """The events body's JSON schema for the OpenAPI page, its one nested model inlined (a `$defs` reference would
    not resolve inside the OpenAPI document)."""
    schema = EventsRequest.model_json_schema()
    definitions = schema.pop("$defs")
    schema["properties"]["events"]["items"] = definitions["EventIn"]
    return schema


def _kept_headers(request: Request) -> dict[str, str]:
    return {name: request.headers[name] for name in _KEPT_HEADERS if name in request.headers}


def _journal_down() -> ApiError:
    return ApiError(503, "journal_unavailable", "the body could not be stored; nothing was applied, send it again")


@router.get(
    "/whatsapp",
    response_class=PlainTextResponse,
    summary="WhatsApp webhook verification (Meta's subscribe handshake)",
    responses={
        200: {"content": {"text/plain": {}}, "description": "hub.challenge, echoed"},
        **_errors(400, 403, 422, 503),
    },
)
def verify_whatsapp_webhook(
    settings: SettingsDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)] = "",
) -> PlainTextResponse:
    """Meta calls this once when the webhook is set up: with `hub.mode=subscribe` and `hub.verify_token` equal to
    WHATSAPP_VERIFY_TOKEN, the answer is `hub.challenge` as text."""
    expected = settings.whatsapp_verify_token.get_secret_value()
    if not expected:
        raise ApiError(503, "webhook_disabled", "WHATSAPP_VERIFY_TOKEN is not configured; the webhook is closed")
    token_matches = hmac.compare_digest((verify_token or "").encode(), expected.encode())
    if mode != "subscribe" or not token_matches:
        raise ApiError(403, "forbidden", "hub.mode must be subscribe and hub.verify_token must match")
    return PlainTextResponse(challenge)


def _app_secret(settings: Settings) -> str:
    secret = settings.whatsapp_app_secret.get_secret_value()
    if not secret:
        raise ApiError(503, "webhook_disabled", "WHATSAPP_APP_SECRET is not configured; the webhook is closed")
    return secret


@router.post(
    "/whatsapp",
    response_model=WebhookAnswer,
    summary="WhatsApp Cloud API webhook: messages, statuses, number updates",
    responses=_errors(401, 413, 503),
)
async def receive_whatsapp_webhook(
    request: Request,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias=whatsapp.SIGNATURE_HEADER)] = None,
) -> WebhookAnswer:
    """A body signed with the app secret (`X-Hub-Signature-256`), checked on its raw bytes before anything else.
    A signed body that is not a webhook Pantau can apply is journaled as failed and answered 200: Meta retries
    anything else for days, and the body would not improve."""
    secret = _app_secret(settings)
    refused = ApiError(
        401, "unauthorized", f"{whatsapp.SIGNATURE_HEADER}: missing, or not the body's HMAC-SHA256 with the app secret"
    )
    if not signature:
        raise refused
    body = await _read_body(request, settings.ingest_max_body_bytes)
    if not whatsapp.signature_matches(body, signature, secret):
        raise refused
    outcome = await _webhook_group(request.app).submit(service.Incoming(body=body, headers=_kept_headers(request)))
    if isinstance(outcome, JournalUnavailable):
        log.error("a WhatsApp webhook body could not be journaled (%s); Meta will send it again", outcome)
        raise _journal_down()
    if isinstance(outcome, service.ApplyFailed):
        # Journaled: a replay applies it. Answering an error would only make Meta send it again.
        return WebhookAnswer(state=JournalState.failed.value)
    if outcome is None:
        return WebhookAnswer(state=JournalState.received.value)
    if outcome.refusal is not None:
        log.warning("WhatsApp webhook body %s journaled as failed: %s", outcome.entry_id, outcome.refusal.detail)
    return WebhookAnswer(state=outcome.state.value)


# Bodies written together at most (a group's answers wait for its last body to be applied), and groups written at
# once (each on a connection of its own: one group's round trips overlap another's).
WEBHOOK_MAX_GROUP = 64
WEBHOOK_GROUPS_IN_FLIGHT = 4


def _webhook_group(app: FastAPI) -> GroupCommit[service.Incoming, service.Outcome]:
    """The app's group commit for webhook bodies (`pantau.ingest.group`), made on first use."""
    group = getattr(app.state, "webhook_group", None)
    if group is None:

        def write(bodies: list[service.Incoming]) -> list[service.Outcome]:
            outcomes = service.receive_group(
                app.state.engine, source=IngestSource.whatsapp, bodies=bodies, now=clock.now()
            )
            if any(isinstance(outcome, service.Applied) and outcome.changed for outcome in outcomes):
                # Once for the group: the dashboards read what any of its bodies changed.
                service.forget_cached_answers(app.state.cache)
            return outcomes

        def after(outcomes: list[service.Outcome]) -> None:
            changed = [outcome for outcome in outcomes if isinstance(outcome, service.Applied) and outcome.changed]
            if changed:
                announce(app, Change.of("ingest", service.touched_by(changed)))

        group = app.state.webhook_group = GroupCommit(
            write, max_group=WEBHOOK_MAX_GROUP, in_flight=WEBHOOK_GROUPS_IN_FLIGHT, after=after
        )
    return group


@router.post(
    "/events",
    response_model=EventsResponse,
    summary="Send the CRM's events (at most 1,000 per request)",
    responses=_errors(400, 401, 403, 413, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _events_request_schema()}},
        }
    },
)
async def receive_events(request: Request, settings: SettingsDep, sender: IngestCredential) -> JSONResponse:
    """`{"events": [{"id", "type", "occurredAt", "data"}, ...]}` with an API token created with the ingest
    permission. Each event is answered in order: accepted, duplicate (its id was received before; nothing changes),
    rejected (the reason names the field) or parked (it refers to a row not known yet, and is applied when that row
    arrives)."""
    body = await _read_body(request, settings.ingest_max_body_bytes)
    try:
        applied = await run_in_threadpool(
            service.receive,
            request.app.state.engine,
            source=IngestSource.events,
            body=body,
            headers=_kept_headers(request),
            now=clock.now(),
            token_id=sender.token_id,
        )
    except JournalUnavailable:
        log.exception("an events body could not be journaled")
        raise _journal_down() from None
    except service.ApplyFailed as exc:
        raise ApiError(
            503,
            "ingest_unavailable",
            f"the events are stored (journal entry {exc.entry_id}) but could not be applied now; send them again "
            "(ids already applied answer duplicate)",
        ) from None
    if applied is None:
        raise ApiError(503, "ingest_busy", "a replay is applying this body; send it again to see each event's outcome")
    if applied.refusal is not None:
        return error_response(applied.refusal.status, applied.refusal.error, applied.refusal.detail)
    if applied.changed:
        service.forget_cached_answers(request.app.state.cache)
        announce(request.app, Change.of("ingest", applied.touched))
    return JSONResponse(EventsResponse(results=applied.results).model_dump(mode="json"))
