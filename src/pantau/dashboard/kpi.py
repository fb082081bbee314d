"""KPI strip (SPEC §5.1): five figures for today, each with its comparison. No range parameter: always today."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import conversations_in_scope, messages_in_scope, tickets_in_scope
from pantau.core import numbers
from pantau.core.sql import percentile
from pantau.dashboard.context import SectionContext
from pantau.dashboard.schemas import CamelModel, Comparison, SectionResponse, Status, with_business_hours
from pantau.dashboard.sla import sla_status
from pantau.metrics.facts import cohort_facts, count_where, in_range, response_seconds
from pantau.metrics.message_parts import delivery_counts, delivery_rate
from pantau.metrics.parts import sla_response_seconds
from pantau.models import Conversation, Message, Ticket

conversations = Conversation.__table__
messages = Message.__table__
tickets = Ticket.__table__

ACTIVE_STATUSES = ("open", "pending")
OPEN_TICKET_STATUSES = ("open", "in_progress")
PRIORITIES = ("urgent", "high", "medium", "low")


class ActiveByStatus(CamelModel):
    open: int
    pending: int


class ActiveConversations(Comparison):
    by_status: ActiveByStatus


class BusinessResponseTime(Comparison):
    """The same figure counted in business time (SPEC §8.5)."""

    median: float | None
    p90: float | None


class AvgResponseTime(Comparison):
    median: float | None
    p90: float | None
    sla_status: Status | None  # judged on the business-time mean with business hours set
    sla_target_seconds: int
    business_time: BusinessResponseTime | None = with_business_hours()


class DeliveryRate(Comparison):
    status: Status | None


class TicketsByPriority(CamelModel):
    urgent: int
    high: int
    medium: int
    low: int


class OpenTickets(Comparison):
    by_priority: TicketsByPriority


class KpiResponse(SectionResponse):
    active_conversations: ActiveConversations
    avg_response_time: AvgResponseTime
    whatsapp_delivery_rate: DeliveryRate
    open_tickets: OpenTickets
    messages_today: Comparison


def delivery_status(rate: float | None) -> Status | None:
    if rate is None:
        return None
    if rate >= 95:
        return "good"
    return "warning" if rate >= 90 else "critical"


def active_now(scope: Scope) -> ColumnElement[bool]:
    """Conversations in scope that are open or pending now, whenever created: what active conversations and each
    agent's open load count among, and what their drill-down lists hold."""
    return and_(conversations_in_scope(scope), conversations.c.status.in_(ACTIVE_STATUSES))


def open_ticket(priority: str | None = None) -> ColumnElement[bool]:
    """A ticket open now (open or in progress), of `priority` when one is given: what open tickets count."""
    is_open = tickets.c.status.in_(OPEN_TICKET_STATUSES)
    return is_open if priority is None else and_(is_open, tickets.c.priority == priority)


def open_tickets_in(scope: Scope, priority: str | None = None) -> ColumnElement[bool]:
    """The scope's tickets open now (of `priority`): what open tickets count, and what their lists hold."""
    return and_(tickets_in_scope(scope), open_ticket(priority))


def behind_open_tickets(scope: Scope, priority: str | None = None) -> ColumnElement[bool]:
    """Conversations in scope with a ticket of the scope's open now (of `priority`): the conversations shown beside
    the open tickets (docs/drill-down.md: a ticket tied to no conversation, or to one outside the scope, has none)."""
    open_tickets = select(tickets.c.conversation_id).where(
        open_tickets_in(scope, priority), tickets.c.conversation_id.is_not(None)
    )
    return and_(conversations_in_scope(scope), conversations.c.id.in_(open_tickets))


def _active_at(moment: datetime):
    """Active at an instant, rebuilt from timestamps: created by then and not yet resolved."""
    return and_(
        conversations.c.created_at <= moment,
        or_(conversations.c.resolved_at.is_(None), conversations.c.resolved_at > moment),
    )


def _active_conversations(ctx: SectionContext) -> ActiveConversations:
    open_now, pending_now, active_before = ctx.connection.execute(
        select(
            count_where(conversations.c.status == "open"),
            count_where(conversations.c.status == "pending"),
            count_where(_active_at(ctx.now - timedelta(hours=24))),
        ).where(conversations_in_scope(ctx.scope))
    ).one()
    value = open_now + pending_now
    return ActiveConversations(
        **numbers.comparison(value, active_before, numbers.CONVERSATIONS_T),
        by_status=ActiveByStatus(open=open_now, pending=pending_now),
    )


def _response_times(ctx: SectionContext, start: datetime, end: datetime) -> tuple[float | None, ...]:
    """Mean, median and p90 of the FRT; with business hours set, then the same of its business time."""
    facts = cohort_facts(ctx.scope, start, end, ctx.calendar)
    columns = []
    for seconds in [response_seconds(facts)] + (
        [] if ctx.calendar is None else [sla_response_seconds(facts, ctx.calendar)]
    ):
        columns += [func.avg(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9)]
    row = ctx.connection.execute(select(*columns)).one()
    return tuple(None if v is None else float(v) for v in row)


def _avg_response_time(ctx: SectionContext) -> AvgResponseTime:
    window = ctx.window
    mean, median, p90, *business = _response_times(ctx, window.start, window.end)
    previous_mean, _, _, *previous_business = _response_times(ctx, window.previous_start, window.previous_end)
    value, previous = numbers.round1(mean), numbers.round1(previous_mean)
    target = ctx.settings.sla_first_response_seconds
    business_time = None
    sla_mean = mean
    if business:
        sla_mean, business_median, business_p90 = business
        business_time = BusinessResponseTime(
            **numbers.comparison(
                numbers.round1(sla_mean), numbers.round1(previous_business[0]), numbers.RESPONSE_TIME_T
            ),
            median=numbers.round1(business_median),
            p90=numbers.round1(business_p90),
        )
    return AvgResponseTime(
        **numbers.comparison(value, previous, numbers.RESPONSE_TIME_T),
        median=numbers.round1(median),
        p90=numbers.round1(p90),
        sla_status=sla_status(sla_mean, target),  # judged on the exact mean, not the rounded one shown
        sla_target_seconds=target,
        business_time=business_time,
    )


def _delivery_rate(ctx: SectionContext, start: datetime, end: datetime) -> float | None:
    counts = ctx.connection.execute(
        select(*delivery_counts(messages.c.status)).where(
            messages.c.direction == "outbound",
            in_range(messages.c.created_at, start, end),
            messages_in_scope(ctx.scope),
        )
    ).one()
    return delivery_rate(counts[0], counts[1])


def _whatsapp_delivery_rate(ctx: SectionContext) -> DeliveryRate:
    window = ctx.window
    value = _delivery_rate(ctx, window.start, window.end)
    previous = _delivery_rate(ctx, window.previous_start, window.previous_end)
    return DeliveryRate(**numbers.comparison(value, previous, numbers.DELIVERY_RATE_T), status=delivery_status(value))


def _open_at(moment: datetime):
    """Open at an instant, rebuilt from timestamps: created by then, neither resolved nor closed by then."""
    return and_(
        tickets.c.created_at <= moment,
        or_(tickets.c.resolved_at.is_(None), tickets.c.resolved_at > moment),
        or_(tickets.c.closed_at.is_(None), tickets.c.closed_at > moment),
    )


def _open_tickets(ctx: SectionContext) -> OpenTickets:
    row = ctx.connection.execute(
        select(
            *(count_where(open_ticket(priority)) for priority in PRIORITIES),
            count_where(_open_at(ctx.now - timedelta(hours=24))),
        ).where(tickets_in_scope(ctx.scope))
    ).one()
    by_priority = dict(zip(PRIORITIES, row[:4], strict=True))
    value = sum(by_priority.values())
    return OpenTickets(
        **numbers.comparison(value, row[4], numbers.TICKETS_T), by_priority=TicketsByPriority(**by_priority)
    )


def _messages_today(ctx: SectionContext) -> Comparison:
    window = ctx.window

    def between(start: datetime, end: datetime):
        return in_range(messages.c.created_at, start, end)

    value, previous = ctx.connection.execute(
        select(
            count_where(between(window.start, window.end)),
            count_where(between(window.previous_start, window.previous_end)),
        ).where(messages_in_scope(ctx.scope), between(window.previous_start, window.end))
    ).one()
    return Comparison(**numbers.comparison(value, previous, numbers.MESSAGES_T))


def compute(ctx: SectionContext) -> KpiResponse:
    return KpiResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        active_conversations=_active_conversations(ctx),
        avg_response_time=_avg_response_time(ctx),
        whatsapp_delivery_rate=_whatsapp_delivery_rate(ctx),
        open_tickets=_open_tickets(ctx),
        messages_today=_messages_today(ctx),
    )
