"""`GET /api/dashboard/filters`: the teams and people the caller may narrow the dashboard to (`teamId`, `agentId`).

Built from the same scope as the sections (SPEC §4), so every choice offered is one the sections accept: owners and
admins get every team and every active agent, supervisor and manager; a supervisor or manager gets their team and its
people; anyone with the agent's scope gets no team and only themselves.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import people_in_scope
from pantau.dashboard.per_agent import name_order
from pantau.dashboard.schemas import CamelModel
from pantau.models import Team, User

teams = Team.__table__
users = User.__table__


class TeamOption(CamelModel):
    id: str
    name: str


class AgentOption(CamelModel):
    id: str
    name: str
    team_id: str | None


class FilterOptions(CamelModel):
    teams: list[TeamOption]
    agents: list[AgentOption]


def _teams(connection: Connection, scope: Scope) -> list[TeamOption]:
    if scope.level == "own":
        return []
    query = select(teams.c.id, teams.c.name)
    if scope.level == "team":
        query = query.where(teams.c.id.in_(scope.team_ids))
    rows = connection.execute(query).all()
    return [TeamOption(id=row.id, name=row.name) for row in sorted(rows, key=lambda row: name_order(row.name, row.id))]


def _agents(connection: Connection, scope: Scope) -> list[AgentOption]:
    rows = connection.execute(
        select(users.c.id, users.c.full_name, users.c.team_id).where(people_in_scope(scope))
    ).all()
    ordered = sorted(rows, key=lambda row: name_order(row.full_name, row.id))
    return [AgentOption(id=row.id, name=row.full_name, team_id=row.team_id) for row in ordered]


def filter_options(connection: Connection, scope: Scope) -> FilterOptions:
    return FilterOptions(teams=_teams(connection, scope), agents=_agents(connection, scope))
