"""Who sees what (SPEC §4): the one place that turns a user into the scope every query, cache entry and export uses."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Literal, Protocol

from pantau.models.enums import Role, ScopeType

ScopeLevel = Literal["own", "team", "all"]

_ORGANISATION_ROLES = frozenset({Role.owner, Role.admin})
_TEAM_ROLES = frozenset({Role.supervisor, Role.manager})


class ScopedPerson(Protocol):
    """What a scope is decided from: a `users` row, or a caller already authenticated."""

    @property
    def id(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def team_id(self) -> str | None: ...


@dataclass(frozen=True)
class Scope:
    """The caller's resolved scope: `level` decides the rows they read, `role` the sections they may open.

    Rows, by level:
    - own: conversations assigned to `user_id`, their messages, tickets assigned to `user_id`;
    - team: conversations whose team is in `team_ids` or whose assignee belongs to one of them (and their messages,
      tickets, leads);
    - all: the whole organisation.

    Sections: agents get 403 on whatsapp-performance, automation-impact and business-impact; supervisors and
    managers with a team open them. A supervisor or manager without a team has the agent's scope (SPEC §4): the
    agent's rows and the agent's 403 on those three sections. The decision is taken on the caller's own scope,
    before any teamId/agentId filter narrows it.

    `cache_key` is everything a section's answer depends on besides its parameters: the rows (level and ids), and the
    phone-number masking, which is lifted for owner and admin only. A filter (teamId, agentId) narrows an owner's
    rows to a team's or a person's, but not their view of phone numbers, so the masking is part of the key.
    """

    level: ScopeLevel
    role: Role
    user_id: str
    team_ids: tuple[str, ...] = ()

    @property
    def cache_key(self) -> str:
        """Equal for two callers who see the same rows, different whenever the rows differ.

        Team ids are JSON-encoded so that no id, whatever characters the CRM put in it, can make two different team
        lists read alike.
        """
        if self.level == "all":
            rows = "all"
        elif self.level == "team":
            rows = "team:" + json.dumps(sorted(self.team_ids), separators=(",", ":"))
        else:
            rows = f"own:{self.user_id}"
        return f"{rows}|{'phones' if self.sees_phone_numbers else 'masked'}"

    @property
    def sees_phone_numbers(self) -> bool:
        """Phone numbers are shown in full to owners and admins only (SPEC §4)."""
        return self.role in _ORGANISATION_ROLES

    @property
    def can_read_management_sections(self) -> bool:
        """May open whatsapp-performance, automation-impact and business-impact: owners and admins, and supervisors
        and managers who have a team (without one they have the agent's scope, SPEC §4, and the agent's 403)."""
        return self.role in _ORGANISATION_ROLES or (self.role in _TEAM_ROLES and self.level == "team")


def resolve_scope(person: ScopedPerson) -> Scope:
    """Agent → own; supervisor or manager → their team, or own without one; owner and admin → all."""
    role = Role(person.role)
    if role in _ORGANISATION_ROLES:
        return Scope(level="all", role=role, user_id=person.id)
    if role in _TEAM_ROLES and person.team_id is not None:
        return Scope(level="team", role=role, user_id=person.id, team_ids=(person.team_id,))
    return Scope(level="own", role=role, user_id=person.id)


@functools.lru_cache(maxsize=65_536)
def conversation_scopes(
    team_id: str | None, assignee_id: str | None, assignee_team: str | None
) -> tuple[tuple[ScopeType, str], ...]:
    """The stored scopes a conversation counts in: the organisation (''), its assignee, its own team and its
    assignee's team where that differs (a team sees its conversations and those assigned to its members). Cached:
    runs ask it for every group of every hour, and there are only so many teams and people."""
    scopes: list[tuple[ScopeType, str]] = [(ScopeType.org, "")]
    if assignee_id is not None:
        scopes.append((ScopeType.agent, assignee_id))
    if team_id is not None:
        scopes.append((ScopeType.team, team_id))
    if assignee_team is not None and assignee_team != team_id:
        scopes.append((ScopeType.team, assignee_team))
    return tuple(scopes)
