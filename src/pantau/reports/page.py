"""`GET /reports`: the schedules page. The server renders the frame and the banner when SMTP is not configured; the
page script lists schedules and their runs from `/api/reports/schedules` and makes and deletes them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pantau.auth.dependencies import CurrentPageUser
from pantau.models.enums import Role
from pantau.reports.cadence import WEEKDAYS
from pantau.reports.figures import SUMMARY_PARTS
from pantau.web.deps import SettingsDep
from pantau.web.pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, caller: CurrentPageUser, settings: SettingsDep) -> Response:
    if caller.role is Role.agent:
        # Agents make no schedules (SPEC §8.4); their dashboard has the PDF button.
        return RedirectResponse("/", status_code=303)
    context = {
        "caller": caller,
        "smtp_configured": settings.smtp_configured,
        "weekdays": WEEKDAYS,
        "timezone": settings.timezone,
        "parts": SUMMARY_PARTS,
    }
    return templates.TemplateResponse(request, "reports.html", context)
