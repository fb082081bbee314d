"""`GET /`: the dashboard page. The server renders the frame (header, filters, one panel per section the caller may
open); the page script fills the panels from the section APIs and refreshes them.

Only the sections the caller's role may read are on the page, so the script never requests one that would answer 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pantau.auth.dependencies import CurrentPageUser
from pantau.dashboard.router import SECTIONS
from pantau.web.assets import DASHBOARD_MODULES, PLOTLY_SCRIPT, asset_url
from pantau.web.deps import SettingsDep
from pantau.web.pages import templates

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 30


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, caller: CurrentPageUser, settings: SettingsDep) -> HTMLResponse:
    sections = [
        section.name
        for section in SECTIONS.values()
        if not section.management or caller.scope.can_read_management_sections
    ]
    page = {"timezone": settings.timezone, "refreshSeconds": REFRESH_SECONDS}
    context = {
        "caller": caller,
        "sections": sections,
        "page": page,
        "plotly_url": asset_url(PLOTLY_SCRIPT),
        "modules": DASHBOARD_MODULES,
    }
    return templates.TemplateResponse(request, "dashboard.html", context)
