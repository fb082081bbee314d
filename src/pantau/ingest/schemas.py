"""What the events API accepts (SPEC §8.1): the envelope {id, type, occurredAt, data} and each type's `data`, whose
keys are the data contract's columns in camelCase. Checked here without the database; a bad event gets a reason that
names its field.

The data models also take the columns' own snake_case names, so a CSV import of the same tables can check its rows
with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from pantau.models.enums import (
    AgentStatus,
    DeliveryStatus,
    Direction,
    EventOutcome,
    LeadStatus,
    QualityRating,
    Role,
    SenderType,
    SessionStatus,
    TicketPriority,
    TicketStatus,
)

MAX_EVENTS_PER_BATCH = 1000
TIME_EXAMPLE = "2026-03-02T09:00:00+07:00"


def _moment(value: object) -> datetime:
    """An instant from ISO 8601 text that carries its offset (`Z` or `+07:00`); a time without one is ambiguous."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time; write it like {TIME_EXAMPLE}") from None
    else:
        raise ValueError(f"a time is ISO 8601 text, like {TIME_EXAMPLE}")
    if parsed.tzinfo is None:
        raise ValueError(f"the time has no offset; write it like {TIME_EXAMPLE} (or with Z for UTC)")
    return parsed.astimezone(UTC)


def _email(value: object) -> object:
    if isinstance(value, str) and "@" not in value:
        raise ValueError("not an e-mail address")
    return value


Moment = Annotated[datetime, BeforeValidator(_moment)]
# Text as long as its column.
Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(max_length=200)]
Email = Annotated[str, StringConstraints(max_length=320), BeforeValidator(_email)]
Phone = Annotated[str, StringConstraints(max_length=32)]
Label = Annotated[str, StringConstraints(max_length=100)]  # a tag, an intent
WhatsappMessageId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
ErrorTitle = Annotated[str, StringConstraints(max_length=500)]
PricingCategory = Annotated[str, StringConstraints(max_length=50)]


class _Data(BaseModel):
    """Keys in camelCase (or the column's own name); unknown keys are refused, so a misspelt one is not lost."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="forbid")

    def columns(self) -> dict[str, Any]:
        """The keys the sender gave, by column name (an explicit null clears the column)."""
        return self.model_dump(exclude_unset=True)


class TeamData(_Data):
    id: Id
    name: Name | None = None


class UserData(_Data):
    id: Id
    email: Email | None = None
    full_name: Name | None = None
    role: Role | None = None
    team_id: Id | None = None
    is_active: bool | None = None
    created_at: Moment | None = None


class ContactData(_Data):
    id: Id
    phone_number: Phone | None = None
    name: Name | None = None
    tags: list[Label] | None = None
    created_at: Moment | None = None


class WhatsappSessionData(_Data):
    id: Id
    phone_number: Phone | None = None
    display_name: Name | None = None
    status: SessionStatus | None = None
    quality_rating: QualityRating | None = None
    messaging_limit: Annotated[int, Field(ge=0)] | None = None
    last_seen_at: Moment | None = None


class BroadcastData(_Data):
    id: Id
    name: Name | None = None
    whatsapp_session_id: Id | None = None
    template_name: Name | None = None
    created_at: Moment | None = None


class TicketData(_Data):
    id: Id
    conversation_id: Id | None = None
    contact_id: Id | None = None
    team_id: Id | None = None
    assigned_to: Id | None = None
    priority: TicketPriority | None = None
    status: TicketStatus | None = None
    created_at: Moment | None = None
    resolved_at: Moment | None = None
    closed_at: Moment | None = None


class LeadData(_Data):
    id: Id
    contact_id: Id | None = None
    conversation_id: Id | None = None
    broadcast_id: Id | None = None
    status: LeadStatus | None = None
    value: Annotated[Decimal, Field(max_digits=14, decimal_places=2)] | None = None
    created_at: Moment | None = None
    won_at: Moment | None = None


class ConversationOpenedData(_Data):
    id: Id
    contact_id: Id
    whatsapp_session_id: Id | None = None
    team_id: Id | None = None
    assigned_to: Id | None = None
    handled_by_bot: bool | None = None
    intent: Label | None = None
    broadcast_id: Id | None = None


class ConversationAssignedData(_Data):
    conversation_id: Id
    team_id: Id | None = None
    assigned_to: Id | None = None

    @model_validator(mode="after")
    def _says_something(self) -> ConversationAssignedData:
        if not {"team_id", "assigned_to"} & self.model_fields_set:
            raise ValueError("give teamId, assignedTo or both (null unassigns)")
        return self


class ConversationData(_Data):
    conversation_id: Id


class ConversationRatedData(_Data):
    conversation_id: Id
    csat_score: Annotated[int, Field(ge=1, le=5)]


class ConversationIntentData(_Data):
    conversation_id: Id
    intent: Label


class MessageCreatedData(_Data):
    id: Id
    conversation_id: Id
    direction: Direction
    sender_type: SenderType
    sender_id: Id | None = None
    whatsapp_message_id: WhatsappMessageId | None = None
    broadcast_id: Id | None = None
    is_auto_reply: bool | None = None
    status: DeliveryStatus | None = None
    sent_at: Moment | None = None
    delivered_at: Moment | None = None
    read_at: Moment | None = None
    failed_at: Moment | None = None
    error_code: int | None = None
    error_title: ErrorTitle | None = None
    pricing_category: PricingCategory | None = None
    billable: bool | None = None

    @model_validator(mode="after")
    def _direction_matches_sender(self) -> MessageCreatedData:
        if self.sender_type is SenderType.customer and self.direction is not Direction.inbound:
            raise ValueError("direction: a customer's message is inbound")
        if self.sender_type in (SenderType.agent, SenderType.bot) and self.direction is not Direction.outbound:
            raise ValueError(f"direction: a message from the {self.sender_type.value} is outbound")
        return self


class MessageStatusData(_Data):
    whatsapp_message_id: WhatsappMessageId | None = None
    message_id: Id | None = None
    status: DeliveryStatus
    error_code: int | None = None
    error_title: ErrorTitle | None = None
    pricing_category: PricingCategory | None = None
    billable: bool | None = None

    @model_validator(mode="after")
    def _names_one_message(self) -> MessageStatusData:
        if (self.whatsapp_message_id is None) == (self.message_id is None):
            raise ValueError("give either whatsappMessageId or messageId")
        return self


class AgentStatusData(_Data):
    agent_id: Id
    status: AgentStatus


DATA_MODELS: dict[str, type[_Data]] = {
    "team.upserted": TeamData,
    "user.upserted": UserData,
    "contact.upserted": ContactData,
    "whatsapp_session.upserted": WhatsappSessionData,
    "broadcast.created": BroadcastData,
    "ticket.upserted": TicketData,
    "lead.upserted": LeadData,
    "conversation.opened": ConversationOpenedData,
    "conversation.assigned": ConversationAssignedData,
    "conversation.escalated": ConversationData,
    "conversation.resolved": ConversationData,
    "conversation.closed": ConversationData,
    "conversation.reopened": ConversationData,
    "conversation.pending": ConversationData,
    "conversation.rated": ConversationRatedData,
    "conversation.intent": ConversationIntentData,
    "message.created": MessageCreatedData,
    "message.status": MessageStatusData,
    "agent.status": AgentStatusData,
}
EVENT_TYPES = tuple(DATA_MODELS)

# Keys a sender might try that ingest never takes, with the reason why.
_REFUSED_KEYS = {
    "passwordHash": "passwords are never sent through ingest; users set theirs with `pantau user set-password`",
    "password": "passwords are never sent through ingest; users set theirs with `pantau user set-password`",
}


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    type: str
    occurred_at: Moment = Field(alias="occurredAt")
    data: dict[str, Any]


@dataclass(frozen=True)
class Event:
    """A checked event: its data is the type's model."""

    id: str
    type: str
    occurred_at: datetime
    data: _Data


class EventRejected(ValueError):
    """The event cannot be applied; `reason` names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _location(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in parts) or "event"


def reason_for(error: ValidationError, prefix: tuple[str, ...] = ()) -> str:
    """The first problem, as `field: message`."""
    first = error.errors()[0]
    location = prefix + tuple(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = _REFUSED_KEYS.get(str(location[-1]), "not a field of this event")
    # A model-level rule says which field it is about (`direction: ...`).
    field, sep, rest = message.partition(": ")
    if not first["loc"] and sep and " " not in field:
        return f"{_location(location + (field,))}: {rest}"
    return f"{_location(location)}: {message}"


def event_id_of(raw: object) -> str | None:
    """The sender's id as the answer echoes it (null when there is none to echo)."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return raw["id"]
    return None


def check_event(raw: object) -> Event:
    """The event, checked; raises EventRejected with a reason naming the field."""
    if not isinstance(raw, dict):
        raise EventRejected("event: must be an object {id, type, occurredAt, data}")
    try:
        envelope = _Envelope.model_validate(raw)
    except ValidationError as exc:
        raise EventRejected(reason_for(exc)) from None
    model = DATA_MODELS.get(envelope.type)
    if model is None:
        raise EventRejected(f"type: unknown event type {envelope.type!r}; use one of {', '.join(EVENT_TYPES)}")
    try:
        data = model.model_validate(envelope.data)
    except ValidationError as exc:
        raise EventRejected(reason_for(exc, ("data",))) from None
    return Event(id=envelope.id, type=envelope.type, occurred_at=envelope.occurred_at, data=data)


class EventResult(BaseModel):
    id: str | None = Field(description="The event's id as sent (null when it had none).")
    outcome: EventOutcome
    reason: str | None = Field(None, description="Why it was rejected or parked, or what it changed nothing for.")


class EventsResponse(BaseModel):
    results: list[EventResult] = Field(description="One per event, in the order they were sent.")


class EventIn(BaseModel):
    """One event: `data` holds the row's columns in camelCase (docs/ingest.md lists them per type)."""

    id: str = Field(max_length=100, description="The sender's idempotency key: the same id again changes nothing.")
    type: Literal[EVENT_TYPES]
    occurred_at: datetime = Field(alias="occurredAt", description=f"ISO 8601 with its offset, like {TIME_EXAMPLE}.")
    data: dict[str, Any]


class EventsRequest(BaseModel):
    """A batch of at most 1,000 events, applied in order."""

    events: list[EventIn] = Field(max_length=MAX_EVENTS_PER_BATCH)


class WebhookAnswer(BaseModel):
    state: Literal["applied", "duplicate", "failed", "received"]
