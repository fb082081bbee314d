"""`GET /api/export/summary.pdf`: the executive summary for the caller's range, filters and language.

The parameters are checked exactly as a section's are (same range names, same 400/403/404), with a default range of
`7d`: a summary is read once a week more often than once a day (docs/decisions.md)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import WithJsonSchema

from pantau.audit import service as audit
from pantau.auth.dependencies import CurrentUser, client_address
from pantau.core import clock
from pantau.core.database import release_connection
from pantau.core.windows import local_date
from pantau.dashboard.router import SECTION_REFUSALS, SECTIONS, SectionRequest, section_request
from pantau.reports.figures import summary_figures
from pantau.reports.pdf import FontMissing, render_summary
from pantau.web.deps import DbSession, ReadsDep
from pantau.web.errors import ApiError
from pantau.web.i18n import LANGUAGES, Language, default_language, is_language

router = APIRouter(prefix="/api/export", tags=["export"])

SUMMARY_DEFAULT_RANGE = "7d"
# Checked like a ranged section that agents may open: their summary leaves out the management sections.
_SUMMARY = dataclasses.replace(
    SECTIONS["conversation-effectiveness"], name="summary", default_range=SUMMARY_DEFAULT_RANGE
)

_LANG = WithJsonSchema({"type": "string", "enum": [*LANGUAGES, ""]})


def summary_language(
    request: Request,
    lang: Annotated[str | None, Query(description="id or en; default: the organisation's language"), _LANG] = None,
) -> Language:
    if not lang:
        return default_language(request.app.state.settings)
    if not is_language(lang):
        raise ApiError(400, "invalid_parameter", f"lang: must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


@router.get(
    "/summary.pdf",
    summary="The executive summary as an A4 PDF",
    description="KPIs with comparisons, charts, top and bottom agents, WhatsApp health, automation and business "
    "figures with their definitions, for the range (default `7d`), filters and scope of the caller. Every figure is "
    "the one the JSON API answers for the same parameters. Every download is written to the audit log.",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The PDF"}, **SECTION_REFUSALS},
)
def read_summary_pdf(
    request: Request,
    caller: CurrentUser,
    session: DbSession,
    reads: ReadsDep,
    checked: Annotated[SectionRequest, Depends(section_request(_SUMMARY))],
    language: Annotated[Language, Depends(summary_language)],
) -> Response:
    figures = summary_figures(
        session.connection(), request.app.state.cache, checked.scope, checked.window, checked.settings, reads
    )
    audit.record(
        session,
        user_id=caller.id,
        action="export:summary.pdf",
        parameters=dict(request.query_params),
        address=client_address(request),
    )
    release_connection(session)
    try:
        document = render_summary(figures, language, clock.now())
    except FontMissing as exc:  # a deployment without Debian's fonts-dejavu-core: say so, not a bare 500
        raise ApiError(503, "fonts_missing", str(exc)) from None
    day = local_date(checked.window.now, checked.window.zone)
    filename = f"pantau-summary-{checked.window.preset or 'custom'}-{day}.pdf"
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
