"""Scope in SQL (SPEC §4): the conditions every dashboard query starts from, and the teamId/agentId filters.

- own: conversations assigned to the scope's user, their messages, tickets assigned to them, their status logs;
- team: conversations whose team is one of `team_ids` or whose assignee is a member of one (and their messages,
  tickets and leads);
- all: everything.

Unassigned conversations count in team and organisation totals, never in a per-agent row (per-agent rows join on
`assigned_to`).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import ColumnElement, Connection, FromClause, Select, and_, false, or_, select, true

from pantau.auth.scope import Scope
from pantau.models import AgentActivityLog, AlertRule, Conversation, Lead, Message, Team, Ticket, User
from pantau.models.enums import Role

conversations = Conversation.__table__
messages = Message.__table__
tickets = Ticket.__table__
leads = Lead.__table__
users = User.__table__
activity_logs = AgentActivityLog.__table__

# The people who get a row in per-agent tables.
AGENT_ROLES = (Role.agent.value, Role.supervisor.value, Role.manager.value)


class ScopeRefused(Exception):
    """A filter outside the caller's scope (403) or naming nobody (404); `parameter` names the filter."""

    def __init__(self, status: int, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.parameter = parameter
        self.detail = detail


def _team_members(team_ids: tuple[str, ...]) -> Select:
    return select(users.c.id).where(users.c.team_id.in_(team_ids))


def _owned_by(scope: Scope, team_column, assignee_column) -> ColumnElement[bool]:
    if scope.level == "all":
        return true()
    if scope.level == "team":
        return or_(team_column.in_(scope.team_ids), assignee_column.in_(_team_members(scope.team_ids)))
    return assignee_column == scope.user_id


def conversations_in_scope(scope: Scope, table: FromClause = conversations) -> ColumnElement[bool]:
    """The scope's conversations; `table` is `conversations` or an alias of it."""
    return _owned_by(scope, table.c.team_id, table.c.assigned_to)


def conversation_ids_in_scope(scope: Scope) -> Select:
    return select(conversations.c.id).where(conversations_in_scope(scope))


def messages_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Messages of the conversations in scope."""
    if scope.level == "all":
        return true()
    return messages.c.conversation_id.in_(conversation_ids_in_scope(scope))


def tickets_in_scope(scope: Scope) -> ColumnElement[bool]:
    """own: tickets assigned to the user. team: the tickets of the team's conversations; a ticket tied to no
    conversation belongs to the team by its own team or assignee."""
    if scope.level != "team":
        return _owned_by(scope, tickets.c.team_id, tickets.c.assigned_to)
    return or_(
        tickets.c.conversation_id.in_(conversation_ids_in_scope(scope)),
        and_(tickets.c.conversation_id.is_(None), _owned_by(scope, tickets.c.team_id, tickets.c.assigned_to)),
    )


def leads_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Leads of the conversations in scope (all leads for the organisation)."""
    if scope.level == "all":
        return true()
    return leads.c.conversation_id.in_(conversation_ids_in_scope(scope))


def people_in_scope(scope: Scope) -> ColumnElement[bool]:
    """The active agents, supervisors and managers who get a row in per-agent tables."""
    person = and_(users.c.is_active.is_(True), users.c.role.in_(AGENT_ROLES))
    if scope.level == "all":
        return person
    if scope.level == "team":
        return and_(person, users.c.team_id.in_(scope.team_ids))
    return and_(person, users.c.id == scope.user_id)


def alert_rules_in_scope(scope: Scope) -> ColumnElement[bool]:
    """The alert rules whose scope the caller's covers: every rule for the organisation's scope, a team's rules for
    that team's supervisors and managers, none for an agent's own scope (docs/decisions.md)."""
    rules = AlertRule.__table__
    if scope.level == "all":
        return true()
    if scope.level == "team":
        return rules.c.team_id.in_(scope.team_ids)
    return false()


def activity_in_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.level == "all":
        return true()
    if scope.level == "team":
        return activity_logs.c.agent_id.in_(_team_members(scope.team_ids))
    return activity_logs.c.agent_id == scope.user_id


def narrow_scope(connection: Connection, scope: Scope, team_id: str | None, agent_id: str | None) -> Scope:
    """Apply the `teamId` and `agentId` filters: each narrows to that team's or person's scope and must lie inside
    the caller's, else ScopeRefused(403). An id that names nothing is 404 for owners and admins, 403 for the rest
    (they may not learn which ids exist outside their scope).

    With both, the agent must belong to the team; the result is the agent's own scope.
    """
    narrowed = scope
    if team_id is not None:
        narrowed = _narrow_to_team(connection, scope, team_id)
    if agent_id is not None:
        narrowed = _narrow_to_agent(connection, scope, agent_id, team_id)
    return narrowed


def _refuse(scope: Scope, parameter: str, what: str) -> ScopeRefused:
    if scope.level == "all":
        return ScopeRefused(404, parameter, f"{parameter}: no {what} with this id")
    return ScopeRefused(403, parameter, f"{parameter}: this {what} is outside what you may see")


def _narrow_to_team(connection: Connection, scope: Scope, team_id: str) -> Scope:
    exists_ = connection.execute(select(Team.__table__.c.id).where(Team.__table__.c.id == team_id)).first()
    if exists_ is None:
        raise _refuse(scope, "teamId", "team")
    if scope.level == "own" or (scope.level == "team" and team_id not in scope.team_ids):
        raise ScopeRefused(403, "teamId", "teamId: this team is outside what you may see")
    return replace(scope, level="team", team_ids=(team_id,))


def _narrow_to_agent(connection: Connection, scope: Scope, agent_id: str, team_id: str | None) -> Scope:
    person = connection.execute(select(users.c.id, users.c.team_id).where(users.c.id == agent_id)).first()
    if person is None:
        raise _refuse(scope, "agentId", "agent")
    inside = (
        scope.level == "all"
        or (scope.level == "team" and person.team_id in scope.team_ids)
        or (scope.level == "own" and agent_id == scope.user_id)
    )
    if not inside:
        raise ScopeRefused(403, "agentId", "agentId: this agent is outside what you may see")
    if team_id is not None and person.team_id != team_id:
        raise ScopeRefused(400, "agentId", "agentId: this agent is not a member of teamId")
    return replace(scope, level="own", user_id=agent_id, team_ids=())
