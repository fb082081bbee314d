"""Report schedules: who may make them, who may receive them, and reading them back (SPEC §8.4).

Scope is the owner's: a schedule's `team_id` must lie inside it when it is made (a supervisor cannot schedule another
team), and it is checked again at every run, with the owner's role and team as they are then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from pantau.auth.email_addresses import InvalidEmailAddress, parse_email_address
from pantau.auth.scope import Scope, resolve_scope
from pantau.auth.scope_sql import ScopeRefused, narrow_scope
from pantau.core.config import Settings
from pantau.models import ReportRun, ReportSchedule, User
from pantau.models.enums import ReportFormat, Role
from pantau.reports.cadence import Cadence
from pantau.reports.figures import SUMMARY_PARTS
from pantau.web.i18n import LANGUAGES

MAX_RECIPIENTS = 50
_ORGANISATION_ROLES = (Role.owner, Role.admin)


class ScheduleRefused(Exception):
    """A schedule that cannot be made, read or run: `status` and a detail that starts with the parameter's name."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail


@dataclass(frozen=True)
class ScheduleRequest:
    recipients: list[str]
    cadence: Cadence
    format: str = "pdf"
    language: str = "id"
    team_id: str | None = None
    sections: list[str] | None = None


def may_schedule(user: User) -> bool:
    """Owners, admins, managers and supervisors make schedules; agents do not."""
    return Role(user.role) is not Role.agent


def schedule_scope(session: Session, owner: User, team_id: str | None) -> Scope:
    """The scope a schedule's report is rendered in: the owner's, narrowed to its team. Refused as the API refuses
    a teamId outside the caller's scope."""
    scope = resolve_scope(owner)
    if team_id is None:
        return scope
    try:
        return narrow_scope(session.connection(), scope, team_id, None)
    except ScopeRefused as exc:
        error = {403: "forbidden", 404: "not_found"}.get(exc.status, "invalid_parameter")
        raise ScheduleRefused(exc.status, error, exc.detail) from None


def check_recipients(session: Session, settings: Settings, addresses: list[str]) -> list[str]:
    """Each address normalised (lower case), each a Pantau user's or on REPORT_RECIPIENT_DOMAINS."""
    if not addresses:
        raise ScheduleRefused(400, "invalid_parameter", "recipients: give at least one e-mail address")
    if len(addresses) > MAX_RECIPIENTS:
        raise ScheduleRefused(400, "invalid_parameter", f"recipients: at most {MAX_RECIPIENTS} addresses")
    normalised: list[str] = []
    for address in addresses:
        try:
            parsed = parse_email_address(address).lower()
        except InvalidEmailAddress as exc:
            raise ScheduleRefused(400, "invalid_parameter", f"recipients: {exc}") from None
        if parsed not in normalised:
            normalised.append(parsed)
    users: set[str] = set(
        session.execute(select(func.lower(User.email)).where(func.lower(User.email).in_(normalised))).scalars()
    )
    domains = set(settings.report_recipient_domains)
    for address in normalised:
        if address not in users and address.rpartition("@")[2] not in domains:
            allowed = ", ".join(sorted(domains)) or "none configured"
            raise ScheduleRefused(
                400,
                "invalid_parameter",
                f"recipients: {address} is not a Pantau user's address and its domain is not among "
                f"REPORT_RECIPIENT_DOMAINS ({allowed})",
            )
    return normalised


def create_schedule(
    session: Session, settings: Settings, owner: User, request: ScheduleRequest, now: datetime
) -> ReportSchedule:
    if not owner.is_active:
        raise ScheduleRefused(400, "invalid_parameter", f"owner: {owner.email} is deactivated")
    if not may_schedule(owner):
        raise ScheduleRefused(403, "forbidden", "owner: agents cannot schedule reports")
    if request.format not in {member.value for member in ReportFormat}:
        raise ScheduleRefused(
            400, "invalid_parameter", f"format: must be one of {', '.join(ReportFormat)}, got {request.format!r}"
        )
    if request.language not in LANGUAGES:
        raise ScheduleRefused(
            400, "invalid_parameter", f"lang: must be one of {', '.join(LANGUAGES)}, got {request.language!r}"
        )
    sections = None
    if request.sections:
        unknown = [part for part in request.sections if part not in SUMMARY_PARTS]
        if unknown:
            raise ScheduleRefused(
                400,
                "invalid_parameter",
                f"sections: unknown {', '.join(unknown)}; choose from {', '.join(SUMMARY_PARTS)}",
            )
        sections = [part for part in SUMMARY_PARTS if part in request.sections]
    schedule_scope(session, owner, request.team_id)
    recipients = check_recipients(session, settings, request.recipients)
    cadence = request.cadence
    schedule = ReportSchedule(
        owner_id=owner.id,
        recipients=recipients,
        cadence=cadence.kind,
        at_time=cadence.at.strftime("%H:%M"),
        weekday=cadence.weekday,
        month_day=cadence.month_day,
        format=ReportFormat(request.format),
        language=request.language,
        team_id=request.team_id,
        sections=sections,
        next_run_at=cadence.next_run_after(now, settings.zone),
        created_at=now,
    )
    session.add(schedule)
    session.flush()
    return schedule


def cadence_of(schedule: ReportSchedule | Row[Any]) -> Cadence:
    """The schedule's cadence, from its row or its columns (cadence, at_time, weekday, month_day) read in a query."""
    return Cadence.parse(schedule.cadence, schedule.at_time, schedule.weekday, schedule.month_day)


def visible_schedules(session: Session, viewer: User | None) -> list[ReportSchedule]:
    """Every schedule for owners and admins (and for the CLI, `viewer` None); one's own for everybody else."""
    query = select(ReportSchedule).order_by(ReportSchedule.id)
    if viewer is not None and Role(viewer.role) not in _ORGANISATION_ROLES:
        query = query.where(ReportSchedule.owner_id == viewer.id)
    return list(session.execute(query).scalars())


def schedule_for(session: Session, viewer: User | None, schedule_id: int) -> ReportSchedule:
    """The schedule, if the viewer may see it (else 404: an id outside one's reach names nothing for them)."""
    schedule = session.get(ReportSchedule, schedule_id)
    visible = schedule is not None and (
        viewer is None or Role(viewer.role) in _ORGANISATION_ROLES or schedule.owner_id == viewer.id
    )
    if schedule is None or not visible:
        raise ScheduleRefused(404, "not_found", f"id: no report schedule {schedule_id}")
    return schedule


def delete_schedule(session: Session, viewer: User | None, schedule_id: int) -> None:
    schedule = schedule_for(session, viewer, schedule_id)
    session.execute(delete(ReportRun).where(ReportRun.schedule_id == schedule.id))
    session.delete(schedule)
    session.flush()


def recent_runs(session: Session, schedule_ids: list[int], limit: int = 50) -> list[ReportRun]:
    if not schedule_ids:
        return []
    query = (
        select(ReportRun)
        .where(ReportRun.schedule_id.in_(schedule_ids))
        .order_by(ReportRun.due_at.desc(), ReportRun.id.desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())
