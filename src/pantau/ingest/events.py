"""Applying the events API's events (SPEC §8.1), each by its type.

An event is checked (schemas), its id claimed (the same id again is a duplicate and changes nothing), its referents
looked up (one not known yet parks it), then applied through `rows`. A body's events that set no fact outright have
their ids claimed together, in one statement, before the first is applied (`claim_ids`); the others are claimed one
by one as they come, so that the watermarks an event is compared with are those of the events applied before it.
A body is applied without savepoints first; should the database refuse one of its events, it is applied again with
a savepoint per event (`ApplyContext.isolated`), claims included: a rejected event never sinks the good ones.

Facts never move backwards. Events that set a fact outright (an upsert, an assignment, resolving or reopening, a
rating, an intent) carry a watermark naming that fact; one older than an event already applied to the same fact
changes nothing (an upsert only fills what the row still lacks). The others are monotonic by themselves: a
conversation is opened once, an escalation keeps its first time, a delivery status only goes up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from pantau.ingest import rows
from pantau.ingest.context import ApplyContext, NeedsIsolation, Parked, Referent
from pantau.ingest.delivery import DeliveryReport, record_delivery
from pantau.ingest.locks import insert_all_unless_present, insert_unless_present
from pantau.ingest.schemas import (
    AgentStatusData,
    ConversationAssignedData,
    ConversationData,
    Event,
    EventRejected,
    EventResult,
    MessageCreatedData,
    MessageStatusData,
    check_event,
    event_id_of,
)
from pantau.models import IngestEvent
from pantau.models.enums import ConversationStatus, EventOutcome, IngestSource, ReferentKind

log = logging.getLogger("pantau.ingest")

_events = IngestEvent.__table__

Apply = Callable[[ApplyContext, Event, bool], rows.RowChange]

_SUPERSEDED = "a later change to the same fact was applied first and is kept (an upsert only fills what the row lacked)"


@dataclass(frozen=True)
class EventKind:
    """How one event type is applied: the rows it refers to, the fact it sets (if it sets one outright), and the
    write itself, told whether the event is older than the last one applied to that fact (`stale`)."""

    referents: Callable[[Any], list[Referent]]
    watermark: Callable[[Any], str | None]
    apply: Apply
    # The rows the event creates when they do not exist yet, as referents others may wait for.
    creates: Callable[[Any], list[Referent]] = lambda _data: []


def _given(*pairs: tuple[ReferentKind, str | None]) -> list[Referent]:
    return [(kind, key) for kind, key in pairs if key is not None]


def _none(_data: Any) -> list[Referent]:
    return []


def _no_watermark(_data: Any) -> None:
    return None


def _upsert(target: rows.RowTable, kind: ReferentKind | None = None) -> Apply:
    """Upsert into `target`; a new row is announced as a referent of `kind` (tickets and leads are nobody's)."""

    def apply(ctx: ApplyContext, event: Event, stale: bool) -> rows.RowChange:
        change = rows.upsert_row(
            ctx.connection, target, event.data.columns(), created_at=event.occurred_at, fill_only=stale
        )
        if change.created and kind is not None:
            ctx.created(kind, event.data.id)
        return change

    return apply


def _creates(kind: ReferentKind) -> Callable[[Any], list[Referent]]:
    return lambda data: [(kind, data.id)]


def _creates_message(data: MessageCreatedData) -> list[Referent]:
    return _given((ReferentKind.message, data.id), (ReferentKind.whatsapp_message, data.whatsapp_message_id))


def _row_watermark(event_type: str) -> Callable[[Any], str]:
    return lambda data: f"{event_type}:{data.id}"


def _open_conversation(ctx: ApplyContext, event: Event, _stale: bool) -> rows.RowChange:
    change = rows.open_conversation(ctx.connection, event.data.columns(), event.occurred_at)
    if change.created:
        ctx.created(ReferentKind.conversation, event.data.id)
    return change


def _unless_stale(write: Callable[[ApplyContext, Event], rows.RowChange]) -> Apply:
    def apply(ctx: ApplyContext, event: Event, stale: bool) -> rows.RowChange:
        return rows.UNCHANGED if stale else write(ctx, event)

    return apply


def _assign(ctx: ApplyContext, event: Event) -> rows.RowChange:
    data: ConversationAssignedData = event.data
    assignment = {name: value for name, value in data.columns().items() if name != "conversation_id"}
    return rows.assign_conversation(ctx.connection, data.conversation_id, assignment)


def _escalate(ctx: ApplyContext, event: Event, _stale: bool) -> rows.RowChange:
    return rows.escalate_conversation(ctx.connection, event.data.conversation_id, event.occurred_at)


def _finish(status: ConversationStatus) -> Callable[[ApplyContext, Event], rows.RowChange]:
    def write(ctx: ApplyContext, event: Event) -> rows.RowChange:
        return rows.finish_conversation(ctx.connection, event.data.conversation_id, status, event.occurred_at)

    return write


def _reopen(status: ConversationStatus) -> Callable[[ApplyContext, Event], rows.RowChange]:
    def write(ctx: ApplyContext, event: Event) -> rows.RowChange:
        return rows.reopen_conversation(ctx.connection, event.data.conversation_id, status)

    return write


def _set_column(name: str) -> Callable[[ApplyContext, Event], rows.RowChange]:
    def write(ctx: ApplyContext, event: Event) -> rows.RowChange:
        return rows.set_conversation_column(ctx.connection, event.data.conversation_id, name, getattr(event.data, name))

    return write


def _create_message(ctx: ApplyContext, event: Event, _stale: bool) -> rows.RowChange:
    data: MessageCreatedData = event.data
    change = rows.create_message(ctx.connection, data.columns(), event.occurred_at)
    if change.created:
        ctx.created(ReferentKind.message, data.id)
        if data.whatsapp_message_id is not None:
            ctx.created(ReferentKind.whatsapp_message, data.whatsapp_message_id)
    return change


# The events a run of new rows may hold (`new_rows`): they create a row each, set no fact outright, and change
# nothing but the row they create.
_RUN_TYPES = ("conversation.opened", "message.created")


def new_rows(ctx: ApplyContext, checked: list, claimed: dict[str, bool], start: int) -> list[Event]:
    """The `conversation.opened` and `message.created` events from `start` on that can be written together
    (`write_new_rows`): claimed ahead, every referent known or opened earlier in the run, the same columns given
    within each type, no id or wamid twice, and no new conversation something waits for (what waits for one is
    applied right after it, before the next event)."""
    run: list[Event] = []
    keys: set[tuple[str, str]] = set()
    opened: set[tuple[ReferentKind, str]] = set()
    first_columns: dict[str, Any] = {}
    for event in checked[start:]:
        if not isinstance(event, Event) or event.type not in _RUN_TYPES or not claimed.get(event.id):
            break
        data = event.data
        columns = data.columns().keys()
        if event.type == "conversation.opened":
            new_keys = {("conversation", data.id)}
            if ctx.awaited((ReferentKind.conversation, data.id)):
                break
        else:
            new_keys = {("message", data.id), ("wamid", data.whatsapp_message_id)} - {("wamid", None)}
        if keys & new_keys or not all(
            referent in opened or ctx.known([referent]) for referent in KINDS[event.type].referents(data)
        ):
            break
        if first_columns.setdefault(event.type, columns) != columns:
            break
        keys |= new_keys
        if event.type == "conversation.opened":
            opened.add((ReferentKind.conversation, data.id))
        run.append(event)
    return run


def write_new_rows(ctx: ApplyContext, run: list[Event]) -> Iterator[EventResult]:
    """Conversations and messages whose ids are claimed (the body applied without savepoints) and whose referents
    exist or are opened earlier in the run, as `_open_conversation` and `_create_message` write them one by one: the
    new conversations in one INSERT, then the new messages in one INSERT; a row that exists already then gets the
    details it lacks, as one by one. Each event's answer is given once its rows are announced, so the caller releases
    what waited for them before the next (nothing waits for the run's conversations; what waits for a message is its
    statuses, which change that message alone)."""
    for event in run:
        _touch(ctx, event)
    conversations = [event for event in run if event.type == "conversation.opened"]
    messages = [event for event in run if event.type == "message.created"]
    conversation_values = [event.data.columns() for event in conversations]
    message_values = [event.data.columns() for event in messages]
    try:
        created = rows.open_new_conversations(
            ctx.connection, conversation_values, [event.occurred_at for event in conversations]
        ) | rows.create_new_messages(ctx.connection, message_values, [event.occurred_at for event in messages])
    except IntegrityError as exc:
        # A wamid another message has: the body is applied again, event by event, each in a savepoint.
        raise NeedsIsolation from exc
    values = dict(zip(map(id, conversations + messages), conversation_values + message_values, strict=True))
    for event in run:
        if event.type == "conversation.opened":
            if (ReferentKind.conversation, event.data.id) in created:
                ctx.created(ReferentKind.conversation, event.data.id)
            else:
                ctx.note(rows.open_conversation(ctx.connection, values[id(event)], event.occurred_at))
        elif (ReferentKind.message, event.data.id) in created:
            ctx.created(ReferentKind.message, event.data.id)
            if event.data.whatsapp_message_id is not None:
                ctx.created(ReferentKind.whatsapp_message, event.data.whatsapp_message_id)
        else:
            try:
                ctx.note(rows.create_message(ctx.connection, values[id(event)], event.occurred_at))
            except IntegrityError as exc:
                raise NeedsIsolation from exc
        yield EventResult(id=event.id, outcome=EventOutcome.accepted)


def _message_status(ctx: ApplyContext, event: Event, _stale: bool) -> rows.RowChange:
    data: MessageStatusData = event.data
    message_id = data.message_id or rows.message_id_by_whatsapp_id(ctx.connection, data.whatsapp_message_id)
    report = DeliveryReport(
        status=data.status,
        at=event.occurred_at,
        error_code=data.error_code,
        error_title=data.error_title,
        pricing_category=data.pricing_category,
        billable=data.billable,
    )
    return rows.RowChange(changed=record_delivery(ctx.connection, message_id, report))


def _agent_status(ctx: ApplyContext, event: Event, _stale: bool) -> rows.RowChange:
    data: AgentStatusData = event.data
    return rows.record_agent_status(ctx.connection, data.agent_id, data.status, event.occurred_at)


def _conversation(data: ConversationData) -> list[Referent]:
    return [(ReferentKind.conversation, data.conversation_id)]


def _conversation_fact(fact: str) -> Callable[[Any], str]:
    return lambda data: f"conversation.{fact}:{data.conversation_id}"


def _message_referent(data: MessageStatusData) -> list[Referent]:
    if data.message_id is not None:
        return [(ReferentKind.message, data.message_id)]
    return [(ReferentKind.whatsapp_message, data.whatsapp_message_id)]


_lifecycle = _conversation_fact("lifecycle")

KINDS: dict[str, EventKind] = {
    "team.upserted": EventKind(
        _none, _row_watermark("team.upserted"), _upsert(rows.TEAMS, ReferentKind.team), _creates(ReferentKind.team)
    ),
    "user.upserted": EventKind(
        lambda d: _given((ReferentKind.team, d.team_id)),
        _row_watermark("user.upserted"),
        _upsert(rows.USERS, ReferentKind.user),
        _creates(ReferentKind.user),
    ),
    "contact.upserted": EventKind(
        _none,
        _row_watermark("contact.upserted"),
        _upsert(rows.CONTACTS, ReferentKind.contact),
        _creates(ReferentKind.contact),
    ),
    "whatsapp_session.upserted": EventKind(
        _none,
        _row_watermark("whatsapp_session.upserted"),
        _upsert(rows.WHATSAPP_SESSIONS, ReferentKind.whatsapp_session),
        _creates(ReferentKind.whatsapp_session),
    ),
    "broadcast.created": EventKind(
        lambda d: _given((ReferentKind.whatsapp_session, d.whatsapp_session_id)),
        _row_watermark("broadcast.created"),
        _upsert(rows.BROADCASTS, ReferentKind.broadcast),
        _creates(ReferentKind.broadcast),
    ),
    "ticket.upserted": EventKind(
        lambda d: _given(
            (ReferentKind.conversation, d.conversation_id),
            (ReferentKind.contact, d.contact_id),
            (ReferentKind.team, d.team_id),
            (ReferentKind.user, d.assigned_to),
        ),
        _row_watermark("ticket.upserted"),
        _upsert(rows.TICKETS),
    ),
    "lead.upserted": EventKind(
        lambda d: _given(
            (ReferentKind.contact, d.contact_id),
            (ReferentKind.conversation, d.conversation_id),
            (ReferentKind.broadcast, d.broadcast_id),
        ),
        _row_watermark("lead.upserted"),
        _upsert(rows.LEADS),
    ),
    "conversation.opened": EventKind(
        lambda d: _given(
            (ReferentKind.contact, d.contact_id),
            (ReferentKind.whatsapp_session, d.whatsapp_session_id),
            (ReferentKind.team, d.team_id),
            (ReferentKind.user, d.assigned_to),
            (ReferentKind.broadcast, d.broadcast_id),
        ),
        _no_watermark,
        _open_conversation,
        _creates(ReferentKind.conversation),
    ),
    "conversation.assigned": EventKind(
        lambda d: _given(
            (ReferentKind.conversation, d.conversation_id),
            (ReferentKind.team, d.team_id),
            (ReferentKind.user, d.assigned_to),
        ),
        _conversation_fact("assignment"),
        _unless_stale(_assign),
    ),
    "conversation.escalated": EventKind(_conversation, _no_watermark, _escalate),
    "conversation.resolved": EventKind(_conversation, _lifecycle, _unless_stale(_finish(ConversationStatus.resolved))),
    "conversation.closed": EventKind(_conversation, _lifecycle, _unless_stale(_finish(ConversationStatus.closed))),
    "conversation.reopened": EventKind(_conversation, _lifecycle, _unless_stale(_reopen(ConversationStatus.open))),
    "conversation.pending": EventKind(_conversation, _lifecycle, _unless_stale(_reopen(ConversationStatus.pending))),
    "conversation.rated": EventKind(
        _conversation, _conversation_fact("rating"), _unless_stale(_set_column("csat_score"))
    ),
    "conversation.intent": EventKind(_conversation, _conversation_fact("intent"), _unless_stale(_set_column("intent"))),
    "message.created": EventKind(
        lambda d: _given(
            (ReferentKind.conversation, d.conversation_id),
            (ReferentKind.user, d.sender_id),
            (ReferentKind.broadcast, d.broadcast_id),
        ),
        _no_watermark,
        _create_message,
        _creates_message,
    ),
    "message.status": EventKind(_message_referent, _no_watermark, _message_status),
    "agent.status": EventKind(lambda d: [(ReferentKind.user, d.agent_id)], _no_watermark, _agent_status),
}


def _is_stale(ctx: ApplyContext, event: Event, watermark: str | None) -> bool:
    """An event applied before to the same fact happened later than this one."""
    if watermark is None:
        return False
    return bool(
        ctx.connection.execute(
            select(
                exists().where(
                    _events.c.watermark == watermark,
                    _events.c.outcome == EventOutcome.accepted,
                    _events.c.occurred_at > event.occurred_at,
                )
            )
        ).scalar()
    )


def _apply_claimed(ctx: ApplyContext, event: Event, raw: dict, *, was_parked: bool) -> EventResult:
    """Apply an event whose id is claimed (recorded as accepted, or as parked when `was_parked`): park it if a
    referent is missing, else write it."""
    kind = KINDS[event.type]
    missing = ctx.missing(kind.referents(event.data))
    if missing is not None:
        ctx.park(missing, raw, event.occurred_at, source=IngestSource.events, event_id=event.id)
        if not was_parked:
            _set_outcome(ctx, event.id, EventOutcome.parked)
        return EventResult(
            id=event.id, outcome=EventOutcome.parked, reason=f"waiting for {missing[0].value} {missing[1]}"
        )
    stale = _is_stale(ctx, event, kind.watermark(event.data))
    _touch(ctx, event)
    ctx.note(kind.apply(ctx, event, stale))
    if was_parked:
        _set_outcome(ctx, event.id, EventOutcome.accepted)
    return EventResult(id=event.id, outcome=EventOutcome.accepted, reason=_SUPERSEDED if stale else None)


def touched_conversations(events: list[Event]) -> list[str]:
    """The conversations the events would touch (`_touch`)."""
    return [conversation_id for event in events if (conversation_id := _touched_conversation(event)) is not None]


def _touched_conversation(event: Event) -> str | None:
    if event.type == "conversation.opened":
        return event.data.id
    if event.type.startswith("conversation.") or event.type == "message.created":
        return event.data.conversation_id
    return None


def _touch(ctx: ApplyContext, event: Event) -> None:
    """Name who the event's change concerns, for the live dashboard: a conversation's scopes (and a message's sender),
    or everyone for rows not tied to one conversation (teams, people, tickets, statuses...)."""
    if event.type == "conversation.opened":
        ctx.touch_conversation(event.data.id)
    elif event.type.startswith("conversation."):
        ctx.touch_conversation(event.data.conversation_id)
    elif event.type == "message.created":
        ctx.touch_conversation(event.data.conversation_id)
        if event.data.sender_id is not None:
            ctx.touch_person(event.data.sender_id)
    else:
        ctx.touch_everything()


def _set_outcome(ctx: ApplyContext, event_id: str, outcome: EventOutcome) -> None:
    ctx.connection.execute(update(_events).where(_events.c.id == event_id).values(outcome=outcome))


def _conflict_reason(exc: IntegrityError) -> str:
    """What an integrity error means for the sender, without the database's own words (they may quote values)."""
    text = str(exc.orig).lower()
    if "email" in text:
        return "data.email: another user already has this e-mail address"
    if "whatsapp_message_id" in text:
        return "data.whatsappMessageId: another message already has this WhatsApp message id"
    return "data: the row conflicts with what the database holds (a unique value or a check)"


def check(raw: object) -> Event | EventResult:
    """The event checked, or its answer (rejected, with the reason naming the field)."""
    try:
        return check_event(raw)
    except EventRejected as exc:
        return EventResult(id=event_id_of(raw), outcome=EventOutcome.rejected, reason=exc.reason)


def _claim_row(ctx: ApplyContext, event: Event) -> dict:
    return {
        "id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": ctx.now,
        "journal_id": ctx.journal_id,
        "outcome": EventOutcome.accepted,
        "watermark": KINDS[event.type].watermark(event.data),
    }


def claim_ids(ctx: ApplyContext, events: list[Event]) -> dict[str, bool]:
    """Claim, in one statement, the ids of the body's events that set no fact outright: id -> claimed now (False:
    received before, a duplicate). The others are left to be claimed one by one (their watermarks are compared with
    the events applied before them only). Nothing is claimed ahead when the body is applied with a savepoint per
    event (a claim belongs in its event's savepoint), nor when an id comes twice in the body (whether the second is
    a duplicate depends on what became of the first)."""
    ids = [event.id for event in events]
    if ctx.isolated or len(set(ids)) != len(ids):
        return {}
    ahead = sorted((event for event in events if KINDS[event.type].watermark(event.data) is None), key=_event_id)
    if not ahead:
        return {}
    # In the ids' order, so that two bodies claiming some of the same ids wait for each other instead of deadlocking.
    claimed = insert_all_unless_present(ctx.connection, _events, [_claim_row(ctx, event) for event in ahead], "id")
    return {event.id: event.id in claimed for event in ahead}


def _event_id(event: Event) -> str:
    return event.id


def referents(events: list[Event]) -> list[Referent]:
    """The referents the events refer to."""
    return [referent for event in events for referent in KINDS[event.type].referents(event.data)]


def creates(events: list[Event]) -> list[Referent]:
    """The referents the events would create (the rows others may be waiting for)."""
    return [referent for event in events for referent in KINDS[event.type].creates(event.data)]


def apply_checked(ctx: ApplyContext, event: Event, raw: object, claimed: bool | None = None) -> EventResult:
    """A checked event: claimed by its id (unless `claim_ids` did: `claimed` tells what it found), then parked or
    applied."""
    try:
        with _isolated(ctx):
            if claimed is None:
                claimed = insert_unless_present(ctx.connection, _events, _claim_row(ctx, event), ["id"])
            if not claimed:
                return EventResult(id=event.id, outcome=EventOutcome.duplicate, reason="this id was received before")
            return _apply_claimed(ctx, event, raw, was_parked=False)
    except rows.MissingColumn as exc:
        if not ctx.isolated:
            # Refused before writing its row: only its id's claim is to be taken back.
            ctx.connection.execute(delete(_events).where(_events.c.id == event.id))
        return EventResult(id=event.id, outcome=EventOutcome.rejected, reason=f"data.{_camel(str(exc))}")
    except IntegrityError as exc:
        if not ctx.isolated:
            raise NeedsIsolation from exc
        return EventResult(id=event.id, outcome=EventOutcome.rejected, reason=_conflict_reason(exc))


def _isolated(ctx: ApplyContext) -> AbstractContextManager:
    return ctx.connection.begin_nested() if ctx.isolated else nullcontext()


def apply_parked_event(ctx: ApplyContext, parked: Parked) -> EventResult:
    """A parked event whose referent arrived: applied (or parked again, on another referent). Should it now be
    refused (a conflict), its id is released, so the sender can send it again."""
    try:
        event = check_event(parked.item)
        with _isolated(ctx):
            return _apply_claimed(ctx, event, parked.item, was_parked=True)
    except EventRejected as exc:
        reason = exc.reason
    except rows.MissingColumn as exc:
        reason = f"data.{_camel(str(exc))}"
    except IntegrityError as exc:
        if not ctx.isolated:
            raise NeedsIsolation from exc
        reason = _conflict_reason(exc)
    ctx.connection.execute(delete(_events).where(_events.c.id == parked.event_id))
    log.warning("parked event %s refused once its referent arrived: %s", parked.event_id, reason)
    return EventResult(id=parked.event_id, outcome=EventOutcome.rejected, reason=reason)


def _camel(message: str) -> str:
    """`full_name: required ...` -> `fullName: required ...` (the sender's names)."""
    column, sep, rest = message.partition(":")
    head, *tail = column.split("_")
    return head + "".join(part.title() for part in tail) + sep + rest
