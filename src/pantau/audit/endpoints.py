"""`GET /api/audit`: the audit log, for owners and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import WithJsonSchema

from pantau.audit import service
from pantau.auth.dependencies import CurrentUser
from pantau.dashboard.schemas import CamelModel
from pantau.models.enums import Role
from pantau.web.deps import DbSession, SettingsDep
from pantau.web.errors import ApiError, Refusal, error_responses

router = APIRouter(prefix="/api/audit", tags=["audit"])

_READERS = frozenset({Role.owner, Role.admin})
MAX_LIMIT = 500
# Far beyond any audit log, and inside every database's integer range: an offset past 2**63 - 1 cannot even be sent
# to PostgreSQL (bigint) or SQLite.
MAX_OFFSET = 1_000_000_000
# A query string has no null: the optional filters are documented as plain strings.
_TEXT = WithJsonSchema({"type": "string"})


class AuditEntry(CamelModel):
    id: int
    user_id: str | None
    user_email: str | None
    action: str
    parameters: dict | None
    address: str | None
    created_at: datetime


class AuditPage(CamelModel):
    total: int
    limit: int
    offset: int
    entries: list[AuditEntry]


@router.get(
    "",
    response_model=AuditPage,
    summary="Audit log, newest first (owner and admin)",
    responses=error_responses(
        400,
        401,
        403,
        422,
        503,
        worded={
            400: Refusal(
                "A NUL character in a parameter, named at the start of `detail`.",
                "invalid_parameter",
                "action: contains a NUL character",
            ),
            403: Refusal(
                "Only owners and admins may read the audit log.",
                "forbidden",
                "only owners and admins may read the audit log",
            ),
            422: f"limit outside 1..{MAX_LIMIT}, offset outside 0..{MAX_OFFSET:,}, or either not a whole number. "
            "`detail` starts with the parameter's name.",
        },
    ),
)
def list_audit_entries(
    caller: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    action: Annotated[str | None, Query(description="e.g. read:business-impact"), _TEXT] = None,
    user_id: Annotated[str | None, Query(alias="userId", description="entries of this user"), _TEXT] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="entries per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="entries to skip, newest first")] = 0,
) -> AuditPage:
    if caller.role not in _READERS:
        raise ApiError(403, "forbidden", "only owners and admins may read the audit log")
    # An empty filter is no filter (docs/decisions.md).
    total, rows = service.entries(session, action=action or None, user_id=user_id or None, limit=limit, offset=offset)
    return AuditPage(
        total=total,
        limit=limit,
        offset=offset,
        entries=[
            AuditEntry(
                id=row["id"],
                user_id=row["user_id"],
                user_email=row["email"],
                action=row["action"],
                parameters=row["parameters"],
                address=row["address"],
                created_at=row["created_at"].astimezone(settings.zone),
            )
            for row in rows
        ],
    )
