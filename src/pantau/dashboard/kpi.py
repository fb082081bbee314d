"""KPI strip (SPEC §5.1): five figures for today, each with its comparison. No range parameter: always today."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, func, literal, or_, select, union_all
from sqlalchemy.sql import Subquery

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import conversations_in_scope, messages_in_scope, tickets_in_scope
from pantau.core import numbers
from pantau.core.business_time import BusinessCalendar
from pantau.core.config import Settings
from pantau.core.sql import percentile
from pantau.core.windows import Window
from pantau.dashboard.context import SectionContext
from pantau.dashboard.schemas import CamelModel, Comparison, SectionResponse, Status, with_business_hours
from pantau.dashboard.sla import sla_status
from pantau.metrics.facts import (
    cohort_facts,
    cohort_filter,
    conversation_facts,
    count_where,
    in_range,
    response_seconds,
)
from pantau.metrics.message_parts import ATTEMPTED, DELIVERED, delivery_counts, delivery_rate
from pantau.metrics.parts import sla_response_seconds
from pantau.models import Conversation, Message, Ticket, User

conversations = Conversation.__table__
messages = Message.__table__
tickets = Ticket.__table__
users = User.__table__

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


def _active_columns(now: datetime) -> list[ColumnElement[int]]:
    return [
        count_where(conversations.c.status == "open"),
        count_where(conversations.c.status == "pending"),
        count_where(_active_at(now - timedelta(hours=24))),
    ]


def _active_conversations(ctx: SectionContext) -> ActiveConversations:
    row = ctx.connection.execute(select(*_active_columns(ctx.now)).where(conversations_in_scope(ctx.scope))).one()
    return _active_conversations_of(row)


def _active_conversations_of(row) -> ActiveConversations:
    open_now, pending_now, active_before = row
    value = open_now + pending_now
    return ActiveConversations(
        **numbers.comparison(value, active_before, numbers.CONVERSATIONS_T),
        by_status=ActiveByStatus(open=open_now, pending=pending_now),
    )


def _response_time_columns(facts: Subquery, calendar: BusinessCalendar | None) -> list[ColumnElement]:
    """Mean, median and p90 of the FRT; with business hours set, then the same of its business time."""
    columns = []
    for seconds in [response_seconds(facts)] + ([] if calendar is None else [sla_response_seconds(facts, calendar)]):
        columns += [func.avg(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9)]
    return columns


def _floats(row) -> tuple[float | None, ...]:
    return tuple(None if v is None else float(v) for v in row)


def _response_times(ctx: SectionContext, start: datetime, end: datetime) -> tuple[float | None, ...]:
    facts = cohort_facts(ctx.scope, start, end, ctx.calendar)
    return _floats(ctx.connection.execute(select(*_response_time_columns(facts, ctx.calendar))).one())


def _avg_response_time(ctx: SectionContext) -> AvgResponseTime:
    window = ctx.window
    current = _response_times(ctx, window.start, window.end)
    previous = _response_times(ctx, window.previous_start, window.previous_end)
    return _avg_response_time_of(ctx.settings, current, previous)


def _avg_response_time_of(
    settings: Settings, current: tuple[float | None, ...], previous_times: tuple[float | None, ...]
) -> AvgResponseTime:
    mean, median, p90, *business = current
    previous_mean, _, _, *previous_business = previous_times
    value, previous = numbers.round1(mean), numbers.round1(previous_mean)
    target = settings.sla_first_response_seconds
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


def _delivery_columns() -> list[ColumnElement[int]]:
    return delivery_counts(messages.c.status)


def _outbound_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(messages.c.direction == "outbound", in_range(messages.c.created_at, start, end))


def _delivery_rate(ctx: SectionContext, start: datetime, end: datetime) -> float | None:
    counts = ctx.connection.execute(
        select(*_delivery_columns()).where(_outbound_in(start, end), messages_in_scope(ctx.scope))
    ).one()
    return delivery_rate(counts[0], counts[1])


def _whatsapp_delivery_rate(ctx: SectionContext) -> DeliveryRate:
    window = ctx.window
    value = _delivery_rate(ctx, window.start, window.end)
    previous = _delivery_rate(ctx, window.previous_start, window.previous_end)
    return _delivery_rate_of(value, previous)


def _delivery_rate_of(value: float | None, previous: float | None) -> DeliveryRate:
    return DeliveryRate(**numbers.comparison(value, previous, numbers.DELIVERY_RATE_T), status=delivery_status(value))


def _open_at(moment: datetime):
    """Open at an instant, rebuilt from timestamps: created by then, neither resolved nor closed by then."""
    return and_(
        tickets.c.created_at <= moment,
        or_(tickets.c.resolved_at.is_(None), tickets.c.resolved_at > moment),
        or_(tickets.c.closed_at.is_(None), tickets.c.closed_at > moment),
    )


def _open_ticket_columns(now: datetime) -> list[ColumnElement[int]]:
    return [
        *(count_where(open_ticket(priority)) for priority in PRIORITIES),
        count_where(_open_at(now - timedelta(hours=24))),
    ]


def _open_tickets(ctx: SectionContext) -> OpenTickets:
    row = ctx.connection.execute(select(*_open_ticket_columns(ctx.now)).where(tickets_in_scope(ctx.scope))).one()
    return _open_tickets_of(row)


def _open_tickets_of(row) -> OpenTickets:
    by_priority = dict(zip(PRIORITIES, row[:4], strict=True))
    value = sum(by_priority.values())
    return OpenTickets(
        **numbers.comparison(value, row[4], numbers.TICKETS_T), by_priority=TicketsByPriority(**by_priority)
    )


def _message_columns(window: Window) -> list[ColumnElement[int]]:
    return [
        count_where(in_range(messages.c.created_at, window.start, window.end)),
        count_where(in_range(messages.c.created_at, window.previous_start, window.previous_end)),
    ]


def _messages_today(ctx: SectionContext) -> Comparison:
    window = ctx.window
    row = ctx.connection.execute(
        select(*_message_columns(window)).where(
            messages_in_scope(ctx.scope), in_range(messages.c.created_at, window.previous_start, window.end)
        )
    ).one()
    return _messages_today_of(row)


def _messages_today_of(row) -> Comparison:
    value, previous = row
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


def _owned_by(key: tuple[str | None, str | None, str | None], scope: Scope) -> bool:
    """Whether a conversation of this (assignee, team, assignee's team) is in the scope: `conversations_in_scope`
    told from the keys the grouped counts are grouped by."""
    assignee, team, assignee_team = key
    if scope.level == "all":
        return True
    if scope.level == "team":
        return team in scope.team_ids or assignee_team in scope.team_ids
    return assignee == scope.user_id


def _counts_per_scope(rows: dict[tuple, tuple], scopes: list[Scope], width: int) -> list[tuple[int, ...]]:
    """Each scope's counts: the sum of the rows of the (assignee, team, assignee's team) keys in it."""
    totals = []
    for scope in scopes:
        total = [0] * width
        for key, counts in rows.items():
            if _owned_by(key, scope):
                total = [a + int(b) for a, b in zip(total, counts, strict=True)]
        totals.append(tuple(total))
    return totals


def compute_many(connection: Connection, scopes: list[Scope], window: Window, settings: Settings) -> list[KpiResponse]:
    """`compute` for each of several scopes at once: the same answers, in five statements whatever their number.

    The counts (active conversations, delivery, messages) are read once, grouped by the conversation's assignee,
    team and assignee's team, and each scope adds up the groups of its conversations (`_owned_by`, the keys of
    `conversations_in_scope`). The response times, medians and percentiles, are not sums: the conversation facts are
    computed once for the conversations of all the scopes and grouped by a membership of (scope's position,
    conversation) pairs, as the open tickets by one of (scope's position, ticket) pairs (`tickets_in_scope`). Meant
    for many narrow scopes (agents', teams'); the organisation's scope is cheaper on its own."""
    if not scopes:
        return []
    calendar = settings.business_calendar
    assignees = users.alias("assignees")
    owner_keys = [conversations.c.assigned_to, conversations.c.team_id, assignees.c.team_id]
    with_assignee = conversations.outerjoin(assignees, assignees.c.id == conversations.c.assigned_to)

    def counts(columns: list[ColumnElement], joined, *conditions: ColumnElement[bool]) -> list[tuple[int, ...]]:
        statement = select(*owner_keys, *columns).select_from(joined).where(*conditions).group_by(*owner_keys)
        rows = {tuple(row[:3]): tuple(row[3:]) for row in connection.execute(statement)}
        return _counts_per_scope(rows, scopes, len(columns))

    active = counts(_active_columns(window.now), with_assignee)
    outbound_now, outbound_before = (
        _outbound_in(window.start, window.end),
        _outbound_in(window.previous_start, window.previous_end),
    )
    sent = counts(
        [
            count_where(and_(outbound_now, messages.c.status.in_(DELIVERED))),
            count_where(and_(outbound_now, messages.c.status.in_(ATTEMPTED))),
            count_where(and_(outbound_before, messages.c.status.in_(DELIVERED))),
            count_where(and_(outbound_before, messages.c.status.in_(ATTEMPTED))),
            *_message_columns(window),
        ],
        messages.join(with_assignee, conversations.c.id == messages.c.conversation_id),
        in_range(messages.c.created_at, window.previous_start, window.end),
    )

    members = union_all(
        *(
            select(literal(index).label("member"), conversations.c.id.label("conversation_id")).where(
                conversations_in_scope(scope)
            )
            for index, scope in enumerate(scopes)
        )
    ).cte("kpi_members")
    in_any_scope = conversations.c.id.in_(select(members.c.conversation_id))

    def response_times(start: datetime, end: datetime) -> dict[int, tuple]:
        facts = conversation_facts(cohort_filter(start, end), in_any_scope, calendar=calendar)
        statement = (
            select(members.c.member, *_response_time_columns(facts, calendar))
            .select_from(facts.join(members, members.c.conversation_id == facts.c.id))
            .group_by(members.c.member)
        )
        return {row[0]: _floats(row[1:]) for row in connection.execute(statement)}

    times_now = response_times(window.start, window.end)
    times_before = response_times(window.previous_start, window.previous_end)
    ticket_members = union_all(
        *(
            select(literal(index).label("member"), tickets.c.id.label("ticket_id")).where(tickets_in_scope(scope))
            for index, scope in enumerate(scopes)
        )
    ).cte("kpi_ticket_members")
    statement = (
        select(ticket_members.c.member, *_open_ticket_columns(window.now))
        .select_from(tickets.join(ticket_members, ticket_members.c.ticket_id == tickets.c.id))
        .group_by(ticket_members.c.member)
    )
    open_tickets = {row[0]: tuple(row[1:]) for row in connection.execute(statement)}

    no_times = (None,) * (3 if calendar is None else 6)
    answers = []
    for index, scope in enumerate(scopes):
        ctx = SectionContext(connection=connection, scope=scope, window=window, settings=settings)
        delivered_now, attempted_now, delivered_before, attempted_before, *messages_today = sent[index]
        answers.append(
            KpiResponse(
                range=ctx.range_info(),
                generated_at=ctx.now.astimezone(ctx.zone),
                active_conversations=_active_conversations_of(active[index]),
                avg_response_time=_avg_response_time_of(
                    settings, times_now.get(index, no_times), times_before.get(index, no_times)
                ),
                whatsapp_delivery_rate=_delivery_rate_of(
                    numbers.percentage(delivered_now, attempted_now),
                    numbers.percentage(delivered_before, attempted_before),
                ),
                open_tickets=_open_tickets_of(open_tickets.get(index, (0,) * (len(PRIORITIES) + 1))),
                messages_today=_messages_today_of(messages_today),
            )
        )
    return answers
