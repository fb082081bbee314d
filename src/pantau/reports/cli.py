"""`pantau report create|list|run|delete`: scheduled e-mail reports, for operators."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from sqlalchemy import func, select

from pantau.cli.common import database_session, fail, ready_engine, settings_or_exit
from pantau.cli.output import json_option, print_json
from pantau.models import User
from pantau.models.enums import ReportRunState
from pantau.reports.cadence import Cadence, CadenceError
from pantau.reports.delivery import run_now, send_due_reports
from pantau.reports.figures import SUMMARY_PARTS
from pantau.reports.schedules import (
    ScheduleRefused,
    ScheduleRequest,
    cadence_of,
    create_schedule,
    delete_schedule,
    schedule_for,
    visible_schedules,
)

report_app = typer.Typer(help="Scheduled e-mail reports: the PDF summary or an HTML summary, mailed on a cadence.")


@report_app.command()
def create(
    owner: str = typer.Option(..., "--owner", help="E-mail of the user whose scope the report is rendered in."),
    to: str = typer.Option(..., "--to", help="Recipients, comma-separated: Pantau users or REPORT_RECIPIENT_DOMAINS."),
    cadence: str = typer.Option(..., "--cadence", help="daily, weekly or monthly."),
    at: str = typer.Option(..., "--at", help="Local time of day in TIMEZONE, HH:MM."),
    weekday: str | None = typer.Option(None, "--weekday", help="For weekly: mon, tue, wed, thu, fri, sat or sun."),
    day: int | None = typer.Option(None, "--day", help="For monthly: the day of the month, 1 to 28."),
    format_: str = typer.Option(
        "pdf", "--format", help="pdf or xlsx (the summary attached), or html (only in the mail's body)."
    ),
    lang: str = typer.Option("id", "--lang", help="id or en."),
    team: str | None = typer.Option(None, "--team", help="Narrow the report to this team (inside the owner's scope)."),
    sections: str | None = typer.Option(
        None, "--sections", help=f"Parts of the summary, comma-separated: {', '.join(SUMMARY_PARTS)} (default: all)."
    ),
) -> None:
    """Make a schedule; prints its id."""
    settings = settings_or_exit()
    with database_session() as session:
        user = session.execute(select(User).where(func.lower(User.email) == owner.strip().lower())).scalar_one_or_none()
        if user is None:
            fail(f"--owner: no user with the e-mail {owner}")
        try:
            request = ScheduleRequest(
                recipients=[address for address in to.split(",") if address.strip()],
                cadence=Cadence.parse(cadence, at, weekday, day),
                format=format_,
                language=lang,
                team_id=team,
                sections=[part.strip() for part in sections.split(",") if part.strip()] if sections else None,
            )
            schedule = create_schedule(session, settings, user, request, datetime.now(UTC))
        except (CadenceError, ScheduleRefused) as exc:
            fail(exc.detail)
        typer.echo(schedule.id)


@report_app.command("list")
def list_schedules(as_json: bool = json_option()) -> None:
    """Every schedule: id, owner, cadence, format, language, team, next run (local time), recipients."""
    settings = settings_or_exit()
    with database_session() as session:
        schedules = visible_schedules(session, None)
        owners = dict(session.execute(select(User.id, User.email)).all())
        if as_json:
            print_json(
                [
                    {
                        "id": schedule.id,
                        "owner": owners.get(schedule.owner_id, schedule.owner_id),
                        "cadence": cadence_of(schedule).describe(),
                        "format": schedule.format.value,
                        "language": schedule.language,
                        "team_id": schedule.team_id,
                        "next_run_at": schedule.next_run_at,
                        "recipients": list(schedule.recipients),
                        "sections": list(schedule.sections) if schedule.sections else None,
                    }
                    for schedule in schedules
                ]
            )
            return
        if not schedules:
            typer.echo("no report schedules")
            return
        for schedule in schedules:
            next_run = schedule.next_run_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M %Z")
            typer.echo(
                f"{schedule.id}\t{owners.get(schedule.owner_id, schedule.owner_id)}\t{cadence_of(schedule).describe()}"
                f"\t{schedule.format.value}\t{schedule.language}\tteam={schedule.team_id or '-'}\tnext {next_run}"
                f"\tto {', '.join(schedule.recipients)}"
                + (f"\tsections {','.join(schedule.sections)}" if schedule.sections else "")
            )


@report_app.command()
def delete(schedule_id: int = typer.Argument(..., metavar="ID", help="The schedule's id.")) -> None:
    """Delete a schedule and its history."""
    with database_session() as session:
        try:
            delete_schedule(session, None, schedule_id)
        except ScheduleRefused as exc:
            fail(exc.detail)
    typer.echo(f"deleted report schedule {schedule_id}")


@report_app.command()
def run(schedule_id: int = typer.Argument(..., metavar="ID", help="The schedule's id.")) -> None:
    """Send the schedule's report now, for its latest whole period (a failure is retried by the scheduler)."""
    settings = settings_or_exit()
    engine = ready_engine(settings)
    if not settings.smtp_configured:
        fail("SMTP_HOST is not set: Pantau cannot send mail (see docs/reports.md)")
    with database_session() as session:
        try:
            schedule_for(session, None, schedule_id)
        except ScheduleRefused as exc:
            fail(exc.detail)
    outcome = run_now(engine, settings, schedule_id, datetime.now(UTC))
    if outcome.state is ReportRunState.sent:
        typer.echo(f"report run {outcome.run_id} sent")
    elif outcome.state is ReportRunState.pending:
        fail(f"report run {outcome.run_id} not sent yet, the scheduler tries again: {outcome.error}")
    else:
        fail(f"report run {outcome.run_id} failed: {outcome.error}")


@report_app.command("send-due")
def send_due() -> None:
    """Send every report that is due now, once across schedulers: what `pantau scheduler` does every minute (for an
    external cron instead)."""
    settings = settings_or_exit()
    engine = ready_engine(settings)
    if not settings.smtp_configured:
        fail("SMTP_HOST is not set: Pantau cannot send mail (see docs/reports.md)")
    outcomes = send_due_reports(engine, settings, datetime.now(UTC))
    for outcome in outcomes:
        typer.echo(
            f"report run {outcome.run_id}: {outcome.state.value}" + (f" ({outcome.error})" if outcome.error else "")
        )
