"""Conversation effectiveness (SPEC §5.2): how fast and how well the cohort's conversations are answered, per agent,
over time and against the SLA target.

Every figure is made of the cohort's additive parts (`metrics.parts`), read per agent and per bucket the same way
agent-productivity reads them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pantau.core import numbers
from pantau.dashboard.context import SectionContext
from pantau.dashboard.per_agent import name_order, people_with
from pantau.dashboard.schemas import (
    AgentBusinessTime,
    CamelModel,
    Comparison,
    SectionResponse,
    with_business_hours,
)
from pantau.metrics.parts import DELAY_BUCKETS, ConversationParts

# Ranges up to two days are shown hour by hour, longer ones day by day.
HOURLY_UP_TO = timedelta(hours=48)

FirstResponseBucket = Literal["<1m", "1-5m", "5-15m", "15-60m", "1-4h", ">4h", "unanswered"]


class AgentConversations(CamelModel):
    agent_id: str
    agent_name: str
    team_id: str | None
    count: int
    avg_response_time: float | None
    resolved: int
    resolution_rate: float | None
    sla_compliance: float | None
    below_threshold: bool  # judged on the business-time mean with business hours set
    business_time: AgentBusinessTime | None = with_business_hours()


class BucketBusinessTime(CamelModel):
    avg_seconds: float | None


class ResponseTimeBucket(CamelModel):
    timestamp: str
    avg_seconds: float | None
    count: int
    business_time: BucketBusinessTime | None = with_business_hours()


class SlaCompliance(CamelModel):
    percentage: float | None
    compliant: int
    non_compliant: int
    pending: int
    target_seconds: int


class ResolvedVsOpen(CamelModel):
    resolved: int
    open: int
    percentage: float | None


class FirstResponseCount(CamelModel):
    bucket: FirstResponseBucket
    count: int


class HandlingTime(CamelModel):
    """The average handling time: from the first agent response to the resolution, over the cohort conversations
    that have both (0 s for one resolved before its first response); `avgSeconds` null when `count` is 0."""

    avg_seconds: float | None  # first agent response -> resolution, mean over `count`
    count: int  # cohort conversations with a first agent response and a resolution


class MessagesPerConversation(CamelModel):
    """The cohort's messages (written at any time) by direction, and per conversation of the whole cohort (1
    decimal, null for an empty cohort)."""

    inbound: float | None  # inbound messages / cohort conversations
    outbound: float | None
    inbound_messages: int
    outbound_messages: int
    conversations: int


class ConversationEffectivenessResponse(SectionResponse):
    conversations_per_agent: list[AgentConversations]
    avg_response_time_over_time: list[ResponseTimeBucket]
    sla_compliance: SlaCompliance
    resolved_vs_open: ResolvedVsOpen
    first_response_distribution: list[FirstResponseCount]
    totals: Comparison
    handling_time: HandlingTime
    messages_per_conversation: MessagesPerConversation


def _conversations_per_agent(ctx: SectionContext) -> list[AgentConversations]:
    people = ctx.connection.execute(people_with(ctx.scope)).all()
    shares = ctx.parts.per_agent(ctx.window.start, ctx.window.end)
    target = ctx.settings.sla_first_response_seconds
    calendar = ctx.calendar
    agents = []
    for person in people:
        share = shares.get(person.agent_id, ConversationParts())
        avg_response_time = numbers.round1(share.avg_response_seconds)
        business = None
        if calendar is not None:
            business = AgentBusinessTime(avg_response_time=numbers.round1(share.avg_business_response_seconds))
        agents.append(
            AgentConversations(
                agent_id=person.agent_id,
                agent_name=person.agent_name,
                team_id=person.team_id,
                count=share.conversations,
                avg_response_time=avg_response_time,
                resolved=share.resolved,
                resolution_rate=share.resolution_rate,
                sla_compliance=share.sla_compliance,
                below_threshold=share.answered > 0 and share.avg_sla_response_seconds(calendar) > target,
                business_time=business,
            )
        )
    return sorted(agents, key=lambda agent: (-agent.count, *name_order(agent.agent_name, agent.agent_id)))


def _avg_response_time_over_time(ctx: SectionContext) -> list[ResponseTimeBucket]:
    granularity = ctx.window.granularity(HOURLY_UP_TO)
    by_bucket = ctx.parts.per_bucket(ctx.window, granularity)
    series = []
    for skeleton in ctx.window.buckets(granularity):
        parts = by_bucket.get(skeleton.key, ConversationParts())
        series.append(
            ResponseTimeBucket(
                timestamp=ctx.local_iso(skeleton.start),
                avg_seconds=numbers.round1(parts.avg_response_seconds),
                count=parts.answered,
                business_time=None
                if ctx.calendar is None
                else BucketBusinessTime(avg_seconds=numbers.round1(parts.avg_business_response_seconds)),
            )
        )
    return series


def compute(ctx: SectionContext) -> ConversationEffectivenessResponse:
    window = ctx.window
    cohort = ctx.parts.total(window.start, window.end)
    previous = ctx.parts.total(window.previous_start, window.previous_end)
    return ConversationEffectivenessResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        conversations_per_agent=_conversations_per_agent(ctx),
        avg_response_time_over_time=_avg_response_time_over_time(ctx),
        sla_compliance=SlaCompliance(
            percentage=cohort.sla_compliance,
            compliant=cohort.compliant,
            non_compliant=cohort.non_compliant,
            pending=cohort.pending,
            target_seconds=ctx.settings.sla_first_response_seconds,
        ),
        resolved_vs_open=ResolvedVsOpen(
            resolved=cohort.resolved,
            open=cohort.conversations - cohort.resolved,
            percentage=numbers.percentage(cohort.resolved, cohort.conversations),
        ),
        first_response_distribution=[
            *(
                FirstResponseCount(bucket=name, count=count)
                for (name, _, _), count in zip(DELAY_BUCKETS, cohort.delays, strict=True)
            ),
            FirstResponseCount(bucket="unanswered", count=cohort.unanswered),
        ],
        totals=Comparison(**numbers.comparison(cohort.conversations, previous.conversations, numbers.CONVERSATIONS_T)),
        handling_time=HandlingTime(
            avg_seconds=numbers.round1(cohort.avg_response_to_resolution_seconds), count=cohort.answered_resolved
        ),
        messages_per_conversation=MessagesPerConversation(
            inbound=numbers.round1(cohort.inbound_per_conversation),
            outbound=numbers.round1(cohort.outbound_per_conversation),
            inbound_messages=cohort.inbound_messages,
            outbound_messages=cohort.outbound_messages,
            conversations=cohort.conversations,
        ),
    )
