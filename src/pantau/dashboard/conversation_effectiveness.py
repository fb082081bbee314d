"""Conversation effectiveness (SPEC §5.2): how fast and how well the cohort's conversations are answered, per agent,
over time and against the SLA target.

The per-agent figures come from `per_agent`, the SLA counts from `sla`: agent-productivity reads the same ones.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from sqlalchemy import ColumnElement, RowMapping, and_, func, select
from sqlalchemy.sql import Subquery

from pantau.core import numbers
from pantau.core.sql import bucket_key
from pantau.dashboard.context import SectionContext
from pantau.dashboard.facts import cohort_facts, cohort_in_scope, count_where, response_seconds
from pantau.dashboard.per_agent import AgentConversationFigures, conversations_by_agent, name_order, people_with
from pantau.dashboard.schemas import CamelModel, Comparison, SectionResponse
from pantau.dashboard.sla import sla_counts, sla_percentage

# Ranges up to two days are shown hour by hour, longer ones day by day.
HOURLY_UP_TO = timedelta(hours=48)

FirstResponseBucket = Literal["<1m", "1-5m", "5-15m", "15-60m", "1-4h", ">4h", "unanswered"]

# First-response delays in seconds, [lower, upper): 60 s is "1-5m", 4 h is ">4h".
DELAY_BUCKETS: tuple[tuple[FirstResponseBucket, int, int | None], ...] = (
    ("<1m", 0, 60),
    ("1-5m", 60, 300),
    ("5-15m", 300, 900),
    ("15-60m", 900, 3600),
    ("1-4h", 3600, 14400),
    (">4h", 14400, None),
)


class AgentConversations(CamelModel):
    agent_id: str
    agent_name: str
    team_id: str | None
    count: int
    avg_response_time: float | None
    resolved: int
    resolution_rate: float | None
    sla_compliance: float | None
    below_threshold: bool


class ResponseTimeBucket(CamelModel):
    timestamp: str
    avg_seconds: float | None
    count: int


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


class ConversationEffectivenessResponse(SectionResponse):
    conversations_per_agent: list[AgentConversations]
    avg_response_time_over_time: list[ResponseTimeBucket]
    sla_compliance: SlaCompliance
    resolved_vs_open: ResolvedVsOpen
    first_response_distribution: list[FirstResponseCount]
    totals: Comparison


def _conversations_per_agent(ctx: SectionContext, facts: Subquery) -> list[AgentConversations]:
    rows = ctx.connection.execute(people_with(ctx.scope, conversations_by_agent(ctx, facts))).all()
    target = ctx.settings.sla_first_response_seconds
    agents = []
    for row in rows:
        figures = AgentConversationFigures.of(row)
        agents.append(
            AgentConversations(
                agent_id=row.agent_id,
                agent_name=row.agent_name,
                team_id=row.team_id,
                count=figures.count,
                avg_response_time=figures.avg_response_time,
                resolved=figures.resolved,
                resolution_rate=figures.resolution_rate,
                sla_compliance=figures.sla_compliance,
                below_threshold=figures.avg_response_time is not None and figures.avg_response_time > target,
            )
        )
    return sorted(agents, key=lambda agent: (-agent.count, *name_order(agent.agent_name, agent.agent_id)))


def _avg_response_time_over_time(ctx: SectionContext, facts: Subquery) -> list[ResponseTimeBucket]:
    granularity = ctx.window.granularity(HOURLY_UP_TO)
    bucket = bucket_key(facts.c.created_at, ctx.window, granularity)
    frt = response_seconds(facts)
    rows = ctx.connection.execute(select(bucket, func.avg(frt), func.count(frt)).group_by(bucket)).all()
    by_bucket = {key: (mean, answered) for key, mean, answered in rows}
    series = []
    for skeleton in ctx.window.buckets(granularity):
        mean, answered = by_bucket.get(skeleton.key, (None, 0))
        timestamp = ctx.local_iso(skeleton.start)
        series.append(ResponseTimeBucket(timestamp=timestamp, avg_seconds=numbers.round1(mean), count=answered))
    return series


def _delay_between(frt: ColumnElement[float], lower: int, upper: int | None) -> ColumnElement[bool]:
    return frt >= lower if upper is None else and_(frt >= lower, frt < upper)


def _cohort_counts(ctx: SectionContext, facts: Subquery) -> RowMapping:
    """Every whole-cohort count in one pass: size, resolved, the SLA counts, the first-response buckets."""
    frt = response_seconds(facts)
    return (
        ctx.connection.execute(
            select(
                func.count().label("cohort"),
                count_where(facts.c.resolved == 1).label("resolved"),
                *sla_counts(facts, ctx.now, ctx.settings.sla_first_response_seconds),
                *(count_where(_delay_between(frt, lower, upper)).label(name) for name, lower, upper in DELAY_BUCKETS),
                count_where(facts.c.unanswered == 1).label("unanswered"),
            )
        )
        .mappings()
        .one()
    )


def _previous_cohort_size(ctx: SectionContext) -> int:
    window = ctx.window
    return ctx.connection.execute(
        select(func.count()).where(cohort_in_scope(ctx.scope, window.previous_start, window.previous_end))
    ).scalar_one()


def compute(ctx: SectionContext) -> ConversationEffectivenessResponse:
    facts = cohort_facts(ctx.scope, ctx.window.start, ctx.window.end)
    counts = _cohort_counts(ctx, facts)
    distribution = [name for name, _, _ in DELAY_BUCKETS] + ["unanswered"]
    return ConversationEffectivenessResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        conversations_per_agent=_conversations_per_agent(ctx, facts),
        avg_response_time_over_time=_avg_response_time_over_time(ctx, facts),
        sla_compliance=SlaCompliance(
            percentage=sla_percentage(counts["compliant"], counts["non_compliant"]),
            compliant=counts["compliant"],
            non_compliant=counts["non_compliant"],
            pending=counts["pending"],
            target_seconds=ctx.settings.sla_first_response_seconds,
        ),
        resolved_vs_open=ResolvedVsOpen(
            resolved=counts["resolved"],
            open=counts["cohort"] - counts["resolved"],
            percentage=numbers.percentage(counts["resolved"], counts["cohort"]),
        ),
        first_response_distribution=[FirstResponseCount(bucket=name, count=counts[name]) for name in distribution],
        totals=Comparison(
            **numbers.comparison(counts["cohort"], _previous_cohort_size(ctx), numbers.CONVERSATIONS_T)
        ),
    )
