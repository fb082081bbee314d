"""The JSON shapes of the auth API (camelCase keys, as every Pantau response)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from pantau.auth.scope import ScopeLevel
from pantau.models.enums import Role


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ScopeOut(_CamelModel):
    level: ScopeLevel
    team_ids: list[str]


class MeOut(_CamelModel):
    id: str
    email: str
    full_name: str
    role: Role
    team_id: str | None
    scope: ScopeOut
