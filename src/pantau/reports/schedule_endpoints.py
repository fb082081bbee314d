"""`/api/reports/...`: schedules and their history for the page (SPEC §8.4).

Owners and admins see and manage every schedule; managers and supervisors their own (a supervisor's only ever cover
their team); agents get 403."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field
from sqlalchemy import select

from pantau.auth.dependencies import CurrentUser, refuse_cross_site_post
from pantau.core.database import release_connection
from pantau.dashboard.schemas import CamelModel
from pantau.models import ReportRun, ReportSchedule, User
from pantau.reports.cadence import WEEKDAYS, Cadence, CadenceError
from pantau.reports.delivery import run_now
from pantau.reports.schedules import (
    ScheduleRefused,
    ScheduleRequest,
    cadence_of,
    create_schedule,
    delete_schedule,
    may_schedule,
    recent_runs,
    schedule_for,
    visible_schedules,
)
from pantau.reports.unsubscribe import InvalidUnsubscribeToken, Unsubscription, read_unsubscribe_token
from pantau.web.deps import DbSession, SettingsDep
from pantau.web.errors import ApiError, Refusal, error_responses

router = APIRouter(prefix="/api/reports", tags=["reports"])


class ScheduleIn(CamelModel):
    recipients: list[str] = Field(max_length=50, description="Pantau users' addresses or on REPORT_RECIPIENT_DOMAINS")
    cadence: str = Field(description="daily, weekly or monthly", examples=["weekly"])
    at: str = Field(description="local time of day in TIMEZONE, HH:MM", examples=["08:00"])
    weekday: str | None = Field(None, description="weekly: mon..sun", examples=["mon"])
    day: int | None = Field(None, description="monthly: 1..28")
    format: str = Field("pdf", description="pdf or xlsx (attached), or html (only in the mail's body)")
    lang: str = Field("id", description="id or en")
    team_id: str | None = Field(None, description="narrow the report to this team, inside your scope")
    sections: list[str] | None = Field(
        None,
        max_length=6,
        description="parts of the summary: kpi, conversations, agents, whatsapp, automation, business",
    )


class ScheduleOut(CamelModel):
    id: int
    owner_id: str
    owner_email: str | None
    recipients: list[str]
    cadence: str
    at: str
    weekday: str | None
    day: int | None
    format: str
    lang: str
    team_id: str | None
    sections: list[str] | None
    description: str
    next_run_at: datetime


class RunOut(CamelModel):
    id: int
    schedule_id: int
    due_at: datetime
    state: str
    attempts: int
    finished_at: datetime | None
    error: str | None


class ReportsOverview(CamelModel):
    smtp_configured: bool = Field(description="false: schedules can be made, but nothing will be sent")
    schedules: list[ScheduleOut]
    runs: list[RunOut]


def _scheduler(caller: CurrentUser, session: DbSession) -> User:
    user = session.get(User, caller.id)
    if user is None or not may_schedule(user):
        raise ApiError(403, "forbidden", "reports: agents cannot schedule reports")
    return user


Scheduler = Annotated[User, Depends(_scheduler)]


def _refused(exc: ScheduleRefused | CadenceError) -> ApiError:
    if isinstance(exc, CadenceError):
        return ApiError(400, "invalid_parameter", exc.detail)
    return ApiError(exc.status, exc.error, exc.detail)


def _schedule_out(schedule: ReportSchedule, emails: dict[str, str]) -> ScheduleOut:
    return ScheduleOut(
        id=schedule.id,
        owner_id=schedule.owner_id,
        owner_email=emails.get(schedule.owner_id),
        recipients=schedule.recipients,
        cadence=schedule.cadence.value,
        at=schedule.at_time,
        weekday=None if schedule.weekday is None else WEEKDAYS[schedule.weekday],
        day=schedule.month_day,
        format=schedule.format.value,
        lang=schedule.language,
        team_id=schedule.team_id,
        sections=schedule.sections,
        description=cadence_of(schedule).describe(),
        next_run_at=schedule.next_run_at,
    )


def _run_out(run: ReportRun) -> RunOut:
    return RunOut(
        id=run.id,
        schedule_id=run.schedule_id,
        due_at=run.due_at,
        state=run.state.value,
        attempts=run.attempts,
        finished_at=run.finished_at,
        error=run.error,
    )


@router.get(
    "/schedules",
    response_model=ReportsOverview,
    summary="The caller's report schedules, their latest runs, and whether mail can go out",
    responses=error_responses(401, 403, 503),
)
def read_schedules(user: Scheduler, session: DbSession, settings: SettingsDep) -> ReportsOverview:
    schedules = visible_schedules(session, user)
    owner_ids = {schedule.owner_id for schedule in schedules}
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(owner_ids))).all())
    return ReportsOverview(
        smtp_configured=settings.smtp_configured,
        schedules=[_schedule_out(schedule, emails) for schedule in schedules],
        runs=[_run_out(run) for run in recent_runs(session, [schedule.id for schedule in schedules])],
    )


@router.post(
    "/schedules",
    response_model=ScheduleOut,
    status_code=201,
    summary="Make a report schedule owned by the caller",
    dependencies=[Depends(refuse_cross_site_post)],
    responses=error_responses(400, 401, 403, 404, 422, 503),
)
def make_schedule(body: ScheduleIn, user: Scheduler, session: DbSession, settings: SettingsDep) -> ScheduleOut:
    try:
        request = ScheduleRequest(
            recipients=body.recipients,
            cadence=Cadence.parse(body.cadence, body.at, body.weekday, body.day),
            format=body.format,
            language=body.lang,
            team_id=body.team_id or None,
            sections=body.sections,
        )
        schedule = create_schedule(session, settings, user, request, datetime.now(UTC))
    except (CadenceError, ScheduleRefused) as exc:
        raise _refused(exc) from None
    return _schedule_out(schedule, {user.id: user.email})


@router.delete(
    "/schedules/{schedule_id}",
    status_code=204,
    summary="Delete a report schedule and its history",
    dependencies=[Depends(refuse_cross_site_post)],
    responses=error_responses(400, 401, 403, 404, 422, 503),
)
def remove_schedule(
    schedule_id: Annotated[int, Path(ge=1, le=2**31 - 1)], user: Scheduler, session: DbSession
) -> Response:
    try:
        delete_schedule(session, user, schedule_id)
    except ScheduleRefused as exc:
        raise _refused(exc) from None
    return Response(status_code=204)


@router.post(
    "/schedules/{schedule_id}/run",
    response_model=RunOut,
    summary="Send a schedule's report now, for its latest whole period",
    dependencies=[Depends(refuse_cross_site_post)],
    responses=error_responses(
        400,
        401,
        403,
        422,
        404,
        503,
        worded={
            409: Refusal(
                "Mail cannot be sent: SMTP_HOST is not set.",
                "smtp_not_configured",
                "SMTP_HOST: not set; Pantau cannot send mail",
            )
        },
    ),
)
def run_schedule_now(
    request: Request,
    schedule_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: Scheduler,
    session: DbSession,
    settings: SettingsDep,
) -> RunOut:
    try:
        schedule_for(session, user, schedule_id)
    except ScheduleRefused as exc:
        raise _refused(exc) from None
    if not settings.smtp_configured:
        raise ApiError(409, "smtp_not_configured", "SMTP_HOST: not set; Pantau cannot send mail")
    release_connection(session)
    # The run takes its own transactions (its claim must be the first statement of one), on the app's engine.
    outcome = run_now(request.app.state.engine, settings, schedule_id, datetime.now(UTC))
    return _run_out(session.get(ReportRun, outcome.run_id))


_UNSUBSCRIBE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pantau</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Pantau</h1>{body}</body></html>"""


def _unsubscription(settings: SettingsDep, token: Annotated[str, Query(max_length=1000)]) -> Unsubscription:
    try:
        return read_unsubscribe_token(settings, token)
    except InvalidUnsubscribeToken as exc:
        raise ApiError(400, "invalid_token", str(exc)) from None


@router.get(
    "/unsubscribe",
    response_class=HTMLResponse,
    summary="The page an unsubscribe link opens: it asks to confirm (a link scanner's visit changes nothing)",
    responses=error_responses(400, 422),
)
def confirm_unsubscribe(unsubscription: Annotated[Unsubscription, Depends(_unsubscription)]) -> HTMLResponse:
    address = escape(unsubscription.address)
    return HTMLResponse(
        _UNSUBSCRIBE_PAGE.format(
            body=f"<p>Stop sending this scheduled report to <b>{address}</b>? / Berhenti mengirim laporan terjadwal "
            f'ini ke <b>{address}</b>?</p><form method="post"><button type="submit">Unsubscribe / Berhenti '
            "berlangganan</button></form>"
        ),
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.post(
    "/unsubscribe",
    response_class=HTMLResponse,
    summary="One-click unsubscribe (RFC 8058): the address no longer receives this schedule's report",
    responses=error_responses(400, 422, 503),
)
def unsubscribe(
    unsubscription: Annotated[Unsubscription, Depends(_unsubscription)], session: DbSession
) -> HTMLResponse:
    schedule = session.get(ReportSchedule, unsubscription.schedule_id)
    if schedule is not None and unsubscription.address in schedule.recipients:
        schedule.recipients = [address for address in schedule.recipients if address != unsubscription.address]
        session.flush()
    address = escape(unsubscription.address)
    return HTMLResponse(
        _UNSUBSCRIBE_PAGE.format(
            body=f"<p><b>{address}</b> will not receive this report any more. / <b>{address}</b> tidak akan menerima "
            "laporan ini lagi.</p>"
        ),
        headers={"Cache-Control": "no-store"},
    )
