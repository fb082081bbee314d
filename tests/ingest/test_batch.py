"""A body of events is applied with what can be asked once asked once (every event checked, the ids of those that set
no fact outright claimed in one statement, the rows it may create locked and looked up for parked items), and answers
exactly as the same events applied one by one: the same outcomes and reasons, in order, and the same rows.

The one-by-one path here is the loop events were applied by before: each event checked, claimed and applied in turn,
then what its rows released, on a fresh context (nothing claimed or looked up ahead). It runs in a transaction that
is rolled back; then the same body goes through the service, which commits it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, select

from pantau.ingest import service
from pantau.ingest.apply import _Batch, release_parked
from pantau.ingest.context import ApplyContext
from pantau.ingest.events import apply_checked, check
from pantau.ingest.schemas import EventResult
from pantau.models import Conversation, IngestEvent, Message, ParkedItem, User
from pantau.models.enums import IngestSource, ScopeType
from tests.ingest.payloads import event
from tests.support.builders import local

pytestmark = pytest.mark.commits

T0 = local("2026-03-02 09:00")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SUPERSEDED = "a later change to the same fact was applied first and is kept (an upsert only fills what the row lacked)"


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def message(event_id: str, minutes: float, message_id: str, conversation_id: str, **data) -> dict:
    return event(
        event_id,
        "message.created",
        at(minutes),
        id=message_id,
        conversationId=conversation_id,
        direction=data.pop("direction", "outbound"),
        senderType=data.pop("senderType", "bot"),
        **data,
    )


# Applied and committed first: what the body's duplicates, stale events and parked items refer to.
EARLIER = [
    event("e-contact", "contact.upserted", at(0), id="k-1", phoneNumber="+6281234567890", name="Sari"),
    event("e-open-1", "conversation.opened", at(0), id="c-1", contactId="k-1"),
    message("e-m1", 1, "m-1", "c-1", whatsappMessageId="wamid.M1", status="queued"),
    event("e-intent", "conversation.intent", at(30), conversationId="c-1", intent="billing"),
    # Parked on a message the body creates: released by it, though nothing in the body mentions it.
    event("e-m2-delivered", "message.status", at(5), messageId="m-2", status="delivered"),
    event("e-user", "user.upserted", at(0), id="u-1", email="ana@example.test", fullName="Ana", role="agent"),
    event("e-assign-1", "conversation.assigned", at(35), conversationId="c-1", assignedTo="u-1"),
]

MIX = [
    event("e-contact", "contact.upserted", at(0), id="k-1", phoneNumber="+6281234567890", name="Sari"),
    event("e-open-2", "conversation.opened", at(2), id="c-2", contactId="k-1"),
    message("e-m2", 3, "m-2", "c-2", whatsappMessageId="wamid.M2", status="queued"),
    event("e-intent-old", "conversation.intent", at(10), conversationId="c-1", intent="shipping"),
    {"id": "e-no-time", "type": "team.upserted", "data": {"id": "t-1", "name": "Sales"}},
    event("e-no-name", "user.upserted", at(0), id="u-2", email="budi@example.test", role="agent"),
    message("e-m3", 4, "m-3", "c-3", direction="inbound", senderType="customer"),
    message("e-m4", 4, "m-4", "c-1", direction="inbound", senderType="customer"),
    event("e-open-3", "conversation.opened", at(3), id="c-3", contactId="k-1"),
    event("e-m1-read", "message.status", at(20), whatsappMessageId="wamid.M1", status="read"),
    message("e-m1-again", 1, "m-1", "c-1", whatsappMessageId="wamid.M1", status="queued"),
    event("e-m5", "message.status", at(6), messageId="m-5", status="sent"),
]

MIX_OUTCOMES = [
    ("e-contact", "duplicate", "this id was received before"),
    ("e-open-2", "accepted", None),
    ("e-m2", "accepted", None),
    ("e-intent-old", "accepted", SUPERSEDED),
    ("e-no-time", "rejected", "occurredAt: Field required"),
    ("e-no-name", "rejected", "data.fullName: required to create user u-2"),
    ("e-m3", "accepted", None),  # parked on c-3, released by e-open-3 in the same body
    ("e-m4", "accepted", None),
    ("e-open-3", "accepted", None),
    ("e-m1-read", "accepted", None),
    ("e-m1-again", "accepted", None),
    ("e-m5", "parked", "waiting for message m-5"),
]

# The database refuses one event (an e-mail another user has): the body is applied again with a savepoint per event.
CONFLICT = [
    event("e-open-4", "conversation.opened", at(2), id="c-4", contactId="k-1"),
    event("e-taken", "user.upserted", at(0), id="u-3", email="ana@example.test", fullName="Another", role="agent"),
    message("e-m6", 3, "m-6", "c-4"),
    event("e-open-1", "conversation.opened", at(0), id="c-1", contactId="k-1"),
]

CONFLICT_OUTCOMES = [
    ("e-open-4", "accepted", None),
    ("e-taken", "rejected", "data.email: another user already has this e-mail address"),
    ("e-m6", "accepted", None),
    ("e-open-1", "duplicate", "this id was received before"),
]

# New messages written together, one of which has a wamid another message has.
WAMID_TAKEN = [
    message("e-m9", 3, "m-9", "c-1", whatsappMessageId="wamid.M9"),
    message("e-m10", 3, "m-10", "c-1", whatsappMessageId="wamid.M1"),
    message("e-m11", 4, "m-11", "c-1", whatsappMessageId="wamid.M11"),
]

WAMID_TAKEN_OUTCOMES = [
    ("e-m9", "accepted", None),
    ("e-m10", "rejected", "data.whatsappMessageId: another message already has this WhatsApp message id"),
    ("e-m11", "accepted", None),
]

# A conversation handed from an agent to nobody: the agent's figures change too, though nobody has it afterwards.
UNASSIGNED = [
    event("e-assign-2", "conversation.assigned", at(40), conversationId="c-1", assignedTo=None),
    message("e-m12", 41, "m-12", "c-1"),
    event("e-open-6", "conversation.opened", at(2), id="c-6", contactId="k-1"),
]

UNASSIGNED_OUTCOMES = [("e-assign-2", "accepted", None), ("e-m12", "accepted", None), ("e-open-6", "accepted", None)]

# An id twice in one body: the first is applied, the second is a duplicate of it.
REPEATED = [
    message("e-m7", 3, "m-7", "c-1"),
    message("e-m7", 4, "m-8", "c-1"),
    event("e-open-5", "conversation.opened", at(2), id="c-5", contactId="k-1"),
]

REPEATED_OUTCOMES = [
    ("e-m7", "accepted", None),
    ("e-m7", "duplicate", "this id was received before"),
    ("e-open-5", "accepted", None),
]


def rows(connection: Connection) -> dict[str, list[tuple]]:
    """What applying a body leaves behind, for comparing two ways of applying it."""
    conversations, messages, events = Conversation.__table__, Message.__table__, IngestEvent.__table__
    parked, users = ParkedItem.__table__, User.__table__
    queries = {
        "conversations": select(conversations.c.id, conversations.c.status, conversations.c.intent).order_by(
            conversations.c.id
        ),
        "messages": select(
            messages.c.id,
            messages.c.conversation_id,
            messages.c.status,
            messages.c.whatsapp_message_id,
            messages.c.delivered_at,
            messages.c.read_at,
            messages.c.created_at,
        ).order_by(messages.c.id),
        "event ids": select(events.c.id, events.c.type, events.c.outcome, events.c.watermark).order_by(events.c.id),
        "parked": select(parked.c.waiting_kind, parked.c.waiting_id, parked.c.event_id).order_by(parked.c.event_id),
        "users": select(users.c.id, users.c.email).order_by(users.c.id),
    }
    return {name: [tuple(row) for row in connection.execute(query)] for name, query in queries.items()}


def one_by_one(engine, events: list[dict], *, isolated: bool) -> tuple[list[EventResult], dict, object]:
    """The body applied event after event, in a transaction rolled back afterwards: its answers, its rows and the
    scopes it touched (None: every scope)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        ctx = ApplyContext(connection, source=IngestSource.events, now=NOW, journal_id=None, isolated=isolated)
        batch = _Batch(ctx)
        for raw in events:
            checked = check(raw)
            batch.add(checked if isinstance(checked, EventResult) else apply_checked(ctx, checked, raw))
            release_parked(ctx, batch)
        left = rows(connection)
        touched = ctx.touched() if ctx.changed else frozenset()
        transaction.rollback()
    return batch.results, left, touched


def received(engine, events: list[dict]) -> tuple[list[EventResult], dict, object]:
    """The body through the service, as the events API applies it (committed): its answers, rows and scopes."""
    body = json.dumps({"events": events}).encode()
    applied = service.receive(engine, source=IngestSource.events, body=body, headers={}, now=NOW)
    with engine.connect() as connection:
        return applied.results, rows(connection), applied.touched


def answers(results: list[EventResult]) -> list[tuple]:
    return [(result.id, result.outcome.value, result.reason) for result in results]


@pytest.mark.parametrize(
    ("events", "outcomes", "isolated"),
    [
        pytest.param(MIX, MIX_OUTCOMES, False, id="new-duplicate-stale-malformed-parked-released"),
        pytest.param(CONFLICT, CONFLICT_OUTCOMES, True, id="an-event-the-database-refuses"),
        pytest.param(WAMID_TAKEN, WAMID_TAKEN_OUTCOMES, True, id="a-new-message-the-database-refuses"),
        pytest.param(UNASSIGNED, UNASSIGNED_OUTCOMES, False, id="a-conversation-unassigned"),
        pytest.param(REPEATED, REPEATED_OUTCOMES, False, id="an-id-twice-in-the-body"),
    ],
)
def test_a_body_answers_and_writes_as_its_events_applied_one_by_one(ingest_engine, events, outcomes, isolated):
    earlier = received(ingest_engine, EARLIER)[0]
    assert answers(earlier)[-3:] == [
        ("e-m2-delivered", "parked", "waiting for message m-2"),
        ("e-user", "accepted", None),
        ("e-assign-1", "accepted", None),
    ]

    expected_results, expected_rows, expected_touched = one_by_one(ingest_engine, events, isolated=isolated)
    results, left, touched = received(ingest_engine, events)

    assert answers(results) == outcomes
    assert answers(expected_results) == outcomes
    assert left == expected_rows
    assert touched == expected_touched


def test_an_unassigned_conversation_touches_the_agent_it_was_assigned_to(ingest_engine):
    received(ingest_engine, EARLIER)

    touched = received(ingest_engine, UNASSIGNED)[2]

    assert touched == {(ScopeType.org, ""), (ScopeType.agent, "u-1")}


def test_the_mix_leaves_each_fact_where_the_rules_put_it(ingest_engine):
    received(ingest_engine, EARLIER)

    left = received(ingest_engine, MIX)[1]

    m = {row[0]: row for row in left["messages"]}
    delivered, read = at(5).astimezone(UTC), at(20).astimezone(UTC)
    assert [(row[0], row[2], row[4], row[5]) for row in left["messages"]] == [
        ("m-1", "read", None, read),
        ("m-2", "delivered", delivered, None),  # the status parked before the body, released by it
        ("m-3", None, None, None),
        ("m-4", None, None, None),
    ]
    assert m["m-3"][1] == "c-3"
    assert left["conversations"] == [("c-1", "open", "billing"), ("c-2", "open", None), ("c-3", "open", None)]
    assert left["parked"] == [("message", "m-5", "e-m5")]
    assert [(row[0], row[2]) for row in left["event ids"]] == [
        ("e-assign-1", "accepted"),
        ("e-contact", "accepted"),
        ("e-intent", "accepted"),
        ("e-intent-old", "accepted"),
        ("e-m1", "accepted"),
        ("e-m1-again", "accepted"),
        ("e-m1-read", "accepted"),
        ("e-m2", "accepted"),
        ("e-m2-delivered", "accepted"),
        ("e-m3", "accepted"),
        ("e-m4", "accepted"),
        ("e-m5", "parked"),
        ("e-open-1", "accepted"),
        ("e-open-2", "accepted"),
        ("e-open-3", "accepted"),
        ("e-user", "accepted"),
    ]


# Conversations opened and their messages, written together as far as nothing waits for them: c-7 has an event
# parked on it (committed before the body) for a message the body creates too, so what it releases is applied
# before the body's own message, as one by one; c-1 exists already and only gets what it lacked.
WAITING_ON_C7 = [message("e-m16-early", 5, "m-16", "c-7", direction="inbound", senderType="customer")]

RUN = [
    event("e-open-8", "conversation.opened", at(2), id="c-8", contactId="k-1", handledByBot=True),
    message("e-m14", 3, "m-14", "c-8", direction="inbound", senderType="customer"),
    message("e-m15", 4, "m-15", "c-8"),
    event("e-open-7", "conversation.opened", at(4), id="c-7", contactId="k-1", handledByBot=True),
    message("e-m16", 6, "m-16", "c-7"),
    event("e-open-1-again", "conversation.opened", at(0), id="c-1", contactId="k-1", handledByBot=True),
    message("e-m17", 7, "m-17", "c-1"),
]

RUN_OUTCOMES = [
    ("e-open-8", "accepted", None),
    ("e-m14", "accepted", None),
    ("e-m15", "accepted", None),
    ("e-open-7", "accepted", None),
    ("e-m16", "accepted", None),
    ("e-open-1-again", "accepted", None),
    ("e-m17", "accepted", None),
]


def test_conversations_and_messages_written_together_answer_and_write_as_one_by_one(ingest_engine):
    received(ingest_engine, EARLIER)
    assert answers(received(ingest_engine, WAITING_ON_C7)[0]) == [
        ("e-m16-early", "parked", "waiting for conversation c-7")
    ]

    expected_results, expected_rows, expected_touched = one_by_one(ingest_engine, RUN, isolated=False)
    results, left, touched = received(ingest_engine, RUN)

    assert answers(results) == RUN_OUTCOMES
    assert answers(expected_results) == RUN_OUTCOMES
    assert left == expected_rows
    assert touched == expected_touched
    conversations = Conversation.__table__
    with ingest_engine.connect() as connection:
        bots = connection.execute(
            select(conversations.c.id, conversations.c.handled_by_bot).order_by(conversations.c.id)
        ).all()
    assert [tuple(row) for row in bots] == [("c-1", True), ("c-7", True), ("c-8", True)]
    m16 = next(row for row in left["messages"] if row[0] == "m-16")
    # Created by the event released first (at 5); the body's own (at 6) found it there.
    assert (m16[1], m16[6]) == ("c-7", at(5).astimezone(UTC))
