"""Per-agent rows (SPEC §5.2, §5.5): one row per person in scope, also those with nothing to count, and the cohort's
conversation figures read per assignee. conversation-effectiveness and agent-productivity share them, so an agent's
response time and compliance agree between the two sections."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Label, Row, Select, func, select
from sqlalchemy.sql import Subquery

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import people_in_scope
from pantau.core import numbers
from pantau.dashboard.context import SectionContext
from pantau.dashboard.facts import count_where, response_seconds
from pantau.dashboard.sla import sla_counts, sla_percentage
from pantau.models import User

users = User.__table__


def conversations_by_agent(ctx: SectionContext, facts: Subquery, *figures: Label) -> Subquery:
    """The cohort grouped by assignee (`agent_id`): conversations, resolved, mean FRT, the SLA counts, and any
    further `figures`. Unassigned conversations form no group."""
    return (
        select(
            facts.c.assigned_to.label("agent_id"),
            func.count().label("conversations"),
            count_where(facts.c.resolved == 1).label("resolved"),
            func.avg(response_seconds(facts)).label("avg_response_seconds"),
            *sla_counts(facts, ctx.now, ctx.settings.sla_first_response_seconds),
            *figures,
        )
        .where(facts.c.assigned_to.is_not(None))
        .group_by(facts.c.assigned_to)
        .subquery("conversations_by_agent")
    )


def people_with(scope: Scope, *per_agent: Subquery) -> Select:
    """One row per person in scope, also those without any figures: agent_id, agent_name, team_id and the columns
    of each per-agent aggregate (keyed `agent_id`, LEFT JOINed, so null for a person it has no row for)."""
    joined = users
    figures = []
    for aggregate in per_agent:
        joined = joined.outerjoin(aggregate, aggregate.c.agent_id == users.c.id)
        figures.extend(column for column in aggregate.c if column.name != "agent_id")
    return (
        select(users.c.id.label("agent_id"), users.c.full_name.label("agent_name"), users.c.team_id, *figures)
        .select_from(joined)
        .where(people_in_scope(scope))
    )


def name_order(agent_name: str, agent_id: str) -> tuple[str, str, str]:
    """Alphabetical regardless of case, the same on both databases (their collations differ); the id breaks ties."""
    return agent_name.casefold(), agent_name, agent_id


@dataclass(frozen=True)
class AgentConversationFigures:
    """One person's share of the cohort, read from a `conversations_by_agent` row (all null without conversations)."""

    count: int
    resolved: int
    avg_response_time: float | None
    compliant: int
    non_compliant: int

    @classmethod
    def of(cls, row: Row) -> AgentConversationFigures:
        return cls(
            count=row.conversations or 0,
            resolved=row.resolved or 0,
            avg_response_time=numbers.round1(row.avg_response_seconds),
            compliant=row.compliant or 0,
            non_compliant=row.non_compliant or 0,
        )

    @property
    def resolution_rate(self) -> float | None:
        return numbers.percentage(self.resolved, self.count)

    @property
    def sla_compliance(self) -> float | None:
        return sla_percentage(self.compliant, self.non_compliant)
