"""`GET /api/settings` and `PATCH /api/settings`: the settings the business runs, for owners and admins (SPEC §8.5).

A change is saved and audited, then the dashboard's cached answers are dropped and every live page is pushed answers
under the new settings."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request

from pantau.auth.dependencies import AuthenticatedUser, CurrentUser, client_address, refuse_cross_site_post
from pantau.business_settings.keys import SettingRefused, structured, text
from pantau.business_settings.page import EDITORS
from pantau.business_settings.service import SettingChange, change_settings, describe_settings
from pantau.cache.store import StoreUnavailable
from pantau.core import clock
from pantau.core.database import release_connection
from pantau.dashboard.schemas import CamelModel
from pantau.realtime.changes import Change
from pantau.realtime.service import announce
from pantau.web.deps import DbSession, SettingsDep
from pantau.web.errors import ApiError, Refusal, error_responses

log = logging.getLogger("pantau.settings")

router = APIRouter(prefix="/api/settings", tags=["settings"])

_FORBIDDEN = "settings: only owners and admins may see or change the settings"


class SettingOut(CamelModel):
    key: str
    value: Any
    text: str
    source: Literal["database", "environment"]
    updated_at: datetime | None
    updated_by: str | None


class ChangeOut(CamelModel):
    key: str
    before: Any
    after: Any


class SettingsOut(CamelModel):
    settings: list[SettingOut]
    changes: list[ChangeOut] = []


def _editor(caller: CurrentUser) -> AuthenticatedUser:
    if caller.role not in EDITORS:
        raise ApiError(403, "forbidden", _FORBIDDEN)
    return caller


Editor = Annotated[AuthenticatedUser, Depends(_editor)]


def _signed_in_editor(editor: Editor) -> AuthenticatedUser:
    """API tokens only read (or send data): a change is made signed in, or with `pantau settings set`."""
    if editor.credential == "token":
        raise ApiError(403, "forbidden", "settings: API tokens cannot change settings; sign in, or use the CLI")
    return editor


SignedInEditor = Annotated[AuthenticatedUser, Depends(_signed_in_editor)]

_REFUSALS = error_responses(
    400,
    401,
    403,
    422,
    503,
    worded={
        400: Refusal(
            "A key that is no setting, or a value it cannot take. `detail` starts with the key's name.",
            "invalid_parameter",
            "business_hours: 'mon-fri 18:00-17:00' ends before it starts (example: mon-fri 08:00-17:00)",
        ),
        403: Refusal(
            "Only owners and admins may see or change the settings; a change is made signed in, not with an API token.",
            "forbidden",
            _FORBIDDEN,
        ),
    },
)


def _overview(session, settings, changes: list[SettingChange]) -> SettingsOut:
    views = describe_settings(session.connection(), settings)
    release_connection(session)
    return SettingsOut(
        settings=[
            SettingOut(
                key=view.key,
                value=structured(view.key, view.value),
                text=text(view.key, view.value),
                source=view.source,
                updated_at=None if view.updated_at is None else view.updated_at.astimezone(settings.zone),
                updated_by=view.updated_by,
            )
            for view in views
        ],
        changes=[ChangeOut(key=change.key, before=change.before, after=change.after) for change in changes],
    )


@router.get(
    "",
    response_model=SettingsOut,
    summary="The settings in force, and where each comes from (owner and admin)",
    responses=_REFUSALS,
)
def read_settings(_editor: Editor, session: DbSession, settings: SettingsDep) -> SettingsOut:
    return _overview(session, settings, [])


@router.patch(
    "",
    response_model=SettingsOut,
    summary="Change settings (owner and admin); each change is audited",
    description="A JSON object of keys (`sla_first_response_seconds`, `business_hours`, `holidays`, `peak_hours`, "
    "`cost_per_conversation`, `whatsapp_rates`, `currency`) to values, in their text form (as `pantau settings set` "
    "takes them) or as `GET` answers them; null puts a key back to the environment's value. Nothing is saved when "
    "any value is refused. Figures read from snapshots made under another SLA target are computed live until a "
    "backfill (their section says so in `outdatedSnapshots`).",
    dependencies=[Depends(refuse_cross_site_post)],
    responses=_REFUSALS,
)
def patch_settings(
    request: Request,
    editor: SignedInEditor,
    session: DbSession,
    settings: SettingsDep,
    changes: Annotated[
        dict[str, Any],
        Body(examples=[{"sla_first_response_seconds": 600, "business_hours": "mon-fri 08:00-17:00; sat 09:00-13:00"}]),
    ],
) -> SettingsOut:
    try:
        done = change_settings(
            session, settings, changes, user_id=editor.id, address=client_address(request), now=clock.now()
        )
    except SettingRefused as exc:
        raise ApiError(400, "invalid_parameter", exc.detail) from None
    if done:
        forget_cached_answers(request)
        announce(request.app, Change.of("settings"))
    return _overview(session, settings, done)


def forget_cached_answers(request: Request) -> None:
    try:
        request.app.state.cache.invalidate()
    except StoreUnavailable:
        # Answers also carry the settings they were computed under in their cache key: none is served stale.
        log.warning("the dashboard cache could not be invalidated after a settings change")
