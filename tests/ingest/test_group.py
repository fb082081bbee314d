"""Webhook bodies written together (`service.receive_group`, `pantau.ingest.group`): each body's outcome, and every
row, what receiving the same bodies one by one gives; a body that fails takes no other with it."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from pantau.ingest import service
from pantau.ingest.group import GroupCommit
from pantau.models import Contact, Conversation, IngestJournalEntry, Message, ParkedItem, WhatsappSession
from pantau.models.enums import IngestSource
from tests.ingest.conftest import table
from tests.ingest.payloads import (
    PHONE_NUMBER_ID,
    failed_status,
    inbound,
    messages_change,
    quality_update_change,
    status,
    statuses_change,
    webhook,
)
from tests.support.builders import Dataset, local

pytestmark = pytest.mark.commits

T0 = local("2026-03-02 09:00")
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
OUTBOUND = ("wamid.A", "wamid.B", "wamid.D")


def fresh(engine) -> None:
    """The number (seen at T0), a conversation and three outbound messages without a status yet; nothing else."""
    with engine.begin() as connection:
        for model in (ParkedItem, IngestJournalEntry, Message, Conversation, Contact, WhatsappSession):
            connection.execute(delete(model))
        data = Dataset(connection)
        data.make_whatsapp_session(id=PHONE_NUMBER_ID, phone="+6281100000000", last_seen_at=T0)
        contact = data.make_contact(id="k-1", phone="+6281299990000")
        conversation = data.make_conversation(T0, contact=contact)
        for wamid in OUTBOUND:
            data.make_message(conversation, T0, sender="agent", status="queued", whatsapp_message_id=wamid, id=wamid)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


BODIES = [
    webhook(statuses_change(status("wamid.A", "sent", at=at(1)), status("wamid.B", "sent", at=at(1)))),
    webhook(statuses_change(status("wamid.A", "read", at=at(3)))),
    # Out of order, then a repeat: the message stays read, each time kept once.
    webhook(statuses_change(status("wamid.A", "delivered", at=at(2)))),
    webhook(statuses_change(status("wamid.A", "read", at=at(9)))),
    b"not json",
    webhook(statuses_change(failed_status("wamid.B", at=at(4)))),
    # A message not known yet: parked.
    webhook(statuses_change(status("wamid.C", "read", at=at(5)))),
    # Two statuses of one message in one body, one of a kind Pantau does not keep; older than the number's last
    # sighting, so that does not move.
    webhook(
        statuses_change(
            status("wamid.D", "delivered", at=at(0)),
            {**status("wamid.D", "read", at=at(0)), "status": "played"},
            status("wamid.D", "sent", at=at(0)),
        )
    ),
    # An inbound message and a number update stand between statuses.
    webhook(messages_change(inbound("wamid.IN", at=at(6)))),
    webhook(statuses_change(status("wamid.C", "delivered", at=at(5)))),
    webhook(quality_update_change(event="FLAGGED", limit="TIER_10K")),
    # New pricing on a repeat changes the message; a status of the inbound message applies to it.
    webhook(statuses_change(status("wamid.A", "read", at=at(10), category="marketing"))),
    webhook(statuses_change(status("wamid.IN", "read", at=at(7)), status("wamid.B", "delivered", at=at(8)))),
    webhook(statuses_change(status("wamid.B", "delivered", at=at(8)))),
]


def outcome_of(outcome: service.Outcome) -> tuple:
    if isinstance(outcome, service.Applied):
        return (outcome.state.value, outcome.summary, outcome.changed, outcome.touched, outcome.refusal is not None)
    return (type(outcome).__name__,)


def rows(engine) -> dict:
    """Everything the bodies may have written, without the ids the journal and the webhook draw."""
    return {
        "journal": [
            {key: value for key, value in entry.items() if key != "id"}
            for entry in table(engine, IngestJournalEntry, "id", "state", "error", "summary")
        ],
        "messages": table(
            engine,
            Message,
            "whatsapp_message_id",
            "direction",
            "status",
            "sent_at",
            "delivered_at",
            "read_at",
            "failed_at",
            "error_code",
            "error_title",
            "pricing_category",
            "billable",
            order_by=Message.__table__.c.whatsapp_message_id,
        ),
        "sessions": table(engine, WhatsappSession, "id", "last_seen_at", "quality_rating", "messaging_limit"),
        "contacts": table(engine, Contact, "phone_number", "name", order_by=Contact.__table__.c.phone_number),
        "parked": table(engine, ParkedItem, "waiting_id", "item", order_by=ParkedItem.__table__.c.id),
    }


def one_by_one(engine, bodies: list[bytes]) -> list[service.Outcome]:
    outcomes: list[service.Outcome] = []
    for body in bodies:
        try:
            outcomes.append(service.receive(engine, source=IngestSource.whatsapp, body=body, headers={}, now=NOW))
        except service.ApplyFailed as failed:
            outcomes.append(failed)
    return outcomes


def together(engine, bodies: list[bytes]) -> list[service.Outcome]:
    incoming = [service.Incoming(body=body, headers={}) for body in bodies]
    return service.receive_group(engine, source=IngestSource.whatsapp, bodies=incoming, now=NOW)


def test_bodies_received_together_answer_and_write_as_received_one_by_one(ingest_engine):
    fresh(ingest_engine)
    alone = [outcome_of(outcome) for outcome in one_by_one(ingest_engine, BODIES)]
    expected = rows(ingest_engine)
    fresh(ingest_engine)

    grouped = [outcome_of(outcome) for outcome in together(ingest_engine, BODIES)]

    assert grouped == alone
    assert rows(ingest_engine) == expected
    # What the rules give, so that both cannot be wrong alike.
    assert [entry["state"] for entry in expected["journal"]] == [
        "applied", "applied", "applied", "duplicate", "failed", "applied", "applied", "applied", "applied",
        "applied", "applied", "applied", "applied", "duplicate",
    ]  # fmt: skip
    by_wamid = {message["whatsapp_message_id"]: message for message in expected["messages"]}
    assert (by_wamid["wamid.A"]["status"], by_wamid["wamid.A"]["read_at"]) == ("read", at(3).astimezone(UTC))
    assert by_wamid["wamid.A"]["pricing_category"] == "marketing"
    assert (by_wamid["wamid.B"]["status"], by_wamid["wamid.B"]["error_code"]) == ("delivered", 131047)
    assert (by_wamid["wamid.D"]["status"], by_wamid["wamid.D"]["sent_at"]) == ("delivered", at(0).astimezone(UTC))
    assert by_wamid["wamid.IN"]["status"] == "read"
    assert [item["waiting_id"] for item in expected["parked"]] == ["wamid.C", "wamid.C"]
    assert expected["sessions"][0]["last_seen_at"] == at(10).astimezone(UTC)


def test_a_body_that_fails_takes_no_other_with_it(ingest_engine, dialect):
    if dialect != "postgresql":
        pytest.skip("SQLite does not hold a pricing category to its 50 characters")
    bodies = [
        webhook(statuses_change(status("wamid.A", "read", at=at(1)))),
        # Longer than the column: the database refuses the body's UPDATE.
        webhook(statuses_change(status("wamid.B", "read", at=at(1), category="x" * 60))),
        webhook(statuses_change(status("wamid.D", "read", at=at(1)))),
    ]
    fresh(ingest_engine)

    outcomes = together(ingest_engine, bodies)

    assert [outcome_of(outcome) for outcome in outcomes] == [
        ("applied", {"accepted": 1}, True, None, False),
        ("ApplyFailed",),
        ("applied", {"accepted": 1}, True, None, False),
    ]
    assert [entry["state"] for entry in rows(ingest_engine)["journal"]] == ["applied", "failed", "applied"]
    statuses = {
        message["whatsapp_message_id"]: message["status"]
        for message in rows(ingest_engine)["messages"]
        if message["whatsapp_message_id"] is not None
    }
    assert statuses == {"wamid.A": "read", "wamid.B": "queued", "wamid.D": "read"}


def test_requests_waiting_while_a_group_is_written_are_written_as_the_next_group():
    groups: list[list[int]] = []
    first_started = threading.Event()
    release_first = threading.Event()

    def write(items: list[int]) -> list[int]:
        groups.append(items)
        if len(groups) == 1:
            first_started.set()
            release_first.wait(10)
        return [item * 10 for item in items]

    async def main() -> list[int]:
        gate: GroupCommit[int, int] = GroupCommit(write, max_group=3)
        first = asyncio.ensure_future(gate.submit(0))
        await asyncio.to_thread(first_started.wait, 10)
        others = [asyncio.ensure_future(gate.submit(item)) for item in range(1, 6)]
        await asyncio.sleep(0)
        release_first.set()
        return await asyncio.gather(first, *others)

    answers = asyncio.run(main())

    assert answers == [0, 10, 20, 30, 40, 50]
    assert groups == [[0], [1, 2, 3], [4, 5]]


def test_a_group_whose_writing_raises_answers_each_of_its_requests_with_the_error():
    def write(items: list[int]) -> list[int]:
        raise RuntimeError("the database is gone")

    async def main() -> list:
        gate: GroupCommit[int, int] = GroupCommit(write, max_group=10)
        return await asyncio.gather(*(gate.submit(item) for item in range(3)), return_exceptions=True)

    answers = asyncio.run(main())

    assert [str(answer) for answer in answers] == ["the database is gone"] * 3
