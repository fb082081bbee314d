"""`pantau demo --via-ingest`: the demo's rows sent through Pantau's doors instead of inserted.

Each row becomes what a CRM and WhatsApp would send: teams, agents, contacts, numbers, broadcasts, tickets and leads
as upserts, a conversation as `conversation.opened` and the lifecycle events that follow (escalated, resolved or
closed, pending, rated), each message as `message.created`, an agent's day as `agent.status` reports, all through
the events API; the delivery statuses of the messages WhatsApp sent (sent, delivered, read, failed with its error,
the pricing) through the WhatsApp webhook, as Meta's signed bodies carry them. Every body is journaled and applied
by the same code as a request to `/api/ingest/events` or `/api/ingest/whatsapp` after its credentials are checked.

Meta reports a status's time in whole seconds, so this data set's delivery times are whole seconds
(`as_whatsapp_reports`); the same rows inserted directly give the sections exactly the same JSON.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import Engine, delete, update

from pantau.demo.columns import COLUMNS
from pantau.demo.generator import Batch
from pantau.demo.loader import make_room, refresh_statistics
from pantau.ingest import service
from pantau.models import ParkedItem, User
from pantau.models.enums import EventOutcome, IngestSource, JournalState

EVENTS_PER_BODY = 500
STATUSES_PER_BODY = 500
DELIVERY = ("sent", "delivered", "read", "failed")
_MESSAGE_CREATED_COLUMNS = (
    "id",
    "conversation_id",
    "direction",
    "sender_type",
    "sender_id",
    "whatsapp_message_id",
    "broadcast_id",
    "is_auto_reply",
    "pricing_category",
    "billable",
)
_HEADERS = {"content-type": "application/json"}


class FeedFailed(RuntimeError):
    """A door refused part of the demo: the reason, as the door gave it."""


def as_whatsapp_reports(batches: Iterable[Batch]) -> Iterator[Batch]:
    """The batches with every message's delivery times at whole seconds, as Meta's webhook reports them."""
    columns = COLUMNS["messages"]
    positions = {columns.index(f"{status}_at") for status in DELIVERY}
    for batch in batches:
        if batch.table != "messages":
            yield batch
            continue
        rows = [
            tuple(
                value.replace(microsecond=0) if index in positions and value is not None else value
                for index, value in enumerate(row)
            )
            for row in batch.rows
        ]
        yield Batch(batch.table, rows, batch.day)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


class _Doors:
    """Bodies for the two doors, filled row by row and sent when full."""

    def __init__(self, engine: Engine, run: str) -> None:
        self.engine = engine
        self.run = run
        self.events: list[dict] = []
        # Per WhatsApp number (phone_number_id): its display number and the statuses waiting to be sent.
        self.statuses: dict[str, list[dict]] = {}
        self.display_numbers: dict[str, str] = {}
        self.bodies: Counter[str] = Counter()

    def event(self, key: str, event_type: str, at: datetime, data: dict[str, Any]) -> None:
        self.events.append(
            {
                "id": f"demo-{self.run}:{key}",
                "type": event_type,
                "occurredAt": at.isoformat(),
                "data": {to_camel(name): _json_value(value) for name, value in data.items() if value is not None},
            }
        )
        if len(self.events) >= EVENTS_PER_BODY:
            self.send_events()

    def status(self, session_id: str, item: dict) -> None:
        waiting = self.statuses.setdefault(session_id, [])
        waiting.append(item)
        if len(waiting) >= STATUSES_PER_BODY:
            self._send_statuses(session_id)

    def send_events(self) -> None:
        if not self.events:
            return
        body = json.dumps({"events": self.events}).encode()
        self.events = []
        applied = self._receive(IngestSource.events, body)
        rejected = [result for result in applied.results if result.outcome is EventOutcome.rejected]
        if rejected:
            raise FeedFailed(f"the events API rejected event {rejected[0].id}: {rejected[0].reason}")

    def send_all(self) -> None:
        """Events first: the statuses' messages are created by them (a status sent before would wait, parked)."""
        self.send_events()
        for session_id in list(self.statuses):
            self._send_statuses(session_id)

    def _send_statuses(self, session_id: str) -> None:
        statuses = self.statuses.pop(session_id, [])
        if not statuses:
            return
        self.send_events()
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "phone_number_id": session_id,
                "display_phone_number": self.display_numbers[session_id].lstrip("+"),
            },
            "statuses": statuses,
        }
        envelope = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "demo", "changes": [{"field": "messages", "value": value}]}],
        }
        self._receive(IngestSource.whatsapp, json.dumps(envelope).encode())

    def _receive(self, source: IngestSource, body: bytes) -> service.Applied:
        applied = service.receive(self.engine, source=source, body=body, headers=_HEADERS, now=datetime.now(UTC))
        if applied is None or applied.state is JournalState.failed:
            detail = applied.refusal.detail if applied and applied.refusal else "applied elsewhere"
            raise FeedFailed(f"the {source.value} door did not apply a body: {detail}")
        self.bodies[source.value] += 1
        return applied


class _Translator:
    """The demo's rows as the events and statuses that would have produced them."""

    def __init__(self, doors: _Doors, *, start: datetime, now: datetime) -> None:
        self.doors = doors
        self.start = start
        self.now = now
        self.session_of: dict[str, str | None] = {}
        self.sessions: list[dict[str, Any]] = []
        self.passwords: dict[str, str] = {}

    def rows(self, batch: Batch) -> None:
        translate = getattr(self, f"_{batch.table}")
        for row in batch.rows:
            translate(dict(zip(COLUMNS[batch.table], row, strict=True)))

    def finish(self) -> None:
        """The numbers as the CRM last saw them: statuses moved their `last_seen_at` forward meanwhile."""
        for row in self.sessions:
            self.doors.event(f"whatsapp_session:{row['id']}:now", "whatsapp_session.upserted", self.now, row)

    def _teams(self, row: dict) -> None:
        self.doors.event(f"team:{row['id']}", "team.upserted", self.start, row)

    def _users(self, row: dict) -> None:
        password_hash = row.pop("password_hash")
        if password_hash is not None:
            self.passwords[row["id"]] = password_hash
        self.doors.event(f"user:{row['id']}", "user.upserted", row["created_at"], row)

    def _whatsapp_sessions(self, row: dict) -> None:
        self.sessions.append(row)
        self.doors.display_numbers[row["id"]] = row["phone_number"]
        self.doors.event(f"whatsapp_session:{row['id']}", "whatsapp_session.upserted", self.start, row)

    def _contacts(self, row: dict) -> None:
        self.doors.event(f"contact:{row['id']}", "contact.upserted", row["created_at"], row)

    def _agent_activity_logs(self, row: dict) -> None:
        data = {"agent_id": row["agent_id"], "status": row["status"]}
        self.doors.event(f"agent_status:{row['id']}", "agent.status", row["started_at"], data)

    def _broadcasts(self, row: dict) -> None:
        self.doors.event(f"broadcast:{row['id']}", "broadcast.created", row["created_at"], row)

    def _conversations(self, row: dict) -> None:
        conversation_id = row["id"]
        self.session_of[conversation_id] = row["whatsapp_session_id"]
        opened = {
            name: row[name]
            for name in (
                "id",
                "contact_id",
                "whatsapp_session_id",
                "team_id",
                "assigned_to",
                "handled_by_bot",
                "intent",
                "broadcast_id",
            )
        }
        key = f"conversation:{conversation_id}"
        reference = {"conversation_id": conversation_id}
        self.doors.event(f"{key}:opened", "conversation.opened", row["created_at"], opened)
        if row["escalated_at"] is not None:
            self.doors.event(f"{key}:escalated", "conversation.escalated", row["escalated_at"], reference)
        status = _json_value(row["status"])
        if status in ("resolved", "closed"):
            self.doors.event(f"{key}:{status}", f"conversation.{status}", row["resolved_at"], reference)
        elif status == "pending":
            self.doors.event(f"{key}:pending", "conversation.pending", row["created_at"], reference)
        if row["csat_score"] is not None:
            rated = {**reference, "csat_score": row["csat_score"]}
            self.doors.event(f"{key}:rated", "conversation.rated", row["resolved_at"] or row["created_at"], rated)

    def _messages(self, row: dict) -> None:
        created = {name: row[name] for name in _MESSAGE_CREATED_COLUMNS}
        reports = [(status, row[f"{status}_at"]) for status in DELIVERY if row[f"{status}_at"] is not None]
        if not reports:
            created["status"] = row["status"]
        self.doors.event(f"message:{row['id']}", "message.created", row["created_at"], created)
        for status, at in reports:
            if row["whatsapp_message_id"] is None:
                self._status_event(row, status, at)
            else:
                self._webhook_status(row, status, at)

    def _status_event(self, row: dict, status: str, at: datetime) -> None:
        data = {"message_id": row["id"], "status": status}
        if status == "failed":
            data |= {"error_code": row["error_code"], "error_title": row["error_title"]}
        self.doors.event(f"message:{row['id']}:{status}", "message.status", at, data)

    def _webhook_status(self, row: dict, status: str, at: datetime) -> None:
        item: dict[str, Any] = {"id": row["whatsapp_message_id"], "status": status, "timestamp": _unix(at)}
        if row["pricing_category"] is not None:
            item["pricing"] = {"billable": row["billable"], "pricing_model": "CBP", "category": row["pricing_category"]}
        if status == "failed" and row["error_code"] is not None:
            item["errors"] = [{"code": row["error_code"], "title": row["error_title"]}]
        session_id = self.session_of.get(row["conversation_id"]) or next(iter(self.doors.display_numbers))
        self.doors.status(session_id, item)

    def _tickets(self, row: dict) -> None:
        self.doors.event(f"ticket:{row['id']}", "ticket.upserted", row["created_at"], row)

    def _leads(self, row: dict) -> None:
        self.doors.event(f"lead:{row['id']}", "lead.upserted", row["created_at"], row)


def feed(
    engine: Engine,
    batches: Iterable[Batch],
    *,
    start: datetime,
    now: datetime,
    reset: bool,
    on_batch: Callable[[Batch], None] | None = None,
) -> tuple[Counter[str], Counter[str]]:
    """Send the batches through the doors; the rows sent per table, and the bodies per door. Refuses (DemoRefused)
    like `load` when CRM data is present, unless `reset`. `start` is the demo's first moment (when rows that carry no
    time of their own are sent), `now` its anchor."""
    with engine.begin() as connection:
        make_room(connection, reset=reset)
        # Items parked for rows the reset deleted would wait for rows of the new demo that share their ids.
        connection.execute(delete(ParkedItem.__table__))
    doors = _Doors(engine, uuid.uuid4().hex[:8])
    translator = _Translator(doors, start=start, now=now)
    sent: Counter[str] = Counter()
    for batch in as_whatsapp_reports(batches):
        translator.rows(batch)
        doors.send_all()
        sent[batch.table] += len(batch.rows)
        if on_batch is not None:
            on_batch(batch)
    translator.finish()
    doors.send_all()
    # The demo's sign-ins: passwords never travel through ingest; set as `pantau user set-password` would.
    users = User.__table__
    with engine.begin() as connection:
        for user_id, password_hash in translator.passwords.items():
            connection.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))
    refresh_statistics(engine)
    return sent, doors.bodies
