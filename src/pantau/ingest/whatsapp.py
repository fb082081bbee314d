"""The WhatsApp Cloud API webhook's bodies (SPEC §8.1), as Meta sends them: signature, envelope, and applying each
change.

    {"object": "whatsapp_business_account",
     "entry": [{"id": "<WABA id>", "changes": [{"field": "messages", "value": {
         "messaging_product": "whatsapp",
         "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
         "contacts": [{"wa_id": "6281234567890", "profile": {"name": "Sari"}}],
         "messages": [{"from": "6281234567890", "id": "wamid...", "timestamp": "1772420400", "type": "text", ...}],
         "statuses": [{"id": "wamid...", "status": "delivered", "timestamp": "1772420460",
                       "recipient_id": "6281234567890", "conversation": {...},
                       "pricing": {"billable": true, "pricing_model": "CBP", "category": "utility"},
                       "errors": [{"code": 131047, "title": "...", "message": "...", "error_data": {...}}]}]}}]}]}

`phone_number_quality_update` changes carry the number's messaging limit (`max_daily_conversations_per_business`,
formerly `current_limit`, as TIER_250, TIER_1K, ..., TIER_UNLIMITED) and an `event` (FLAGGED: its quality rating
dropped to low); `account_update` changes name a number in `phone_number` (ACCOUNT_OFFBOARDED, ACCOUNT_RECONNECTED
after a re-registration). Other fields are journaled and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from pantau.ingest import rows
from pantau.ingest.context import ApplyContext, Parked
from pantau.ingest.delivery import DeliveryReport, record_deliveries, record_delivery
from pantau.ingest.locks import lock_key
from pantau.models import Contact, Conversation, Message, WhatsappSession
from pantau.models.enums import (
    ConversationStatus,
    DeliveryStatus,
    Direction,
    IngestSource,
    QualityRating,
    ReferentKind,
    SenderType,
    SessionStatus,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"
# The statuses Pantau keeps; Meta also sends others (`played` for voice messages, `deleted`), which are ignored.
KEPT_STATUSES = {"sent", "delivered", "read", "failed"}
ERROR_TITLE_LENGTH = 500

# A number's messaging limit: how many customers it may start conversations with in 24 hours. TIER_UNLIMITED is
# stored as no limit (null); TIER_NOT_SET (never used yet) changes nothing.
MESSAGING_LIMITS = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
    "TIER_UNLIMITED": None,
}
_ACCOUNT_STATUS = {"ACCOUNT_OFFBOARDED": SessionStatus.disconnected, "ACCOUNT_RECONNECTED": SessionStatus.connected}

_sessions = WhatsappSession.__table__
_contacts = Contact.__table__
_conversations = Conversation.__table__
_messages = Message.__table__


class WebhookRejected(ValueError):
    """A signed body that is not a webhook Pantau can apply; journaled as failed with this message."""


def signature_matches(body: bytes, header: str | None, app_secret: str) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body keyed with the app secret>`, compared in
    constant time."""
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (header or "").strip().lower().encode())


def _unix_time(value: object) -> datetime:
    """Meta's timestamps: Unix seconds, as text."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).isdigit():
        raise ValueError('a timestamp is Unix seconds, like "1772420400"')
    return datetime.fromtimestamp(int(value), UTC)


UnixTime = Annotated[datetime, BeforeValidator(_unix_time)]


class _Part(BaseModel):
    # Meta adds fields over time; those Pantau does not read are let through.
    model_config = ConfigDict(extra="allow")


class Metadata(_Part):
    phone_number_id: Annotated[str, Field(min_length=1, max_length=100)]
    display_phone_number: Annotated[str, Field(min_length=1, max_length=31)]


class Profile(_Part):
    name: str | None = None


class WaContact(_Part):
    wa_id: str
    profile: Profile | None = None


class InboundMessage(_Part):
    id: Annotated[str, Field(min_length=1, max_length=255)]
    sender: Annotated[str, Field(alias="from", min_length=1, max_length=31)]
    timestamp: UnixTime
    type: str | None = None


class StatusError(_Part):
    code: int | None = None
    title: str | None = None


class Pricing(_Part):
    billable: bool | None = None
    pricing_model: str | None = None
    category: str | None = None


class Status(_Part):
    id: Annotated[str, Field(min_length=1, max_length=255)]
    status: str
    timestamp: UnixTime
    recipient_id: str | None = None
    pricing: Pricing | None = None
    errors: list[StatusError] = []


class MessagesValue(_Part):
    metadata: Metadata
    contacts: list[WaContact] = []
    messages: list[InboundMessage] = []
    statuses: list[Status] = []


class NumberUpdate(_Part):
    """phone_number_quality_update and account_update: which number, and what changed."""

    display_phone_number: str | None = None
    phone_number: str | None = None
    event: str | None = None
    current_limit: str | None = None
    max_daily_conversations_per_business: str | None = None


class Change(_Part):
    field: str
    value: dict[str, Any]


class Entry(_Part):
    changes: list[Change]


class Envelope(_Part):
    object: Literal["whatsapp_business_account"]
    entry: list[Entry]


def _problem(error: ValidationError, prefix: str = "") -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    return f"{prefix}{location}: {first['msg']}"


def parse_webhook(body: bytes) -> Envelope:
    """The envelope, or WebhookRejected saying what is wrong (the whole body is checked before anything is written)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("the body is not JSON") from None
    try:
        envelope = Envelope.model_validate(document)
    except ValidationError as exc:
        raise WebhookRejected(f"not a WhatsApp Business Account webhook: {_problem(exc)}") from None
    for entry_index, entry in enumerate(envelope.entry):
        for change_index, change in enumerate(entry.changes):
            model = {"messages": MessagesValue}.get(change.field, NumberUpdate)
            try:
                model.model_validate(change.value)
            except ValidationError as exc:
                raise WebhookRejected(_problem(exc, f"entry.{entry_index}.changes.{change_index}.value.")) from None
    return envelope


def apply_webhook(ctx: ApplyContext, envelope: Envelope) -> None:
    for entry in envelope.entry:
        for change in entry.changes:
            if change.field == "messages":
                _apply_messages(ctx, MessagesValue.model_validate(change.value))
            elif change.field in ("phone_number_quality_update", "account_update"):
                _apply_number_update(ctx, change.field, NumberUpdate.model_validate(change.value))
            else:
                ctx.tally["ignored"] += 1


def _apply_messages(ctx: ApplyContext, value: MessagesValue) -> None:
    moments = [item.timestamp for item in value.messages] + [item.timestamp for item in value.statuses]
    if not moments:
        return
    session_id = value.metadata.phone_number_id
    session = rows.ensure_whatsapp_session(
        ctx.connection, session_id, value.metadata.display_phone_number, max(moments)
    )
    if session.created:
        ctx.created(ReferentKind.whatsapp_session, session_id)
    ctx.note(session)
    names = {contact.wa_id: contact.profile.name if contact.profile else None for contact in value.contacts}
    # A contact's messages in the order they were written; statuses by message (their order does not matter).
    for message in sorted(value.messages, key=lambda item: (item.sender, item.timestamp, item.id)):
        _apply_inbound(ctx, session_id, message, names.get(message.sender))
    for status in sorted(value.statuses, key=lambda item: (item.id, item.timestamp)):
        _apply_status(ctx, status)


def _apply_inbound(ctx: ApplyContext, session_id: str, message: InboundMessage, profile_name: str | None) -> None:
    """The customer's message: its contact (by phone), the contact's open or pending conversation on this number (or
    a new open one), and the message itself. The same wamid again adds nothing."""
    connection = ctx.connection
    phone = "+" + message.sender.lstrip("+")
    # Two bodies bringing the same new contact's first messages at once must find one contact, not create two.
    lock_key(connection, f"contact-phone:{phone}")
    if rows.message_id_by_whatsapp_id(connection, message.id) is not None:
        ctx.tally["duplicate"] += 1
        return
    contact_id = rows.contact_by_phone(connection, phone)
    if contact_id is None:
        contact_id = str(uuid.uuid4())
        connection.execute(
            insert(_contacts).values(
                id=contact_id,
                phone_number=phone,
                name=(profile_name or None) and profile_name[:200],
                created_at=message.timestamp,
            )
        )
        ctx.created(ReferentKind.contact, contact_id)
    elif profile_name:
        ctx.note(
            rows.RowChange(
                changed=connection.execute(
                    update(_contacts)
                    .where(_contacts.c.id == contact_id, _contacts.c.name.is_(None))
                    .values(name=profile_name[:200])
                ).rowcount
                > 0
            )
        )
    conversation_id = rows.latest_active_conversation(connection, contact_id, session_id)
    if conversation_id is None:
        conversation_id = str(uuid.uuid4())
        connection.execute(
            insert(_conversations).values(
                id=conversation_id,
                contact_id=contact_id,
                whatsapp_session_id=session_id,
                status=ConversationStatus.open,
                created_at=message.timestamp,
            )
        )
        ctx.created(ReferentKind.conversation, conversation_id)
    message_id = str(uuid.uuid4())
    try:
        with connection.begin_nested():
            connection.execute(
                insert(_messages).values(
                    id=message_id,
                    conversation_id=conversation_id,
                    direction=Direction.inbound,
                    sender_type=SenderType.customer,
                    whatsapp_message_id=message.id,
                    created_at=message.timestamp,
                )
            )
    except IntegrityError:
        # Created by the events API in the meantime, under the same WhatsApp id.
        ctx.tally["duplicate"] += 1
        return
    ctx.created(ReferentKind.message, message_id)
    ctx.created(ReferentKind.whatsapp_message, message.id)
    ctx.tally["accepted"] += 1


def _report(status: Status) -> DeliveryReport:
    failure = status.errors[0] if status.errors else None
    title = failure.title if failure else None
    return DeliveryReport(
        status=DeliveryStatus(status.status),
        at=status.timestamp,
        error_code=failure.code if failure else None,
        error_title=title[:ERROR_TITLE_LENGTH] if title else None,
        pricing_category=(status.pricing.category or None) if status.pricing else None,
        billable=status.pricing.billable if status.pricing else None,
    )


def _report_item(report: DeliveryReport, wamid: str) -> dict:
    """A parked status, as JSON."""
    return {
        "whatsappMessageId": wamid,
        "status": report.status.value,
        "at": report.at.isoformat(),
        "errorCode": report.error_code,
        "errorTitle": report.error_title,
        "pricingCategory": report.pricing_category,
        "billable": report.billable,
    }


def _apply_status(ctx: ApplyContext, status: Status) -> None:
    if status.status not in KEPT_STATUSES:
        ctx.tally["ignored"] += 1
        return
    report = _report(status)
    # One UPDATE by the wamid in the usual case: a status that changes its message.
    _settle_status(ctx, status, report, record_delivery(ctx.connection, None, report, whatsapp_message_id=status.id))


def _settle_status(ctx: ApplyContext, status: Status, report: DeliveryReport, changed: bool) -> None:
    """After the status's UPDATE: accepted when it changed its message; else a repeat, or (its message not known
    yet) parked."""
    if not changed and not ctx.exists(ReferentKind.whatsapp_message, status.id):
        waiting = ctx.missing([(ReferentKind.whatsapp_message, status.id)])
        if waiting is not None:
            ctx.park(waiting, _report_item(report, status.id), report.at, source=IngestSource.whatsapp)
            ctx.tally["parked"] += 1
            return
        changed = record_delivery(ctx.connection, None, report, whatsapp_message_id=status.id)
    ctx.note(rows.RowChange(changed=changed))
    ctx.tally["accepted" if changed else "duplicate"] += 1


def status_only(envelope: Envelope) -> list[MessagesValue] | None:
    """The body's `messages` changes when it brings nothing but statuses (and contacts); None when it brings
    anything else (an inbound message, a number update, another field)."""
    found = []
    for entry in envelope.entry:
        for change in entry.changes:
            if change.field != "messages":
                return None
            value = MessagesValue.model_validate(change.value)
            if value.messages:
                return None
            found.append(value)
    return found


def sessions_of(found: list[MessagesValue]) -> set[str]:
    """The numbers whose `last_seen_at` the changes move (those with statuses)."""
    return {value.metadata.phone_number_id for value in found if value.statuses}


def known_sessions(connection: Connection, session_ids: set[str]) -> set[str]:
    if not session_ids:
        return set()
    return set(connection.execute(select(_sessions.c.id).where(_sessions.c.id.in_(sorted(session_ids)))).scalars())


def apply_status_bodies(connection: Connection, bodies: list[tuple[ApplyContext, list[MessagesValue]]]) -> None:
    """`apply_webhook` for bodies that bring only statuses of numbers already known (`status_only`), as if each were
    applied after the one before it in this transaction, with a few statements for all of them:
    - the numbers are locked and read once (as their UPDATE would lock them), each change's move of `last_seen_at`
      is followed in order (it is what tells whether the change moved it), and each number written once;
    - the statuses are written by `record_deliveries`, the first status of each message in one UPDATE, the second
      of each in the next, so those of one message stay in the order applying the bodies one by one gives them;
    - those that changed nothing are then settled in that order (a repeat, or parked for a message not known yet:
      no status creates a message, so what exists does not depend on the statuses written before)."""
    session_ids = sorted({session_id for _, found in bodies for session_id in sessions_of(found)})
    last_seen = dict(
        connection.execute(
            select(_sessions.c.id, _sessions.c.last_seen_at)
            .where(_sessions.c.id.in_(session_ids))
            .order_by(_sessions.c.id)
            .with_for_update()
        ).all()
    )
    moved: dict[str, datetime] = {}
    kept: list[tuple[ApplyContext, Status, DeliveryReport]] = []
    for ctx, found in bodies:
        ctx.touch_everything()
        for value in found:
            if not value.statuses:
                continue
            session_id = value.metadata.phone_number_id
            seen_at = max(item.timestamp for item in value.statuses)
            if last_seen[session_id] is None or last_seen[session_id] < seen_at:
                last_seen[session_id] = moved[session_id] = seen_at
                ctx.note(rows.RowChange(changed=True))
            for status in sorted(value.statuses, key=lambda item: (item.id, item.timestamp)):
                if status.status not in KEPT_STATUSES:
                    ctx.tally["ignored"] += 1
                else:
                    kept.append((ctx, status, _report(status)))
    for session_id, seen_at in sorted(moved.items()):
        connection.execute(update(_sessions).where(_sessions.c.id == session_id).values(last_seen_at=seen_at))
    changed = [False] * len(kept)
    rounds: list[list[int]] = []
    seen: Counter[str] = Counter()
    for position, (_, status, _) in enumerate(kept):
        if seen[status.id] == len(rounds):
            rounds.append([])
        rounds[seen[status.id]].append(position)
        seen[status.id] += 1
    for positions in rounds:
        written = record_deliveries(connection, [(kept[position][1].id, kept[position][2]) for position in positions])
        for position, was_changed in zip(positions, written, strict=True):
            changed[position] = was_changed
    for (ctx, status, report), was_changed in zip(kept, changed, strict=True):
        if was_changed:
            ctx.note(rows.RowChange(changed=True))
            ctx.tally["accepted"] += 1
        else:
            _settle_status(ctx, status, report, False)


def apply_parked_status(ctx: ApplyContext, parked: Parked) -> None:
    """A status that waited for its message, which has now arrived."""
    item = parked.item
    report = DeliveryReport(
        status=DeliveryStatus(item["status"]),
        at=datetime.fromisoformat(item["at"]),
        error_code=item["errorCode"],
        error_title=item["errorTitle"],
        pricing_category=item["pricingCategory"],
        billable=item["billable"],
    )
    message_id = rows.message_id_by_whatsapp_id(ctx.connection, item["whatsappMessageId"])
    ctx.note(rows.RowChange(changed=record_delivery(ctx.connection, message_id, report)))
    ctx.tally["released"] += 1


def _apply_number_update(ctx: ApplyContext, field: str, value: NumberUpdate) -> None:
    """A number's messaging limit, quality or connection, on the sessions with that phone number (the payload names
    the number, not its id); a number Pantau has not seen yet, or a change that says none of these, is ignored."""
    number = value.display_phone_number or value.phone_number
    updates: dict[str, Any] = {}
    tier = value.max_daily_conversations_per_business or value.current_limit
    if tier in MESSAGING_LIMITS:
        updates["messaging_limit"] = MESSAGING_LIMITS[tier]
    if field == "phone_number_quality_update" and value.event == "FLAGGED":
        updates["quality_rating"] = QualityRating.RED
    if field == "account_update" and value.event in _ACCOUNT_STATUS:
        updates["status"] = _ACCOUNT_STATUS[value.event]
    unflagged = field == "phone_number_quality_update" and value.event == "UNFLAGGED"
    if number is None or not (updates or unflagged):
        ctx.tally["ignored"] += 1
        return
    of_number = _sessions.c.phone_number == "+" + number.lstrip("+")
    if not ctx.connection.execute(select(exists().where(of_number))).scalar():
        ctx.tally["ignored"] += 1
        return
    changed = False
    if updates:
        differs = [_sessions.c[name].is_distinct_from(new) for name, new in updates.items()]
        changed = (
            ctx.connection.execute(update(_sessions).where(of_number, or_(*differs)).values(**updates)).rowcount > 0
        )
    if unflagged:
        # No longer low; the payload does not say whether medium or high.
        lifted = ctx.connection.execute(
            update(_sessions)
            .where(of_number, _sessions.c.quality_rating == QualityRating.RED)
            .values(quality_rating=QualityRating.UNKNOWN)
        )
        changed = lifted.rowcount > 0 or changed
    ctx.note(rows.RowChange(changed=changed))
    ctx.tally["accepted" if changed else "duplicate"] += 1
