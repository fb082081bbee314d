"""`GET /api/export/conversations` and `GET /api/dashboard/<section>/export` (SPEC §8.3).

Both check their parameters exactly as the sections do (same range names, same teamId/agentId rules, same 400, 403
and 404), take `format=csv|xlsx` (default csv) and `lang=id|en` (headers; default the organisation's language), and
leave an entry in the audit log before any byte goes out.
"""

# Annotations stay real objects here (no postponed evaluation): FastAPI reads the endpoints built in a loop below.
import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import WithJsonSchema
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from pantau.audit import service as audit
from pantau.auth.dependencies import CurrentUser, client_address
from pantau.core.database import release_connection
from pantau.core.replica import Reads
from pantau.core.windows import local_date
from pantau.dashboard import drill_down
from pantau.dashboard.router import SECTION_REFUSALS, SECTIONS, Section, SectionRequest, section_body, section_request
from pantau.exports import conversations
from pantau.exports.about import about_sheet
from pantau.exports.cells import csv_batches, csv_lines
from pantau.exports.section_tables import FIGURES, section_table, section_tables, table_names
from pantau.exports.words import path_title, sheet_title
from pantau.exports.workbooks import XLSX_MEDIA_TYPE, Sheet, sheet_name, xlsx_chunks
from pantau.metrics.facts import Narrowing
from pantau.reports.endpoints import summary_language
from pantau.web.deps import DbSession, ReadsDep, get_db
from pantau.web.errors import ApiError
from pantau.web.i18n import Language

conversations_router = APIRouter(prefix="/api/export", tags=["export"])
sections_router = APIRouter(prefix="/api/dashboard", tags=["export"])

ExportFormat = Literal["csv", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

# The rows are read while the answer streams out: this session lives until the last byte is sent (the request's
# other session ends before the answer starts, see `pantau.web.deps`).
StreamingSession = Annotated[Session, Depends(get_db, scope="request")]

# Checked as a ranged section that agents may open, with its default range: the cohort is the one
# conversation-effectiveness counts.
CONVERSATIONS = dataclasses.replace(SECTIONS["conversation-effectiveness"], name="conversations")

_FORMAT = WithJsonSchema({"type": "string", "enum": [*FORMATS, ""]})
_TABLE = WithJsonSchema({"type": "string", "examples": [FIGURES, "conversationsPerAgent"]})


async def export_format(
    format: Annotated[str | None, Query(description="csv (default) or xlsx"), _FORMAT] = None,
) -> ExportFormat:
    if not format:
        return "csv"
    if format not in FORMATS:
        raise ApiError(400, "invalid_parameter", f"format: must be one of {', '.join(FORMATS)}, got {format!r}")
    return format


ExportFormatDep = Annotated[ExportFormat, Depends(export_format)]
LanguageDep = Annotated[Language, Depends(summary_language)]


def _filename(*parts: str, extension: str, checked: SectionRequest) -> str:
    day = local_date(checked.window.now, checked.window.zone)
    return "-".join(("pantau", *parts, checked.window.preset or "custom", str(day))) + f".{extension}"


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def _record(session: Session, request: Request, caller, action: str) -> None:
    audit.record(
        session,
        user_id=caller.id,
        action=action,
        parameters=dict(request.query_params),
        address=client_address(request),
    )


@conversations_router.get(
    "/conversations",
    summary="Every conversation of the cohort, one row each, as CSV or XLSX",
    description="The conversations created in the range (default `today`), in the caller's scope narrowed by "
    "teamId/agentId, oldest first, with every fact the metrics count from (docs/exports.md lists the columns). "
    "Phone numbers are masked for everyone but owners and admins. Streamed in constant memory, whatever the number "
    "of rows. Every download is written to the audit log.",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "The file"},
        **SECTION_REFUSALS,
    },
)
def export_conversations(
    request: Request,
    caller: CurrentUser,
    session: StreamingSession,
    checked: Annotated[SectionRequest, Depends(section_request(CONVERSATIONS))],
    file_format: ExportFormatDep,
    language: LanguageDep,
) -> StreamingResponse:
    _record(session, request, caller, "export:conversations")
    reads = Reads(session, request.app.state.reads)
    return _conversations_file(
        reads, checked, file_format, language, _filename("conversations", extension=file_format, checked=checked)
    )


def _conversations_file(
    reads: Reads,
    checked: SectionRequest,
    file_format: ExportFormat,
    language: Language,
    filename: str,
    narrowed: Narrowing | None = None,
    population: ColumnElement[bool] | None = None,
) -> StreamingResponse:
    """The per-conversation rows of the checked window and scope (only a figure's, with `narrowed`, drawn from
    `population` when the figure does not count the cohort), streamed."""

    def batches(flags: tuple[object, object]) -> Iterator[list[list[object]]]:
        try:
            with reads.connection() as connection:
                yield from conversations.conversation_batches(
                    connection,
                    checked.scope,
                    checked.window,
                    flags,
                    neutralised=file_format == "csv",
                    narrowed=narrowed,
                    calendar=None if narrowed is None else checked.settings.business_calendar,
                    population=population,
                )
        finally:
            release_connection(reads.session)

    header = conversations.header(language)
    return _streamed(header, batches, file_format, path_title(language, "conversations"), filename)


def _tickets_file(
    reads: Reads,
    checked: SectionRequest,
    file_format: ExportFormat,
    language: Language,
    filename: str,
    counted: ColumnElement[bool],
    population: ColumnElement[bool],
) -> StreamingResponse:
    """A figure that counts tickets as a file: the rows its list gives, one per ticket `counted`, each with the
    conversation behind it (drawn from `population`) beside it, streamed."""

    def batches(flags: tuple[object, object]) -> Iterator[list[list[object]]]:
        try:
            with reads.connection() as connection:
                yield from conversations.ticket_batches(
                    connection,
                    checked.scope,
                    checked.window,
                    counted,
                    flags,
                    neutralised=file_format == "csv",
                    calendar=checked.settings.business_calendar,
                    population=population,
                )
        finally:
            release_connection(reads.session)

    header = conversations.ticket_header(language)
    return _streamed(header, batches, file_format, path_title(language, "openTickets"), filename)


def _streamed(
    header: list[str],
    batches: Callable[[tuple[object, object]], Iterator[list[list[object]]]],
    file_format: ExportFormat,
    title: str,
    filename: str,
) -> StreamingResponse:
    """Rows as a CSV file or a workbook of one sheet (titled `title`), streamed as `batches` hands them over."""
    if file_format == "csv":
        body, media_type = csv_batches(header, batches(conversations.FLAGS_AS_WORDS)), CSV_MEDIA_TYPE
    else:
        rows = (row for batch in batches(conversations.FLAGS_AS_BOOLEANS) for row in batch)
        sheet = Sheet(title, header, rows)
        body, media_type = xlsx_chunks([sheet]), XLSX_MEDIA_TYPE
    return StreamingResponse(body, media_type=media_type, headers=_download(filename))


def _file_word(text: str) -> str:
    """A figure's path or bucket as a part of a file name: letters, digits, dots and hyphens (`<1m` → `1m`)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("_") or "_"


def _figure_export(section: Section) -> Callable[..., StreamingResponse]:
    def export_figure_conversations(
        request: Request,
        caller: CurrentUser,
        session: StreamingSession,
        checked: Annotated[SectionRequest, Depends(section_request(section))],
        choice: Annotated[drill_down.FigureChoice, Depends(drill_down.figure_choice)],
        file_format: ExportFormatDep,
        language: LanguageDep,
    ) -> StreamingResponse:
        """The conversations behind one figure, one row each with every fact, as the drill-down lists them."""
        connection = session.connection()
        figure = drill_down.check_figure(connection, section, checked, choice.figure, choice.bucket)
        drawn = drill_down.figure_population(connection, checked, figure, choice.bucket)  # a bad bucket: 400 first
        _record(session, request, caller, f"export:{section.name}:conversations")
        words = [_file_word(choice.figure or ""), *([] if choice.bucket is None else [_file_word(choice.bucket)])]
        filename = _filename(section.name, *words, extension=file_format, checked=checked)
        reads = Reads(session, request.app.state.reads)
        if figure.tickets is not None:
            counted = figure.tickets(checked.scope)
            return _tickets_file(reads, checked, file_format, language, filename, counted, drawn.conversations)
        narrowed = drill_down.figure_filter(checked, figure, choice.bucket, drawn)
        return _conversations_file(reads, checked, file_format, language, filename, narrowed, drawn.conversations)

    export_figure_conversations.__name__ = "export_" + section.name.replace("-", "_") + "_conversations"
    return export_figure_conversations


for _name, _figures in drill_down.FIGURES.items():
    sections_router.add_api_route(
        f"/{_name}/conversations/export",
        _figure_export(SECTIONS[_name]),
        methods=["GET"],
        response_class=StreamingResponse,
        summary=f"The conversations behind a figure of {_name}, as CSV or XLSX",
        description=f"The rows of `GET /api/export/conversations` (every fact, phone numbers masked for everyone but "
        f"owners and admins) for the conversations `GET /api/dashboard/{_name}/conversations` lists: the same "
        f"section parameters, `figure` (one of {', '.join(_figures)}) and `bucket`, checked the same way. "
        "Streamed, oldest first, audited.",
        responses={
            200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "The file"},
            **SECTION_REFUSALS,
        },
    )


async def table_parameter(
    table: Annotated[str | None, Query(description="csv only: the table to export; default figures"), _TABLE] = None,
) -> str | None:
    return table or None


def _section_export(section: Section) -> Callable[..., Response]:
    def export_section(
        request: Request,
        caller: CurrentUser,
        session: DbSession,
        reads: ReadsDep,
        checked: Annotated[SectionRequest, Depends(section_request(section))],
        file_format: ExportFormatDep,
        language: LanguageDep,
        table: Annotated[str | None, Depends(table_parameter)],
    ) -> Response:
        """The section's tables, built from the JSON the section endpoint answers (same cache, same scope)."""
        names = table_names(section.response_model)
        if table is not None and table not in names:
            raise ApiError(
                400, "invalid_parameter", f"table: {section.name} has no table {table!r}; use one of {', '.join(names)}"
            )
        if table is not None and file_format == "xlsx":
            raise ApiError(400, "invalid_parameter", "table: applies to csv only; xlsx holds every table")
        body, _outcome = section_body(request.app.state.cache, section, checked, reads)
        document = json.loads(body)
        _record(session, request, caller, f"export:{section.name}")
        if file_format == "csv":
            chosen = section_table(language, section.response_model, document, table or FIGURES)
            release_connection(session)
            content = b"".join(csv_lines(chosen.header, chosen.rows))
            filename = _filename(section.name, *([] if table is None else [table]), extension="csv", checked=checked)
            return Response(content, media_type=CSV_MEDIA_TYPE, headers=_download(filename))
        with reads.connection() as connection:
            about = about_sheet(connection, language, section.name, checked, document, request.query_params)
        release_connection(session)
        sheets = [
            Sheet(sheet_title(language, chosen.name), chosen.header, chosen.rows)
            for chosen in section_tables(language, section.response_model, document)
        ]
        content = b"".join(xlsx_chunks(unique_names([*sheets, about])))
        filename = _filename(section.name, extension="xlsx", checked=checked)
        return Response(content, media_type=XLSX_MEDIA_TYPE, headers=_download(filename))

    export_section.__name__ = "export_" + section.name.replace("-", "_")
    return export_section


def unique_names(sheets: list[Sheet]) -> list[Sheet]:
    """Sheet names cut to Excel's 31 characters can collide: the later ones get a number."""
    seen: set[str] = set()
    named = []
    for sheet in sheets:
        name, number = sheet_name(sheet.name), 2
        base = name[:28]
        while name.casefold() in seen:
            name, number = f"{base} {number}", number + 1
        seen.add(name.casefold())
        named.append(dataclasses.replace(sheet, name=name))
    return named


for _section in SECTIONS.values():
    sections_router.add_api_route(
        f"/{_section.name}/export",
        _section_export(_section),
        methods=["GET"],
        response_class=Response,
        summary=f"{_section.name} as CSV or XLSX",
        description=f"The tables of `GET /api/dashboard/{_section.name}` for the same parameters: XLSX has a sheet "
        "per table and an About sheet; CSV has one table (`table`, default `figures`: figure, value, previous, "
        f"change). Tables: {', '.join(table_names(_section.response_model))}. Every download is audited.",
        responses={
            200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "The file"},
            **SECTION_REFUSALS,
        },
    )


@sections_router.get("/{section}/export", include_in_schema=False)
def unknown_section_export(section: str, _caller: CurrentUser) -> None:
    raise ApiError(404, "unknown_section", f"section: no section {section!r}; use one of {', '.join(SECTIONS)}")
