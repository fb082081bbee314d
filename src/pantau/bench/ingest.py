"""`pantau bench ingest`: how fast data comes in through each door, against a real `pantau serve` (SPEC §8.1 speed).

- the WhatsApp webhook: signed bodies of delivery statuses (sent, delivered, read) for outbound messages, sent by
  concurrent clients as Meta does; statuses per second, and each answer's time;
- the events API: batches of 500 events (a conversation opened and four messages, a hundred times), one after
  another; events per second;
- `pantau import messages`: a CSV file of messages, rows per second.

It writes its rows under ids of its own (`bench-<run>-...`) into the configured database and deletes them, their
journal entries and event ids afterwards; the figures are a benchmark, not a test.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import json
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from pantau.auth.tokens import api_token_hash, issue_token
from pantau.bench.runner import Timing, _database, served
from pantau.core.config import Settings
from pantau.ingest.csv_import import import_csv
from pantau.models import (
    ApiToken,
    Contact,
    Conversation,
    IngestEvent,
    IngestJournalEntry,
    Message,
    User,
    WhatsappSession,
)
from pantau.models.enums import Role, TokenPermission

EVENTS_PER_BATCH = 500
MESSAGES_PER_CONVERSATION = 4


@dataclass(frozen=True)
class Rate:
    items: int
    seconds: float
    answer: Timing | None = None  # per request

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else float("nan")


@dataclass(frozen=True)
class IngestReport:
    database: str
    webhook: Rate
    webhook_bodies: int
    statuses_per_body: int
    clients: int
    events: Rate
    events_batches: int
    csv: Rate


class _Run:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.prefix = f"bench-{secrets.token_hex(4)}"
        self.session_id = f"{self.prefix}-number"
        self.now = datetime.now(UTC).replace(microsecond=0)

    def id(self, kind: str, number: int | str) -> str:
        return f"{self.prefix}-{kind}-{number}"

    def setup(self, conversations: int, outbound: int) -> None:
        """Contacts and open conversations to write into, and the outbound messages the statuses are for."""
        created = self.now - timedelta(hours=1)
        with self.engine.begin() as connection:
            connection.execute(
                insert(WhatsappSession).values(
                    id=self.session_id, phone_number="+6281100009999", status="connected", last_seen_at=created
                )
            )
            connection.execute(
                insert(Contact),
                [{"id": self.id("contact", n), "created_at": created} for n in range(conversations)],
            )
            connection.execute(
                insert(Conversation),
                [
                    {
                        "id": self.id("conversation", n),
                        "contact_id": self.id("contact", n),
                        "whatsapp_session_id": self.session_id,
                        "status": "open",
                        "created_at": created,
                    }
                    for n in range(conversations)
                ],
            )
            connection.execute(
                insert(Message),
                [
                    {
                        "id": self.id("outbound", n),
                        "conversation_id": self.id("conversation", n % conversations),
                        "direction": "outbound",
                        "sender_type": "bot",
                        "whatsapp_message_id": f"wamid.{self.prefix}.{n}",
                        "created_at": created,
                        "status": "queued",
                    }
                    for n in range(outbound)
                ],
            )

    def clean(self, first_journal_id: int) -> None:
        like = f"{self.prefix}-%"
        with self.engine.begin() as connection:
            connection.execute(delete(Message).where(Message.conversation_id.like(like)))
            connection.execute(delete(Conversation).where(Conversation.id.like(like)))
            connection.execute(delete(Contact).where(Contact.id.like(like)))
            connection.execute(delete(WhatsappSession).where(WhatsappSession.id == self.session_id))
            connection.execute(delete(IngestEvent).where(IngestEvent.id.like(like)))
            connection.execute(delete(IngestJournalEntry).where(IngestJournalEntry.id >= first_journal_id))


def _signed(body: bytes, secret: str) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}


def _status_bodies(run: _Run, outbound: int, per_body: int) -> list[bytes]:
    """Each message's sent, delivered and read, 10 s apart, in bodies of `per_body` statuses."""
    statuses = [
        {
            "id": f"wamid.{run.prefix}.{n}",
            "status": kind,
            "timestamp": str(int((run.now + timedelta(seconds=10 * step)).timestamp())),
            "recipient_id": "6281234567890",
            "pricing": {"billable": True, "pricing_model": "CBP", "category": "utility"},
        }
        for step, kind in enumerate(("sent", "delivered", "read"))
        for n in range(outbound)
    ]
    bodies = []
    for start in range(0, len(statuses), per_body):
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100009999", "phone_number_id": run.session_id},
            "statuses": statuses[start : start + per_body],
        }
        envelope = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "bench", "changes": [{"field": "messages", "value": value}]}],
        }
        bodies.append(json.dumps(envelope).encode())
    return bodies


async def _post_all(base_url: str, bodies: list[bytes], secret: str, clients: int) -> tuple[float, list[float]]:
    """Send every body, `clients` at a time; the wall time and each answer's time."""
    answers: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx2.Limits(max_connections=clients)
    async with httpx2.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post("/api/ingest/whatsapp", content=body, headers=_signed(body, secret))
                answers.append(time.perf_counter() - started)
                if response.status_code != 200 or response.json().get("state") != "applied":
                    raise RuntimeError(f"the webhook answered {response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - started, answers


def _event_batches(run: _Run, batches: int) -> list[dict]:
    per_batch = EVENTS_PER_BATCH // (1 + MESSAGES_PER_CONVERSATION)
    result = []
    for b in range(batches):
        events = []
        for c in range(per_batch):
            number = b * per_batch + c
            conversation = run.id("new-conversation", number)
            at = run.now - timedelta(minutes=30)
            events.append(
                {
                    "id": run.id("event-open", number),
                    "type": "conversation.opened",
                    "occurredAt": at.isoformat(),
                    "data": {"id": conversation, "contactId": run.id("contact", number % 1000)},
                }
            )
            for m in range(MESSAGES_PER_CONVERSATION):
                inbound = m % 2 == 0
                events.append(
                    {
                        "id": run.id("event-message", f"{number}-{m}"),
                        "type": "message.created",
                        "occurredAt": (at + timedelta(seconds=30 * m)).isoformat(),
                        "data": {
                            "id": run.id("new-message", f"{number}-{m}"),
                            "conversationId": conversation,
                            "direction": "inbound" if inbound else "outbound",
                            "senderType": "customer" if inbound else "bot",
                            "whatsappMessageId": f"wamid.{run.prefix}.new.{number}.{m}",
                        },
                    }
                )
        result.append({"events": events})
    return result


def _csv_file(run: _Run, directory: Path, rows: int, conversations: int) -> Path:
    path = directory / "messages.csv"
    created = (run.now - timedelta(days=1)).isoformat()
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "conversation_id", "direction", "sender_type", "created_at", "status", "sent_at"])
        for n in range(rows):
            inbound = n % 2 == 0
            writer.writerow(
                [
                    run.id("imported", n),
                    run.id("conversation", n % conversations),
                    "inbound" if inbound else "outbound",
                    "customer" if inbound else "agent",
                    created,
                    "" if inbound else "sent",
                    "" if inbound else created,
                ]
            )
    return path


def run_ingest_bench(
    engine: Engine,
    settings: Settings,
    *,
    statuses: int,
    statuses_per_body: int,
    clients: int,
    event_batches: int,
    csv_rows: int,
) -> IngestReport:
    run = _Run(engine)
    conversations = 1000
    outbound = max(1, statuses // 3)
    with engine.connect() as connection:
        first_journal_id = (connection.execute(select(func.max(IngestJournalEntry.id))).scalar() or 0) + 1
        owner = connection.execute(
            select(User.id).where(User.role == Role.owner, User.is_active.is_(True)).limit(1)
        ).scalar()
    if owner is None:
        raise RuntimeError("the database has no active owner to hold the benchmark's ingest token (pantau demo)")
    secret = secrets.token_hex(16)
    with Session(engine) as session, session.begin():
        token = issue_token(
            session, session.get(User, owner), "pantau bench ingest", datetime.now(UTC), TokenPermission.ingest
        ).token
    try:
        run.setup(conversations, outbound)
        environment = {"WHATSAPP_APP_SECRET": secret, "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8)}
        with served(settings, environment) as (base_url, _pid):
            bodies = _status_bodies(run, outbound, statuses_per_body)
            wall, answers = asyncio.run(_post_all(base_url, bodies, secret, clients))
            webhook = Rate(outbound * 3, wall, Timing.of(answers))

            batch_times = []
            with httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
                for body in _event_batches(run, event_batches):
                    started = time.perf_counter()
                    response = client.post("/api/ingest/events", json=body)
                    batch_times.append(time.perf_counter() - started)
                    outcomes = {result["outcome"] for result in response.json().get("results", [])}
                    if response.status_code != 200 or outcomes != {"accepted"}:
                        raise RuntimeError(f"the events API answered {response.status_code}: {response.text[:300]}")
            events = Rate(event_batches * EVENTS_PER_BATCH, sum(batch_times), Timing.of(batch_times))

        with tempfile.TemporaryDirectory() as directory:
            path = _csv_file(run, Path(directory), csv_rows, conversations)
            started = time.perf_counter()
            summary = import_csv(engine, "messages", path)
            seconds = time.perf_counter() - started
            if summary.written != csv_rows:
                raise RuntimeError(f"the CSV import wrote {summary.written:,} of {csv_rows:,} rows")
            imported = Rate(csv_rows, seconds)
    finally:
        run.clean(first_journal_id)
        with Session(engine) as session, session.begin():
            session.execute(
                update(ApiToken)
                .where(ApiToken.token_hash == api_token_hash(token))
                .values(revoked_at=datetime.now(UTC))
            )
    return IngestReport(
        database=_database(engine),
        webhook=webhook,
        webhook_bodies=len(bodies),
        statuses_per_body=statuses_per_body,
        clients=clients,
        events=events,
        events_batches=event_batches,
        csv=imported,
    )
