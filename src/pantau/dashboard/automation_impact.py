"""Automation impact (SPEC §5.6): what the chatbot handles, resolves, drops and saves.

Every figure is made of the cohort's additive parts (conversations created in the range, in scope), so
chatbot + hybrid + human is the cohort size and the same bot-engaged total stands behind the three rates. A
conversation is dropped as `metrics.parts.DROP_OFF_AFTER` defines it.
"""

from __future__ import annotations

from pantau.core import numbers
from pantau.core.config import Settings
from pantau.dashboard.context import SectionContext
from pantau.dashboard.schemas import CamelModel, SectionResponse
from pantau.metrics.parts import ConversationParts

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
    cohort = ctx.parts.total(ctx.window.start, ctx.window.end)
    return _time_saved_for(ctx.settings, cohort.bot_only_resolved)


def escalation_rate(bot_engaged: int, escalated: int) -> EscalationRate:
    """The one escalation rate: escalated / bot-engaged conversations (SPEC §5.6)."""
    return EscalationRate(total=bot_engaged, escalated=escalated, percentage=numbers.percentage(escalated, bot_engaged))


def _top_intents(cohort: ConversationParts) -> list[IntentCount]:
    """Ranked by count desc, then intent by code point, so that the order does not depend on a database collation."""
    ranked = sorted(cohort.intents.items(), key=lambda item: (-item[1][0], item[0]))[:TOP_INTENTS]
    return [
        IntentCount(intent=intent, count=count, success_rate=numbers.percentage(resolved, count))
        for intent, (count, resolved) in ranked
    ]


def _mean_score(total: int, count: int) -> float | None:
    return numbers.round1(numbers.ratio(total, count))


def compute(ctx: SectionContext) -> AutomationImpactResponse:
    cohort = ctx.parts.total(ctx.window.start, ctx.window.end)
    return AutomationImpactResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        chatbot_vs_human=ChatbotVsHuman(
            chatbot=cohort.bot_only,
            hybrid=cohort.escalated,
            human=cohort.human_only,
            percentage=numbers.percentage(cohort.bot_only, cohort.conversations),
        ),
        auto_reply_success=AutoReplySuccess(
            total=cohort.bot_engaged,
            successful=cohort.bot_only_resolved,
            percentage=numbers.percentage(cohort.bot_only_resolved, cohort.bot_engaged),
        ),
        drop_off_rate=DropOffRate(
            total=cohort.bot_engaged,
            dropped=cohort.dropped,
            percentage=numbers.percentage(cohort.dropped, cohort.bot_engaged),
        ),
        top_intents=_top_intents(cohort),
        time_saved=_time_saved_for(ctx.settings, cohort.bot_only_resolved),
        escalation_rate=escalation_rate(cohort.bot_engaged, cohort.escalated),
        csat_comparison=CsatComparison(
            bot_only=_mean_score(cohort.csat_bot_only_sum, cohort.csat_bot_only_count),
            hybrid=_mean_score(cohort.csat_hybrid_sum, cohort.csat_hybrid_count),
            human_only=_mean_score(cohort.csat_human_only_sum, cohort.csat_human_only_count),
        ),
    )
