"""Business impact (SPEC §5.7): does the CRM move the business — leads, resolved tickets, campaigns, repeat
customers, what a conversation costs, revenue and lifetime value. Money has 2 decimals, in setting CURRENCY."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, distinct, func, select

from pantau.auth.scope_sql import (
    activity_in_scope,
    conversations_in_scope,
    leads_in_scope,
    tickets_in_scope,
)
from pantau.core import numbers
from pantau.core.windows import local_date, local_midnight, resolve_window
from pantau.dashboard import activity
from pantau.dashboard.automation_impact import time_saved
from pantau.dashboard.context import SectionContext
from pantau.dashboard.schemas import CamelModel, SectionResponse, Trend
from pantau.metrics.broadcast_results import broadcast_results
from pantau.metrics.contact_history import RangeContacts, range_contacts
from pantau.metrics.facts import cohort_in_scope, count_where, in_range
from pantau.models import AgentActivityLog, Conversation, Lead, Message, Ticket

activity_logs = AgentActivityLog.__table__
conversations = Conversation.__table__
leads = Lead.__table__
messages = Message.__table__
tickets = Ticket.__table__

CAMPAIGNS_SHOWN = 10
LIFETIME_VALUE_MONTHS = 6
# SPEC §3 gives no threshold for customers; repeat customers move like leads.
REPEAT_CUSTOMERS_T = numbers.LEADS_T
SECONDS_PER_HOUR = 3600


class LeadsGenerated(CamelModel):
    total: int
    previous: int
    change: float | None
    trend: Trend
    won: int


class TicketsResolved(CamelModel):
    today: int
    week: int
    month: int
    in_range: int


class CampaignConversion(CamelModel):
    campaign_id: str
    campaign_name: str
    sent: int
    responded: int
    converted: int
    conversion_rate: float | None


class RepeatCustomerRate(CamelModel):
    rate: float | None
    previous: float | None
    trend: Trend
    # The rate's parts, so its numerator has its list (SPEC §8.3, docs/decisions.md): contacts with a conversation in
    # range, and those of them with at least two up to the range's end.
    customers: int
    repeat_customers: int


class CostPerConversation(CamelModel):
    amount: float | None
    total_cost: float
    currency: str
    savings: float


class RevenueAttributed(CamelModel):
    amount: float
    won_leads: int
    currency: str


class LifetimeValue(CamelModel):
    month: str
    value: float | None


class BusinessImpactResponse(SectionResponse):
    leads_generated: LeadsGenerated
    tickets_resolved: TicketsResolved
    campaign_conversion: list[CampaignConversion]
    repeat_customer_rate: RepeatCustomerRate
    cost_per_conversation: CostPerConversation
    revenue_attributed: RevenueAttributed
    customer_lifetime_value: list[LifetimeValue]


def _leads_generated(ctx: SectionContext) -> LeadsGenerated:
    window = ctx.window
    created_in_range = in_range(leads.c.created_at, window.start, window.end)
    total, previous, won = ctx.connection.execute(
        select(
            count_where(created_in_range),
            count_where(in_range(leads.c.created_at, window.previous_start, window.previous_end)),
            count_where(and_(created_in_range, leads.c.status == "won")),
        ).where(leads_in_scope(ctx.scope), in_range(leads.c.created_at, window.previous_start, window.end))
    ).one()
    comparison = numbers.comparison(total, previous, numbers.LEADS_T)
    return LeadsGenerated(
        total=total, previous=previous, change=comparison["change"], trend=comparison["trend"], won=won
    )


def _tickets_resolved(ctx: SectionContext) -> TicketsResolved:
    """Today, the 7d and the 30d windows at this moment, and the request's own range."""
    windows = {
        name: resolve_window(now=ctx.now, zone=ctx.zone, preset=preset)
        for name, preset in (("today", "today"), ("week", "7d"), ("month", "30d"))
    }
    windows["in_range"] = ctx.window
    counts = ctx.connection.execute(
        select(
            *(count_where(in_range(tickets.c.resolved_at, window.start, window.end)) for window in windows.values())
        ).where(tickets_in_scope(ctx.scope))
    ).one()
    return TicketsResolved(**dict(zip(windows, counts, strict=True)))


def _campaign_conversion(ctx: SectionContext) -> list[CampaignConversion]:
    campaigns = broadcast_results(ctx.parts, ctx.window.start, ctx.window.end, limit=CAMPAIGNS_SHOWN)
    converted = dict(
        ctx.connection.execute(
            select(leads.c.broadcast_id, func.count(distinct(leads.c.contact_id)))
            .where(leads.c.broadcast_id.in_([row.broadcast_id for row in campaigns]), leads_in_scope(ctx.scope))
            .group_by(leads.c.broadcast_id)
        ).all()
    )
    return [
        CampaignConversion(
            campaign_id=row.broadcast_id,
            campaign_name=row.name,
            sent=row.sent,
            responded=row.responded,
            converted=converted.get(row.broadcast_id, 0),
            conversion_rate=numbers.percentage(converted.get(row.broadcast_id, 0), row.sent),
        )
        for row in campaigns
    ]


def _repeat_customers(ctx: SectionContext, start: datetime, end: datetime) -> RangeContacts:
    """The contacts with a conversation created in [start, end), and how many of them have >= 2 conversations
    created before `end` (conversations in scope only)."""
    return range_contacts(ctx.connection, ctx.scope, ctx.parts, start, end, repeat=True)


def _repeat_customer_rate(ctx: SectionContext) -> RepeatCustomerRate:
    window = ctx.window
    found = _repeat_customers(ctx, window.start, window.end)
    earlier = _repeat_customers(ctx, window.previous_start, window.previous_end)
    rate = numbers.percentage(found.repeat, found.contacts)
    previous = numbers.percentage(earlier.repeat, earlier.contacts)
    return RepeatCustomerRate(
        rate=rate,
        previous=previous,
        trend=numbers.trend(rate, previous, REPEAT_CUSTOMERS_T),
        customers=found.contacts,
        repeat_customers=found.repeat or 0,
    )


def _messaging_cost(ctx: SectionContext) -> Decimal:
    """Delivered (or read) billable outbound messages created in the range, each at its category's rate; a category
    without a rate in WHATSAPP_RATES costs nothing."""
    per_category = ctx.parts.message_parts(ctx.window.start, ctx.window.end).billable_delivered
    rates = ctx.settings.whatsapp_rates
    return sum((rates.get(category, Decimal(0)) * count for category, count in per_category.items()), Decimal(0))


def _online_hours(ctx: SectionContext) -> Decimal:
    """Online time of the status logs in scope, each clipped to [start, min(end, now)]; an open log runs until now.
    A range that starts after now has none."""
    seconds = ctx.connection.execute(
        select(func.sum(activity.seconds_inside(ctx.window))).where(
            activity_logs.c.status == "online", activity.overlaps(ctx.window), activity_in_scope(ctx.scope)
        )
    ).scalar_one()
    return Decimal(str(seconds or 0)) / SECONDS_PER_HOUR


def _cost_per_conversation(ctx: SectionContext) -> CostPerConversation:
    """Messaging cost plus agent cost: a set cost per conversation (COST_PER_CONVERSATION, or the settings page)
    for each conversation, else the hours agents were online at AGENT_HOURLY_COST."""
    conversation_count = ctx.connection.execute(
        select(func.count()).where(cohort_in_scope(ctx.scope, ctx.window.start, ctx.window.end))
    ).scalar_one()
    per_conversation = ctx.settings.cost_per_conversation
    if per_conversation is None:
        agent_cost = _online_hours(ctx) * ctx.settings.agent_hourly_cost
    else:
        agent_cost = per_conversation * conversation_count
    total_cost = _messaging_cost(ctx) + agent_cost
    return CostPerConversation(
        amount=numbers.round2(numbers.ratio(total_cost, conversation_count)),
        total_cost=numbers.round2(total_cost),
        currency=ctx.settings.currency,
        savings=time_saved(ctx).estimated_cost,
    )


def _won_before(end: datetime) -> ColumnElement:
    return func.coalesce(func.sum(case((leads.c.won_at < end, leads.c.value))), 0)


def _revenue_attributed(ctx: SectionContext) -> RevenueAttributed:
    """Leads now won whose won_at lies in the range; a won lead without a value counts in wonLeads, adds nothing."""
    amount, won_leads = ctx.connection.execute(
        select(func.coalesce(func.sum(leads.c.value), 0), func.count()).where(
            leads.c.status == "won",
            in_range(leads.c.won_at, ctx.window.start, ctx.window.end),
            leads_in_scope(ctx.scope),
        )
    ).one()
    return RevenueAttributed(amount=numbers.round2(amount), won_leads=won_leads, currency=ctx.settings.currency)


def _month_starts(today: date) -> list[date]:
    """First days of the last LIFETIME_VALUE_MONTHS calendar months up to today's, oldest first, and of the next."""
    current = today.year * 12 + today.month - 1
    return [date(index // 12, index % 12 + 1, 1) for index in range(current - LIFETIME_VALUE_MONTHS + 1, current + 2)]


def _customer_lifetime_value(ctx: SectionContext) -> list[LifetimeValue]:
    """Per local calendar month: won value up to the month's end ÷ distinct contacts with a conversation up to then.
    The current month ends now."""
    firsts = _month_starts(local_date(ctx.now, ctx.zone))
    months, ends = firsts[:-1], [min(local_midnight(first, ctx.zone), ctx.now) for first in firsts[1:]]
    won_values = ctx.connection.execute(
        select(*(_won_before(end) for end in ends)).where(leads.c.status == "won", leads_in_scope(ctx.scope))
    ).one()
    # A contact counts from their first conversation in scope on; first conversations add up per bucket.
    history_start = ctx.connection.execute(
        select(func.min(conversations.c.created_at)).where(conversations_in_scope(ctx.scope))
    ).scalar_one()
    customers, running, cursor = [], 0, history_start
    for end in ends:
        if cursor is not None and cursor < end:
            running += ctx.parts.first_contacts(cursor, end)
            cursor = end
        customers.append(running)
    return [
        LifetimeValue(month=f"{first:%Y-%m}", value=numbers.round2(numbers.ratio(won, contacts)))
        for first, won, contacts in zip(months, won_values, customers, strict=True)
    ]


def compute(ctx: SectionContext) -> BusinessImpactResponse:
    return BusinessImpactResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        leads_generated=_leads_generated(ctx),
        tickets_resolved=_tickets_resolved(ctx),
        campaign_conversion=_campaign_conversion(ctx),
        repeat_customer_rate=_repeat_customer_rate(ctx),
        cost_per_conversation=_cost_per_conversation(ctx),
        revenue_attributed=_revenue_attributed(ctx),
        customer_lifetime_value=_customer_lifetime_value(ctx),
    )
