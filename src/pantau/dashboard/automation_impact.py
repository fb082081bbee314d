"""Automation impact (SPEC §5.6): what the chatbot handles, resolves, drops and saves.

Every figure is over the cohort (conversations created in the range, in scope) and its conversation facts, so
chatbot + hybrid + human is the cohort size and the same bot-engaged total stands behind the three rates.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql import Subquery

from pantau.core import numbers
from pantau.core.config import Settings
from pantau.dashboard.context import SectionContext
from pantau.dashboard.facts import cohort_facts, count_where
from pantau.dashboard.schemas import CamelModel, SectionResponse
from pantau.models import Message

messages = Message.__table__

# A bot-only conversation whose last word is the bot's, unanswered for longer than this, was dropped.
DROP_OFF_AFTER = timedelta(hours=1)
TOP_INTENTS = 10


class ChatbotVsHuman(CamelModel):
    chatbot: int
    hybrid: int
    human: int
    percentage: float | None


class AutoReplySuccess(CamelModel):
    total: int
    successful: int
    percentage: float | None


class DropOffRate(CamelModel):
    total: int
    dropped: int
    percentage: float | None


class IntentCount(CamelModel):
    intent: str
    count: int
    success_rate: float | None


class TimeSaved(CamelModel):
    hours: float
    estimated_cost: float
    currency: str
    minutes_per_conversation: float


class EscalationRate(CamelModel):
    total: int
    escalated: int
    percentage: float | None


class CsatComparison(CamelModel):
    bot_only: float | None
    hybrid: float | None
    human_only: float | None


class AutomationImpactResponse(SectionResponse):
    chatbot_vs_human: ChatbotVsHuman
    auto_reply_success: AutoReplySuccess
    drop_off_rate: DropOffRate
    top_intents: list[IntentCount]
    time_saved: TimeSaved
    escalation_rate: EscalationRate
    csat_comparison: CsatComparison


def _resolved_by_bot(facts: Subquery):
    return and_(facts.c.bot_only == 1, facts.c.resolved == 1)


def _time_saved_for(settings: Settings, resolved_by_bot: int) -> TimeSaved:
    minutes = settings.agent_minutes_per_conversation
    hours = numbers.ratio(resolved_by_bot * minutes, 60) or 0
    return TimeSaved(
        hours=numbers.round1(hours),
        estimated_cost=numbers.round2(hours * settings.agent_hourly_cost),
        currency=settings.currency,
        minutes_per_conversation=minutes,
    )


def time_saved(ctx: SectionContext) -> TimeSaved:
    """Bot-only conversations of the cohort that were resolved, each worth AGENT_MINUTES_PER_CONVERSATION of an
    agent's time at AGENT_HOURLY_COST."""
    facts = cohort_facts(ctx.scope, ctx.window.start, ctx.window.end)
    resolved_by_bot = ctx.connection.execute(
        select(count_where(_resolved_by_bot(facts))).select_from(facts)
    ).scalar_one()
    return _time_saved_for(ctx.settings, resolved_by_bot)


def escalation_rate(bot_engaged: int, escalated: int) -> EscalationRate:
    """The one escalation rate: escalated / bot-engaged conversations (SPEC §5.6)."""
    return EscalationRate(total=bot_engaged, escalated=escalated, percentage=numbers.percentage(escalated, bot_engaged))


def _last_message_at(facts: Subquery, sender_condition):
    return (
        select(func.max(messages.c.created_at))
        .where(messages.c.conversation_id == facts.c.id, sender_condition)
        .scalar_subquery()
    )


def _with_last_messages(facts: Subquery) -> Subquery:
    """The facts plus when the bot last wrote and when anyone else (customer, agent, system) last did."""
    return select(
        facts,
        _last_message_at(facts, messages.c.sender_type == "bot").label("last_bot_at"),
        _last_message_at(facts, messages.c.sender_type != "bot").label("last_other_at"),
    ).subquery("with_last_messages")


def _top_intents(ctx: SectionContext, facts: Subquery) -> list[IntentCount]:
    """Counted per intent in SQL; ranked here (count desc, then intent by code point) so that the order does not
    depend on the database's collation. Intents are the bot's label set: a short list."""
    rows = ctx.connection.execute(
        select(facts.c.intent, func.count(), count_where(_resolved_by_bot(facts)))
        .where(facts.c.intent.is_not(None))
        .group_by(facts.c.intent)
    ).all()
    ranked = sorted(rows, key=lambda row: (-row[1], row[0]))[:TOP_INTENTS]
    return [
        IntentCount(intent=intent, count=count, success_rate=numbers.percentage(resolved, count))
        for intent, count, resolved in ranked
    ]


def compute(ctx: SectionContext) -> AutomationImpactResponse:
    facts = cohort_facts(ctx.scope, ctx.window.start, ctx.window.end)
    latest = _with_last_messages(facts)
    f = latest.c
    dropped = and_(
        f.bot_only == 1,
        f.resolved == 0,
        f.last_bot_at < ctx.now - DROP_OFF_AFTER,
        or_(f.last_other_at.is_(None), f.last_other_at < f.last_bot_at),
    )
    row = ctx.connection.execute(
        select(
            func.count().label("cohort"),
            count_where(f.bot_only == 1).label("bot_only"),
            count_where(f.escalated == 1).label("escalated"),
            count_where(f.human_only == 1).label("human_only"),
            count_where(f.bot_engaged == 1).label("bot_engaged"),
            count_where(_resolved_by_bot(latest)).label("resolved_by_bot"),
            count_where(dropped).label("dropped"),
            func.avg(case((f.bot_only == 1, f.csat_score))).label("csat_bot_only"),
            func.avg(case((f.escalated == 1, f.csat_score))).label("csat_hybrid"),
            func.avg(case((f.human_only == 1, f.csat_score))).label("csat_human_only"),
        )
    ).one()
    return AutomationImpactResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        chatbot_vs_human=ChatbotVsHuman(
            chatbot=row.bot_only,
            hybrid=row.escalated,
            human=row.human_only,
            percentage=numbers.percentage(row.bot_only, row.cohort),
        ),
        auto_reply_success=AutoReplySuccess(
            total=row.bot_engaged,
            successful=row.resolved_by_bot,
            percentage=numbers.percentage(row.resolved_by_bot, row.bot_engaged),
        ),
        drop_off_rate=DropOffRate(
            total=row.bot_engaged, dropped=row.dropped, percentage=numbers.percentage(row.dropped, row.bot_engaged)
        ),
        top_intents=_top_intents(ctx, facts),
        time_saved=_time_saved_for(ctx.settings, row.resolved_by_bot),
        escalation_rate=escalation_rate(row.bot_engaged, row.escalated),
        csat_comparison=CsatComparison(
            bot_only=numbers.round1(row.csat_bot_only),
            hybrid=numbers.round1(row.csat_hybrid),
            human_only=numbers.round1(row.csat_human_only),
        ),
    )
