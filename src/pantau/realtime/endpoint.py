"""`/api/dashboard/realtime`: the WebSocket of the live dashboard (SPEC §8.2; the protocol in docs/realtime.md).

Credentials are those of the JSON API, never in the URL: a browser's session cookie with an `Origin` equal to the
site's, or `Authorization: Bearer` for a program (an ingest token reads nothing). Without them the socket is closed
with 1008 before anything is sent. The credential is checked again on every subscribe message and every minute in
between: a session that ended or a token revoked since gets its socket closed (1008).
"""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from pantau.audit import service as audit
from pantau.auth.dependencies import AuthenticatedUser
from pantau.auth.sessions import SESSION_COOKIE, find_session_user
from pantau.auth.tokens import find_token_holder
from pantau.core import clock
from pantau.core.database import release_connection
from pantau.dashboard.router import check_section_request
from pantau.models.enums import TokenPermission
from pantau.realtime.hub import Subscriber, Subscription
from pantau.realtime.protocol import SubscribeMessage, parse_message
from pantau.web.errors import ApiError

log = logging.getLogger("pantau.realtime")

router = APIRouter()

POLICY_VIOLATION = 1008
# How often the credential of a socket is checked again between its messages.
CREDENTIAL_CHECK_SECONDS = 60.0


class Refused(Exception):
    """The socket is closed with 1008 and this reason."""


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host", "")
    return origin is not None and urlsplit(origin).netloc.lower() == host.lower() != ""


def authenticate(websocket: WebSocket) -> AuthenticatedUser:
    """The caller, or Refused: a Bearer token decides alone when sent; else the session cookie, from this site."""
    app = websocket.app
    now = clock.now()
    authorization = websocket.headers.get("authorization")
    with app.state.session_factory() as db:
        try:
            if authorization is not None:
                scheme, _, token = authorization.partition(" ")
                holder = find_token_holder(db, token.strip(), now) if scheme.lower() == "bearer" else None
                if holder is None:
                    raise Refused("the API token is unknown or revoked, or its user is deactivated")
                if holder.permission is TokenPermission.ingest:
                    raise Refused("this API token has the ingest permission: it reads nothing")
                return AuthenticatedUser.of(holder.user, "token", holder.permission)
            session_token = websocket.cookies.get(SESSION_COOKIE)
            if not session_token:
                raise Refused("sign in, or send an API token as Authorization: Bearer <token>")
            if not _same_origin(websocket):
                raise Refused("a page of another site cannot open this socket")
            user = find_session_user(db, app.state.settings, session_token, now)
            if user is None:
                raise Refused("the session has ended; sign in again")
            return AuthenticatedUser.of(user, "session")
        finally:
            release_connection(db)


def check_subscription(
    websocket: WebSocket, caller: AuthenticatedUser, message: SubscribeMessage
) -> list[Subscription]:
    """Each section checked as `GET /api/dashboard/<section>` checks it; an audited section's subscription is
    written to the audit log, as a read of it would be."""
    app = websocket.app
    subscriptions = []
    with app.state.session_factory() as db:
        for section in message.sections:
            checked = check_section_request(
                section, caller.scope, db, app.state.settings, message.parameters_for(section), message.filters
            )
            subscriptions.append(Subscription(section, checked.scope, message.parameters_for(section)))
        for section in message.sections:
            if section.audited:
                audit.record(
                    db,
                    user_id=caller.id,
                    action=f"subscribe:{section.name}",
                    parameters={"filters": {k: v for k, v in _filters(message).items() if v is not None}},
                    address=(websocket.client.host if websocket.client else "unknown")[:64],
                )
        release_connection(db)
    return subscriptions


def _filters(message: SubscribeMessage) -> dict[str, str | None]:
    p, f = message.parameters, message.filters
    return {
        "dateRange": p.date_range,
        "period": p.period,
        "startDate": p.start_date,
        "endDate": p.end_date,
        "teamId": f.team_id,
        "agentId": f.agent_id,
        "lang": message.lang,
    }


def _error(exc: ApiError) -> str:
    return json.dumps({"type": "error", "status": exc.status, "error": exc.error, "detail": exc.detail})


@router.websocket("/api/dashboard/realtime")
async def realtime_socket(websocket: WebSocket) -> None:
    try:
        await run_in_threadpool(authenticate, websocket)
    except Refused as refused:
        await websocket.accept()
        await websocket.close(code=POLICY_VIOLATION, reason=str(refused))
        return
    await websocket.accept()
    websocket.app.state.realtime.start()
    hub = websocket.app.state.realtime.hub
    subscriber = Subscriber(websocket.send_text)
    outbox = asyncio.create_task(subscriber.run_outbox())
    receiving: asyncio.Task | None = None
    try:
        while not subscriber.closed:
            if receiving is None:
                receiving = asyncio.create_task(websocket.receive())
            done, _ = await asyncio.wait(
                {receiving, outbox}, timeout=CREDENTIAL_CHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if outbox in done:
                break
            if receiving not in done:
                # A quiet socket: is its credential still good (session not ended, token not revoked)?
                try:
                    await run_in_threadpool(authenticate, websocket)
                except Refused as refused:
                    await websocket.close(code=POLICY_VIOLATION, reason=str(refused))
                    break
                continue
            received = receiving.result()
            receiving = None
            if received["type"] == "websocket.disconnect":
                break
            try:
                if received.get("text") is None:
                    raise ApiError(400, "invalid_message", "message: must be a text frame holding JSON")
                message = parse_message(received["text"])
                caller = await run_in_threadpool(authenticate, websocket)
                subscriptions = await run_in_threadpool(check_subscription, websocket, caller, message)
            except ApiError as exc:
                subscriber.queue(_error(exc))
                continue
            except Refused as refused:
                await websocket.close(code=POLICY_VIOLATION, reason=str(refused))
                break
            hub.subscribe(subscriber, subscriptions)
            subscriber.queue(json.dumps({"type": "subscribed", "sections": [s.section.name for s in subscriptions]}))
    finally:
        if receiving is not None:
            receiving.cancel()
        hub.unsubscribe(subscriber)
        subscriber.close()
        outbox.cancel()
