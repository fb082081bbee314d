"""WhatsApp performance (SPEC §5.3): is delivery stable — the outbound funnel, broadcasts, failures, sessions, queue.

Messages, broadcasts and failures are read inside the caller's scope. The WhatsApp sessions and the queue are
infrastructure: every caller of this section sees them for the whole organisation (SPEC §4).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, and_, func, select

from pantau.auth.scope_sql import conversations_in_scope
from pantau.core import numbers
from pantau.dashboard.context import SectionContext
from pantau.dashboard.privacy import phone_for
from pantau.dashboard.schemas import CamelModel, SectionResponse
from pantau.metrics.broadcast_results import BroadcastOutcome, broadcast_results
from pantau.metrics.facts import in_range
from pantau.metrics.message_parts import MessageParts, failure_of
from pantau.metrics.parts import MICROSECONDS
from pantau.models import Broadcast, Contact, Conversation, Message, WhatsappSession

broadcasts = Broadcast.__table__
contacts = Contact.__table__
conversations = Conversation.__table__
messages = Message.__table__
sessions = WhatsappSession.__table__

FAILED_MESSAGES_SHOWN = 50
PROCESSING_WINDOW_MINUTES = 15


class MessageFunnel(CamelModel):
    queued: int
    sent: int
    delivered: int
    read: int
    failed: int
    delivery_rate: float | None
    read_rate: float | None


class BroadcastSuccessRate(CamelModel):
    total: int
    successful: int
    failed: int
    pending: int
    percentage: float | None


class BroadcastPerformance(CamelModel):
    broadcast_id: str
    name: str
    total: int
    sent: int
    delivered: int
    read: int
    failed: int
    replied: int


class FailedMessage(CamelModel):
    id: str
    recipient: str | None
    error_code: int | None
    error: str | None
    timestamp: str
    broadcast_name: str | None


class FailureReason(CamelModel):
    error_code: int | None
    error: str | None
    count: int


class ActiveSession(CamelModel):
    session_id: str
    phone_number: str | None
    display_name: str | None
    status: str
    quality_rating: str | None
    last_seen: str | None
    messages_sent: int


class QueueMetrics(CamelModel):
    depth: int
    oldest_queued_seconds: float | None
    processing_rate: float
    avg_queue_wait_seconds: float | None


class DeliveryAlert(CamelModel):
    active: bool
    rate: float | None
    threshold: float


class WhatsappPerformanceResponse(SectionResponse):
    message_funnel: MessageFunnel
    broadcast_success_rate: BroadcastSuccessRate
    broadcasts: list[BroadcastPerformance]
    failed_messages: list[FailedMessage]
    failure_reasons: list[FailureReason]
    active_sessions: list[ActiveSession]
    queue_metrics: QueueMetrics
    delivery_alert: DeliveryAlert


def _outbound_created_in_range(ctx: SectionContext) -> ColumnElement[bool]:
    return and_(
        messages.c.direction == "outbound",
        in_range(messages.c.created_at, ctx.window.start, ctx.window.end),
    )


def message_funnel(mine: MessageParts) -> MessageFunnel:
    funnel = mine.funnel()
    sent, delivered, failed = funnel["sent"], funnel["delivered"], funnel["failed"]
    return MessageFunnel(
        queued=funnel["queued"],
        sent=sent,
        delivered=delivered,
        read=funnel["read"],
        failed=failed,
        delivery_rate=mine.delivery_rate,
        read_rate=numbers.percentage(funnel["read"], delivered),
    )


def _broadcasts(results: list[BroadcastOutcome]) -> list[BroadcastPerformance]:
    return [
        BroadcastPerformance(
            broadcast_id=row.broadcast_id,
            name=row.name,
            total=row.total,
            sent=row.sent,
            delivered=row.delivered,
            read=row.read,
            failed=row.failed,
            replied=row.responded,
        )
        for row in results
    ]


def _broadcast_success_rate(results: list[BroadcastOutcome]) -> BroadcastSuccessRate:
    total = sum(row.total for row in results)
    successful = sum(row.delivered for row in results)
    failed = sum(row.failed for row in results)
    return BroadcastSuccessRate(
        total=total,
        successful=successful,
        failed=failed,
        # Every counted message has a status, so what is neither delivered nor failed is queued or sent.
        pending=total - successful - failed,
        percentage=numbers.percentage(successful, total),
    )


def _failed_messages(ctx: SectionContext) -> list[FailedMessage]:
    failed_at = func.coalesce(messages.c.failed_at, messages.c.created_at).label("failed_at")
    rows = ctx.connection.execute(
        select(
            messages.c.id,
            contacts.c.phone_number,
            messages.c.error_code,
            messages.c.error_title,
            failed_at,
            broadcasts.c.name.label("broadcast_name"),
        )
        .select_from(
            messages.join(conversations, messages.c.conversation_id == conversations.c.id)
            .join(contacts, conversations.c.contact_id == contacts.c.id)
            .outerjoin(broadcasts, messages.c.broadcast_id == broadcasts.c.id)
        )
        .where(_outbound_created_in_range(ctx), messages.c.status == "failed", conversations_in_scope(ctx.scope))
        .order_by(failed_at.desc(), messages.c.id)
        .limit(FAILED_MESSAGES_SHOWN)
    )
    return [
        FailedMessage(
            id=row.id,
            recipient=phone_for(ctx.scope, row.phone_number),
            error_code=row.error_code,
            error=row.error_title,
            timestamp=ctx.local_iso(row.failed_at),
            broadcast_name=row.broadcast_name,
        )
        for row in rows
    ]


def _failure_reasons(mine: MessageParts) -> list[FailureReason]:
    """Most frequent first, then by error code and title (missing ones last)."""
    reasons = [(*failure_of(key), count) for key, count in mine.failures.items()]
    reasons.sort(key=lambda r: (-r[2], r[0] is None, r[0] or 0, r[1] is None, r[1] or ""))
    return [FailureReason(error_code=code, error=title, count=count) for code, title, count in reasons]


def _active_sessions(ctx: SectionContext, mine: MessageParts) -> list[ActiveSession]:
    sent_per_session = mine.sent_per_session()
    rows = ctx.connection.execute(select(sessions).order_by(sessions.c.display_name.asc().nulls_last(), sessions.c.id))
    return [
        ActiveSession(
            session_id=row.id,
            phone_number=phone_for(ctx.scope, row.phone_number),
            display_name=row.display_name,
            status=row.status,
            quality_rating=row.quality_rating,
            last_seen=ctx.local_iso(row.last_seen_at),
            messages_sent=sent_per_session.get(row.id, 0),
        )
        for row in rows
    ]


def queued_now(connection: Connection, now: datetime) -> tuple[int, datetime | None]:
    """The send queue at `now`, organisation-wide (every team shares it): how many outbound messages are queued, and
    when the oldest of them was created."""
    depth, oldest = connection.execute(
        select(func.count(), func.min(messages.c.created_at)).where(
            messages.c.direction == "outbound", messages.c.status == "queued", messages.c.created_at <= now
        )
    ).one()
    return depth, oldest


def _queue_metrics(ctx: SectionContext, everyone: MessageParts) -> QueueMetrics:
    """Organisation-wide: the queue is shared by every team."""
    now = ctx.now
    outbound = messages.c.direction == "outbound"
    depth, oldest = queued_now(ctx.connection, now)
    processed = ctx.connection.execute(
        select(func.count()).where(
            outbound,
            messages.c.sent_at > now - timedelta(minutes=PROCESSING_WINDOW_MINUTES),
            messages.c.sent_at <= now,
        )
    ).scalar_one()
    handed_over, wait_us = everyone.handed_over, everyone.queue_wait_us
    return QueueMetrics(
        depth=depth,
        oldest_queued_seconds=None if oldest is None else numbers.round1((now - oldest).total_seconds()),
        processing_rate=numbers.round1(numbers.ratio(processed, PROCESSING_WINDOW_MINUTES)),
        avg_queue_wait_seconds=numbers.round1(numbers.ratio(Decimal(wait_us) / MICROSECONDS, handed_over)),
    )


def _delivery_alert(ctx: SectionContext, rate: float | None) -> DeliveryAlert:
    threshold = ctx.settings.delivery_alert_percent
    return DeliveryAlert(active=rate is not None and rate < threshold, rate=rate, threshold=threshold)


def compute(ctx: SectionContext) -> WhatsappPerformanceResponse:
    start, end = ctx.window.start, ctx.window.end
    mine = ctx.parts.message_parts(start, end)
    everyone = mine if ctx.scope.level == "all" else ctx.parts.message_parts(start, end, organisation=True)
    funnel = message_funnel(mine)
    results = broadcast_results(ctx.parts, ctx.window.start, ctx.window.end)
    return WhatsappPerformanceResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        message_funnel=funnel,
        broadcast_success_rate=_broadcast_success_rate(results),
        broadcasts=_broadcasts(results),
        failed_messages=_failed_messages(ctx),
        failure_reasons=_failure_reasons(mine),
        active_sessions=_active_sessions(ctx, mine),
        queue_metrics=_queue_metrics(ctx, everyone),
        delivery_alert=_delivery_alert(ctx, funnel.delivery_rate),
    )
