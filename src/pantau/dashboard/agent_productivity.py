"""Agent productivity (SPEC §5.5): one row per agent in scope — the cohort they handled, the messages they sent, their
time online and away, their status now — with a productivity score, a rank and, where there is enough volume to judge
it, a workload label.

The conversation figures (chats, resolved, response time, SLA compliance) are conversation-effectiveness's, read per
agent the same way (`per_agent`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal, get_args

from sqlalchemy import case, func, literal, select
from sqlalchemy.sql import Subquery

from pantau.auth.scope_sql import activity_in_scope
from pantau.core import numbers
from pantau.core.sql import seconds_between
from pantau.dashboard import activity
from pantau.dashboard.context import SectionContext
from pantau.dashboard.kpi import active_now
from pantau.dashboard.per_agent import name_order, people_with
from pantau.dashboard.schemas import AgentBusinessTime, CamelModel, SectionResponse, with_business_hours
from pantau.metrics.parts import ConversationParts
from pantau.models import AgentActivityLog, Conversation, Message, User

conversations = Conversation.__table__
messages = Message.__table__
users = User.__table__
activity_logs = AgentActivityLog.__table__

AgentStatus = Literal["online", "away", "offline"]
Workload = Literal["balanced", "overloaded", "underutilized"]

# Workload against the mean m of chats handled over the rows: overloaded above 1.3 m, underutilized below 0.7 m.
OVERLOADED_ABOVE = Fraction(13, 10)
UNDERUTILIZED_BELOW = Fraction(7, 10)
# ... but only where that says something: one row compared with itself, or a handful of chats spread over the team
# (3 chats among 15 people made 2 "overloaded" and 13 "underutilized"), gets no workload at all.
WORKLOAD_MIN_ROWS = 2
WORKLOAD_MIN_MEAN_CHATS = 5


class AgentMetrics(CamelModel):
    agent_id: str
    agent_name: str
    team_id: str | None
    chats_handled: int
    resolved: int
    resolution_rate: float | None
    avg_response_time: float | None
    avg_handling_time: float | None
    messages_sent: int
    active_time: float
    idle_time: float
    status: AgentStatus
    status_duration: float | None
    open_load: int
    csat: float | None
    productivity_score: int
    rank: int
    workload: Workload | None
    business_time: AgentBusinessTime | None = with_business_hours()


class WorkloadDistribution(CamelModel):
    balanced: int
    overloaded: int
    underutilized: int


class StatusSummary(CamelModel):
    online: int
    away: int
    offline: int


class AgentProductivityResponse(SectionResponse):
    agent_metrics: list[AgentMetrics]
    workload_distribution: WorkloadDistribution
    status_summary: StatusSummary


def _time_by_status(ctx: SectionContext) -> Subquery:
    """Seconds online and away per agent, each log clipped to [start, min(end, now)]; a log still open runs to the
    clip's end. A range that starts after `now` clips every log to nothing."""
    logs = activity_logs.c
    seconds = activity.seconds_inside(ctx.window)
    return (
        select(
            logs.agent_id,
            func.sum(case((logs.status == "online", seconds), else_=0)).label("active_seconds"),
            func.sum(case((logs.status == "away", seconds), else_=0)).label("idle_seconds"),
        )
        .where(activity_in_scope(ctx.scope), activity.overlaps(ctx.window))
        .group_by(logs.agent_id)
        .subquery("time_by_status")
    )


def _current_status(ctx: SectionContext) -> Subquery:
    """Each agent's open log (the latest, should the CRM have left several open) and how long it has run."""
    logs = activity_logs.c
    latest_first = func.row_number().over(partition_by=logs.agent_id, order_by=(logs.started_at.desc(), logs.id.desc()))
    open_logs = (
        select(logs.agent_id, logs.status, logs.started_at, latest_first.label("latest_first"))
        .where(activity_in_scope(ctx.scope), logs.ended_at.is_(None), logs.started_at <= ctx.now)
        .subquery("open_logs")
    )
    return (
        select(
            open_logs.c.agent_id,
            open_logs.c.status,
            seconds_between(literal(ctx.now, logs.started_at.type), open_logs.c.started_at).label("status_seconds"),
        )
        .where(open_logs.c.latest_first == 1)
        .subquery("current_status")
    )


def _open_load(ctx: SectionContext) -> Subquery:
    """Conversations assigned to each agent that are open or pending now, whenever they were created."""
    return (
        select(conversations.c.assigned_to.label("agent_id"), func.count().label("open_load"))
        .where(active_now(ctx.scope))
        .group_by(conversations.c.assigned_to)
        .subquery("open_load")
    )


def productivity_score(share: ConversationParts, most_chats: int) -> int:
    """round(40 x resolutionRate / 100 + 30 x slaCompliance / 100 + 30 x chatsHandled / most chats of any row), with
    the row's own 1-decimal percentages as SPEC §5.5 writes it; a part without data counts 0; halves rounded up."""
    resolution = Fraction(str(share.resolution_rate)) / 100 if share.resolution_rate is not None else 0
    compliance = Fraction(str(share.sla_compliance)) / 100 if share.sla_compliance is not None else 0
    volume = Fraction(share.conversations, most_chats) if most_chats else 0
    return math.floor(40 * resolution + 30 * compliance + 30 * volume + Fraction(1, 2))


def judges_workload(row_count: int, mean: Fraction) -> bool:
    """Whether the rows carry enough volume for a workload label: at least WORKLOAD_MIN_ROWS rows and a mean of at
    least WORKLOAD_MIN_MEAN_CHATS chats handled."""
    return row_count >= WORKLOAD_MIN_ROWS and mean >= WORKLOAD_MIN_MEAN_CHATS


def workload(chats: int, mean: Fraction) -> Workload:
    """Against the mean of chats handled over the rows (SPEC §5.5)."""
    if chats > OVERLOADED_ABOVE * mean:
        return "overloaded"
    if chats < UNDERUTILIZED_BELOW * mean:
        return "underutilized"
    return "balanced"


def _agent_metrics(ctx: SectionContext) -> list[AgentMetrics]:
    query = people_with(
        ctx.scope,
        _time_by_status(ctx),
        _current_status(ctx),
        _open_load(ctx),
    )
    shares = ctx.parts.per_agent(ctx.window.start, ctx.window.end)
    # Agent messages each person sent in the range, in the conversations of the scope.
    sent_by = ctx.parts.message_parts(ctx.window.start, ctx.window.end).sent_by
    rows = [(row, shares.get(row.agent_id, ConversationParts())) for row in ctx.connection.execute(query)]
    most_chats = max((share.conversations for _, share in rows), default=0)
    mean_chats = Fraction(sum(share.conversations for _, share in rows), len(rows) or 1)
    judged = judges_workload(len(rows), mean_chats)
    scored = sorted(
        ((productivity_score(share, most_chats), row, share) for row, share in rows),
        key=lambda entry: (-entry[0], *name_order(entry[1].agent_name, entry[1].agent_id)),
    )
    return [
        AgentMetrics(
            agent_id=row.agent_id,
            agent_name=row.agent_name,
            team_id=row.team_id,
            chats_handled=share.conversations,
            resolved=share.resolved,
            resolution_rate=share.resolution_rate,
            avg_response_time=numbers.round1(share.avg_response_seconds),
            business_time=None
            if ctx.calendar is None
            else AgentBusinessTime(avg_response_time=numbers.round1(share.avg_business_response_seconds)),
            avg_handling_time=numbers.round1(share.avg_handling_seconds),
            messages_sent=sent_by.get(row.agent_id, 0),
            active_time=numbers.round1(row.active_seconds or 0),
            idle_time=numbers.round1(row.idle_seconds or 0),
            status=str(row.status) if row.status is not None else "offline",
            status_duration=numbers.round1(row.status_seconds),
            open_load=row.open_load or 0,
            csat=numbers.round1(share.csat),
            productivity_score=score,
            rank=rank,
            workload=workload(share.conversations, mean_chats) if judged else None,
        )
        for rank, (score, row, share) in enumerate(scored, start=1)
    ]


def compute(ctx: SectionContext) -> AgentProductivityResponse:
    agents = _agent_metrics(ctx)
    workloads = [agent.workload for agent in agents]
    statuses = [agent.status for agent in agents]
    return AgentProductivityResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        agent_metrics=agents,
        workload_distribution=WorkloadDistribution(**{name: workloads.count(name) for name in get_args(Workload)}),
        status_summary=StatusSummary(**{name: statuses.count(name) for name in get_args(AgentStatus)}),
    )
