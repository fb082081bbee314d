"""Per-agent rows (SPEC §5.2, §5.5): one row per person in scope, also those with nothing to count.
conversation-effectiveness and agent-productivity read each person's share of the cohort from the same parts
(`SectionContext.parts.per_agent`), so an agent's response time and compliance agree between the two sections."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.sql import Subquery

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import people_in_scope
from pantau.models import User

users = User.__table__


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
