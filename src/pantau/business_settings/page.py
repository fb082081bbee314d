"""`GET /settings`: the settings page, for owners and admins. The server renders the form's frame; the page script
fills it from `GET /api/settings` and saves through `PATCH /api/settings`, showing a refusal as the API words it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pantau.auth.dependencies import CurrentPageUser
from pantau.business_settings.keys import KEYS
from pantau.models.enums import Role
from pantau.web.deps import SettingsDep
from pantau.web.pages import templates

router = APIRouter(include_in_schema=False)

EDITORS = frozenset({Role.owner, Role.admin})


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, caller: CurrentPageUser, settings: SettingsDep) -> Response:
    if caller.role not in EDITORS:
        # Only owners and admins run the business's settings (SPEC §8.5); the others' dashboard has no link here.
        return RedirectResponse("/", status_code=303)
    context = {"caller": caller, "keys": list(KEYS.values()), "timezone": settings.timezone}
    return templates.TemplateResponse(request, "settings.html", context)
