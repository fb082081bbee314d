"""Sending scheduled reports (SPEC §8.4): every minute the scheduler claims the due schedules and the due attempts.

Claims are conditional UPDATEs, each the first statement of its own transaction: a schedule is claimed by moving its
`next_run_at` forward only if it still holds the value read, an attempt by bumping `attempts` only if it still holds
the count read. Of any number of schedulers (processes, replicas) reading the same row, exactly one changes it; on
PostgreSQL the others' UPDATE waits for that commit and then matches nothing, on SQLite writers take turns. So each
due run is created once and each attempt made once.

A run is rendered with its owner's scope as it is at that moment (role, team, active), narrowed to its team. Mail goes
to each recipient not yet sent to; a failure leaves the run pending for another attempt after REPORT_RETRY_SECONDS,
doubling, until REPORT_MAX_ATTEMPTS tries, then failed with the SMTP error. A claimed attempt holds the run for
CLAIM_SECONDS; a scheduler that dies while sending leaves it to another after that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from pantau.business_settings.service import effective_settings
from pantau.cache.dashboard_cache import DashboardCache, build_cache
from pantau.core.config import Settings
from pantau.core.windows import resolve_window
from pantau.models import ReportRun, ReportSchedule, User
from pantau.models.enums import ReportFormat, ReportRunState
from pantau.reports.figures import SUMMARY_PARTS, summary_figures
from pantau.reports.mail import XLSX_MEDIA_TYPE, Attachment, DeliveryFailed, report_message, send_messages
from pantau.reports.pdf import render_summary
from pantau.reports.schedules import ScheduleRefused, cadence_of, schedule_scope
from pantau.reports.unsubscribe import unsubscribe_url
from pantau.reports.workbook import render_workbook
from pantau.web.i18n import Language

log = logging.getLogger("pantau.reports")

CLAIM_SECONDS = 600
runs = ReportRun.__table__
schedules = ReportSchedule.__table__
users = User.__table__


@dataclass(frozen=True)
class Outcome:
    run_id: int
    state: ReportRunState
    error: str | None = None


def claim_due_schedules(engine: Engine, settings: Settings, now: datetime) -> list[int]:
    """Create a run for every schedule due by `now` whose owner is active, once across schedulers; the new runs'
    ids. The schedule's next run moves to its first time after `now` (missed times are not replayed one by one)."""
    with engine.connect() as connection:
        due = connection.execute(
            select(schedules.c.id, schedules.c.next_run_at, schedules.c.cadence, schedules.c.at_time,
                   schedules.c.weekday, schedules.c.month_day)
            .join(users, users.c.id == schedules.c.owner_id)
            .where(schedules.c.next_run_at <= now, users.c.is_active.is_(True))
            .order_by(schedules.c.next_run_at)
        ).all()  # fmt: skip
    created = []
    for row in due:
        following = cadence_of(row).next_run_after(now, settings.zone)
        with engine.begin() as connection:
            claimed = connection.execute(
                update(schedules)
                .where(schedules.c.id == row.id, schedules.c.next_run_at == row.next_run_at)
                .values(next_run_at=following)
            ).rowcount
            if claimed != 1:
                continue
            run_id: int = connection.execute(
                insert(runs)
                .values(
                    schedule_id=row.id,
                    due_at=row.next_run_at,
                    state=ReportRunState.pending,
                    attempts=0,
                    next_attempt_at=now,
                    recipients=[],
                )
                .returning(runs.c.id)
            ).scalar_one()
        created.append(run_id)
    return created


def _claim_attempt(engine: Engine, run_id: int, attempts_seen: int, now: datetime) -> bool:
    with engine.begin() as connection:
        return (
            connection.execute(
                update(runs)
                .where(
                    runs.c.id == run_id,
                    runs.c.attempts == attempts_seen,
                    runs.c.state.in_([ReportRunState.pending, ReportRunState.sending]),
                    runs.c.next_attempt_at <= now,
                )
                .values(
                    state=ReportRunState.sending,
                    attempts=attempts_seen + 1,
                    next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS),
                )
            ).rowcount
            == 1
        )


def send_due_reports(
    engine: Engine, settings: Settings, now: datetime, cache: DashboardCache | None = None
) -> list[Outcome]:
    """What the scheduler does every minute: claim due schedules, then make every attempt that is due. Nothing is
    claimed while SMTP is not configured (schedules wait, and the page says nothing will be sent)."""
    if not settings.smtp_configured:
        return []
    claim_due_schedules(engine, settings, now)
    with engine.connect() as connection:
        attempts = connection.execute(
            select(runs.c.id, runs.c.attempts)
            .where(runs.c.state.in_([ReportRunState.pending, ReportRunState.sending]), runs.c.next_attempt_at <= now)
            .order_by(runs.c.next_attempt_at, runs.c.id)
        ).all()
    cache = cache or build_cache(settings)
    outcomes = []
    for attempt in attempts:
        run_id: int = attempt.id
        seen: int = attempt.attempts
        if not _claim_attempt(engine, run_id, seen, now):
            continue
        if seen >= settings.report_max_attempts:
            # Its last attempt was claimed and never finished (the process died while sending): no more tries.
            error = f"stopped after {seen} attempts; the last one did not finish"
            outcomes.append(_finish(engine, run_id, ReportRunState.failed, error, now))
            continue
        outcomes.append(_attempt(engine, settings, cache, run_id, now))
    return outcomes


def run_now(engine: Engine, settings: Settings, schedule_id: int, now: datetime) -> Outcome:
    """`pantau report run ID`: a run of the schedule due now, for the latest whole period, attempted at once; a
    failure is retried by the scheduler like any other."""
    with engine.begin() as connection:
        run_id: int = connection.execute(
            insert(runs)
            .values(
                schedule_id=schedule_id,
                due_at=now,
                state=ReportRunState.pending,
                attempts=0,
                next_attempt_at=now,
                recipients=[],
            )
            .returning(runs.c.id)
        ).scalar_one()
    if not _claim_attempt(engine, run_id, 0, now):
        raise AssertionError("a run made a moment ago is claimed by its maker")
    return _attempt(engine, settings, build_cache(settings), run_id, now)


def _attempt(engine: Engine, settings: Settings, cache: DashboardCache, run_id: int, now: datetime) -> Outcome:
    with Session(engine) as session:
        run = session.get_one(ReportRun, run_id)
        schedule = session.get_one(ReportSchedule, run.schedule_id)
        owner = session.get_one(User, schedule.owner_id)
        attempts, schedule_id, owner_name = run.attempts, schedule.id, owner.full_name
        # Checked against the page's languages when the schedule was saved.
        language, report_format = cast(Language, schedule.language), schedule.format
        parts = tuple(schedule.sections or SUMMARY_PARTS)
        already_sent = set(run.recipients or [])
        pending = [address for address in schedule.recipients if address not in already_sent]
        try:
            if not owner.is_active:
                raise ScheduleRefused(403, "forbidden", f"owner: {owner.email} is deactivated")
            scope = schedule_scope(session, owner, schedule.team_id)
            if not pending:
                raise ScheduleRefused(400, "invalid_parameter", "recipients: nobody left to send to")
            cadence = cadence_of(schedule)
            first, last = cadence.report_dates(run.due_at, settings.zone)
            window = resolve_window(
                now=now, zone=settings.zone, start_date=first.isoformat(), end_date=last.isoformat()
            )
            in_force = effective_settings(session.connection(), settings)
            figures = summary_figures(session.connection(), cache, scope, window, in_force)
        except ScheduleRefused as exc:
            session.rollback()
            # Nothing to retry: the owner's scope no longer allows the report, or nobody is left to send to.
            return _finish(engine, run_id, ReportRunState.failed, exc.detail, now)
        session.rollback()

    attachment = None
    if report_format is ReportFormat.pdf:
        attachment = Attachment("pdf", "application/pdf", render_summary(figures, language, now, parts))
    elif report_format is ReportFormat.xlsx:
        attachment = Attachment("xlsx", XLSX_MEDIA_TYPE, render_workbook(figures, language, now, parts))
    messages = [
        report_message(
            settings,
            figures=figures,
            language=language,
            dates=(first, last),
            recipient=address,
            owner_name=owner_name,
            unsubscribe_link=unsubscribe_url(settings, schedule_id, address),
            attachment=attachment,
            parts=parts,
        )
        for address in pending
    ]
    sent = sorted(already_sent)

    def record_sent(address: str) -> None:
        sent.append(address)
        with engine.begin() as connection:
            connection.execute(update(runs).where(runs.c.id == run_id).values(recipients=list(sent)))

    try:
        send_messages(settings, messages, record_sent)
    except DeliveryFailed as exc:
        if attempts >= settings.report_max_attempts:
            log.warning("report run %s failed after %s attempts: %s", run_id, attempts, exc)
            return _finish(engine, run_id, ReportRunState.failed, str(exc), now)
        delay = timedelta(seconds=settings.report_retry_seconds * 2 ** (attempts - 1))
        with engine.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(state=ReportRunState.pending, next_attempt_at=now + delay, error=str(exc))
            )
        log.info("report run %s attempt %s failed, trying again in %s: %s", run_id, attempts, delay, exc)
        return Outcome(run_id, ReportRunState.pending, str(exc))
    return _finish(engine, run_id, ReportRunState.sent, None, now)


def _finish(engine: Engine, run_id: int, state: ReportRunState, error: str | None, now: datetime) -> Outcome:
    with engine.begin() as connection:
        connection.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(state=state, error=error, finished_at=now, next_attempt_at=None)
        )
    return Outcome(run_id, state, error)


def run_due_reports_job(engine: Engine, settings: Settings) -> None:
    """The scheduler's minute job; failures are logged, never raised into the scheduler."""
    try:
        send_due_reports(engine, settings, datetime.now(UTC))
    except Exception:
        log.exception("sending the due reports failed; the scheduler tries again in a minute")
