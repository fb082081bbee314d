"""A change: which stored scopes it touched (the organisation's, a team's, a person's), or every scope.

A subscriber's scope is touched when the change names it: the organisation's scope by any change; a team's by a
change naming the team (a conversation of the team, or assigned to one of its members, see `conversation_scopes`); a
person's own scope by a change naming them. A change that names no scope (None) touches everyone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from pantau.auth.scope import Scope
from pantau.models.enums import ScopeType


@dataclass(frozen=True)
class Change:
    # Why (ingest, aggregation, cache, settings, database): for logs and the bench, never for who is pushed.
    reason: str
    scopes: frozenset[tuple[ScopeType, str]] | None = None
    # When the change was committed (UNIX seconds), so a receiver can tell how long it travelled.
    at: float | None = None

    @classmethod
    def of(cls, reason: str, scopes: Iterable[tuple[ScopeType, str]] | None = None, at: float | None = None) -> Change:
        return cls(reason, None if scopes is None else frozenset(scopes), at)

    def encode(self) -> bytes:
        scopes = None if self.scopes is None else sorted([kind.value, key] for kind, key in self.scopes)
        return json.dumps({"reason": self.reason, "scopes": scopes, "at": self.at}).encode()

    @classmethod
    def decode(cls, raw: bytes | str) -> Change:
        """A change as published; ValueError when it is not one."""
        value = json.loads(raw)
        if not isinstance(value, dict) or not isinstance(value.get("reason"), str):
            raise ValueError("not a change")
        scopes = value.get("scopes")
        at = value.get("at")
        return cls.of(
            value["reason"],
            None if scopes is None else [(ScopeType(kind), str(key)) for kind, key in scopes],
            float(at) if isinstance(at, int | float) else None,
        )

    def touches(self, scope: Scope) -> bool:
        if self.scopes is None or scope.level == "all":
            return True
        if scope.level == "team":
            return any((ScopeType.team, team_id) in self.scopes for team_id in scope.team_ids)
        return (ScopeType.agent, scope.user_id) in self.scopes
