"""Scheduled reports sent over a real SMTP server started by the test (aiosmtpd on localhost), on each database.

The data is committed (sending takes transactions of its own); each test has a fresh database of its dialect."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pantau.auth.tokens import issue_token
from pantau.core.database import reset_cached_database
from pantau.migrations.runner import upgrade
from pantau.models import ReportRun, ReportSchedule, User
from pantau.models.enums import ReportRunState
from pantau.reports.cadence import WEEKDAYS, Cadence
from pantau.reports.delivery import claim_due_schedules, send_due_reports
from pantau.reports.schedules import ScheduleRequest, create_schedule
from pantau.reports.workbook import safe_text
from pantau.web.app import create_app
from tests.conftest import TEST_SECRET, make_settings
from tests.reports.smtp import self_signed_certificate, smtp_server
from tests.support.builders import Dataset
from tests.support.databases import engine_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def engine(fresh_database_url) -> Iterator[Engine]:
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    reset_cached_database()
    yield engine
    engine.dispose()


def plant(engine: Engine, now: datetime) -> None:
    """Team Alpha (Sari supervises, Ani answers) and team Bravo (Budi Bravoson answers), with conversations in each
    team on each of the 15 days before `now`: each day a weekly report made 8 days ago covers has one of each."""
    with engine.begin() as connection:
        data = Dataset(connection)
        data.make_team("Alpha", id="team-a")
        data.make_team("Bravo", id="team-b")
        data.make_user("supervisor", team="team-a", id="sari", name="Sari Alpha", email="sari@example.test")
        data.make_user("agent", team="team-a", id="ani", name="Ani Alpha", email="ani@example.test")
        data.make_user("agent", team="team-b", id="budi", name="Budi Bravoson", email="budi@example.test")
        data.make_user("owner", id="olga", name="Olga", email="olga@example.test")
        for days in range(1, 16):
            day = now - timedelta(days=days)
            data.make_answered_conversation(day, 120, agent="ani", team="team-a")
            data.make_answered_conversation(day, 60, agent="budi", team="team-b")


def weekly_schedule(engine: Engine, settings, *, format: str = "pdf", recipients=None) -> int:
    """Sari's weekly report of team Alpha, made 8 days ago: its first run is due by now. It runs on the weekday and
    hour of three days ago (local time), so its last run fell about three days ago and its next one is about four
    days ahead, whatever the hour and weekday the test runs at: a test that moves its clock on by minutes or a day
    never reaches the next run."""
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).astimezone(settings.zone)
    cadence = Cadence.parse("weekly", f"{three_days_ago.hour:02d}:00", WEEKDAYS[three_days_ago.weekday()])
    with Session(engine) as session, session.begin():
        sari = session.get(User, "sari")
        schedule = create_schedule(
            session,
            settings,
            sari,
            ScheduleRequest(
                recipients=recipients or ["sari@example.test", "olga@example.test"],
                cadence=cadence,
                format=format,
                language="en",
                team_id="team-a",
            ),
            datetime.now(UTC) - timedelta(days=8),
        )
        return schedule.id


def smtp_settings(engine: Engine, port: int, **overrides):
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_from": "Pantau <reports@example.test>",
        "public_url": "http://testserver",
    }
    return make_settings(engine.url.render_as_string(hide_password=False), **{**values, **overrides})


def runs_of(engine: Engine, schedule_id: int) -> list[ReportRun]:
    with Session(engine) as session:
        return list(session.scalars(select(ReportRun).where(ReportRun.schedule_id == schedule_id)))


def test_a_due_weekly_report_is_sent_once_with_two_schedulers_running(engine, tmp_path):
    now = datetime.now(UTC)
    plant(engine, now)
    with smtp_server() as (box, port):
        settings = smtp_settings(engine, port)
        schedule_id = weekly_schedule(engine, settings)
        environment = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "SECRET_KEY": TEST_SECRET,
            "ENVIRONMENT": "development",
            "TIMEZONE": "Asia/Jakarta",
            "REDIS_URL": "",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_STARTTLS": "false",
            "PUBLIC_URL": "http://testserver",
        }
        command = [sys.executable, "-m", "pantau", "report", "send-due"]
        schedulers = [
            subprocess.Popen(command, env=environment, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        results = [scheduler.communicate(timeout=120) for scheduler in schedulers]
        assert [scheduler.returncode for scheduler in schedulers] == [0, 0], results

        (run,) = runs_of(engine, schedule_id)
        assert run.state is ReportRunState.sent and run.attempts == 1
        assert sorted(run.recipients) == ["olga@example.test", "sari@example.test"]
        assert sorted(message["To"] for message in box.received) == ["olga@example.test", "sari@example.test"]
        assert box.attempts == 2

        mail = box.to("sari@example.test")[0]
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        (attachment,) = list(mail.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        pdf = attachment.get_content()
        text = "\n".join(page.extract_text(extraction_mode="layout") for page in PdfReader(io.BytesIO(pdf)).pages)
        lines = [" ".join(line.split()) for line in text.splitlines()]

        # The same figures as the JSON API answers Sari for the report's range and team.
        with Session(engine) as session, session.begin():
            token = issue_token(session, session.get(User, "sari"), "test", now).token
        range_parameters = parse_qs(urlsplit(f"?{_report_range(engine, schedule_id, settings)}").query)
        with TestClient(create_app(settings=settings, engine=engine)) as client:
            answer = client.get(
                "/api/dashboard/conversation-effectiveness",
                params={**{key: value[0] for key, value in range_parameters.items()}, "teamId": "team-a"},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
        assert answer["totals"]["value"] == 7  # team Alpha's one conversation on each of the 7 days
        assert f"Conversations {answer['totals']['value']} {answer['totals']['previous']}" in " ".join(lines)
        assert f"Resolution rate (%) {_written(answer['resolvedVsOpen']['percentage'])}" in lines
        assert "Team: Alpha" in text and "Ani Alpha" in text
        for planted in ("Bravo", "Budi"):
            assert planted not in text
            assert planted not in mail.get_body(("html",)).get_content()


def _written(value) -> str:
    return "no data" if value is None else f"{value:.1f}"


def _report_range(engine: Engine, schedule_id: int, settings) -> str:
    with Session(engine) as session:
        schedule = session.get(ReportSchedule, schedule_id)
        (run,) = session.scalars(select(ReportRun).where(ReportRun.schedule_id == schedule_id))
        cadence = Cadence.parse(schedule.cadence, schedule.at_time, schedule.weekday, schedule.month_day)
        first, last = cadence.report_dates(run.due_at, settings.zone)
    return f"startDate={first}&endDate={last}"


def test_a_failed_delivery_is_retried_with_back_off_then_recorded_as_failed(engine):
    now = datetime.now(UTC)
    plant(engine, now)
    with smtp_server(refuse=True) as (box, port):
        settings = smtp_settings(engine, port, report_retry_seconds=60, report_max_attempts=3)
        schedule_id = weekly_schedule(engine, settings, recipients=["sari@example.test"])

        (first,) = send_due_reports(engine, settings, now)
        assert first.state is ReportRunState.pending
        assert "451" in first.error
        assert send_due_reports(engine, settings, now + timedelta(seconds=59)) == []  # not before its back-off
        (second,) = send_due_reports(engine, settings, now + timedelta(seconds=60))
        assert second.state is ReportRunState.pending
        assert send_due_reports(engine, settings, now + timedelta(seconds=179)) == []  # the back-off doubled
        (third,) = send_due_reports(engine, settings, now + timedelta(seconds=180))
        assert third.state is ReportRunState.failed
        # The failed run is not tried again: nothing is due until the schedule's next run.
        with Session(engine) as session:
            next_run = session.get(ReportSchedule, schedule_id).next_run_at
        assert next_run > now + timedelta(seconds=180)
        assert send_due_reports(engine, settings, next_run - timedelta(microseconds=1)) == []

    (run,) = runs_of(engine, schedule_id)
    assert (run.state, run.attempts) == (ReportRunState.failed, 3)
    assert run.error == "SMTP 451: 4.3.0 Mailbox temporarily unavailable"
    assert box.attempts == 3 and box.received == []


def test_the_unsubscribe_link_stops_the_next_run_for_that_recipient_and_a_tampered_one_is_refused(engine):
    now = datetime.now(UTC)
    plant(engine, now)
    with smtp_server() as (box, port):
        settings = smtp_settings(engine, port)
        schedule_id = weekly_schedule(engine, settings, format="html")
        (sent,) = send_due_reports(engine, settings, now)
        assert sent.state is ReportRunState.sent
        olgas = box.to("olga@example.test")[0]
        link = olgas["List-Unsubscribe"].strip("<>")
        # As mail programs read it: the URL itself on one line, neither folded nor encoded.
        assert any(f"List-Unsubscribe: <{link}>\r\n".encode() in raw for raw in box.raw)
        assert link in olgas.get_body(("html",)).get_content()
        assert "Conversations: 7" in olgas.get_body(("plain",)).get_content()
        path = link.removeprefix("http://testserver")
        token = parse_qs(urlsplit(link).query)["token"][0]

        with TestClient(create_app(settings=settings, engine=engine)) as client:
            encoded, _, signature = token.partition(".")
            tampered_signature = signature[:-1] + ("A" if signature[-1] != "A" else "B")
            for forged in (f"{encoded}.{tampered_signature}", token.replace(encoded, encoded[:-2] + "xx"), "junk"):
                refused = client.post("/api/reports/unsubscribe", params={"token": forged})
                assert refused.status_code == 400
                assert refused.json()["error"] == "invalid_token"
            assert client.get(path).status_code == 200  # the page asks first; the visit changes nothing
            with Session(engine) as session:
                assert "olga@example.test" in session.get(ReportSchedule, schedule_id).recipients
            assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200

        with Session(engine) as session:
            schedule = session.get(ReportSchedule, schedule_id)
            assert schedule.recipients == ["sari@example.test"]
            next_run = schedule.next_run_at
        box.received.clear()
        (next_sent,) = send_due_reports(engine, settings, next_run)
        assert next_sent.state is ReportRunState.sent
        assert [message["To"] for message in box.received] == ["sari@example.test"]


def test_a_deactivated_owners_schedule_stops(engine):
    now = datetime.now(UTC)
    plant(engine, now)
    with smtp_server() as (box, port):
        settings = smtp_settings(engine, port)
        schedule_id = weekly_schedule(engine, settings)
        with Session(engine) as session, session.begin():
            session.get(User, "sari").is_active = False
        assert send_due_reports(engine, settings, now) == []
        assert runs_of(engine, schedule_id) == [] and box.received == []


def test_mail_goes_over_starttls_with_the_certificate_checked_and_signed_in(engine, tmp_path, monkeypatch):
    now = datetime.now(UTC)
    plant(engine, now)
    certificate, key = self_signed_certificate(tmp_path)
    with smtp_server(tls=(certificate, key), login=("pantau", "s3cret-pass")) as (box, port):
        settings = smtp_settings(engine, port, smtp_starttls=True, smtp_username="pantau", smtp_password="s3cret-pass")
        weekly_schedule(engine, settings, recipients=["sari@example.test"])
        (untrusted,) = send_due_reports(engine, settings, now)
        assert untrusted.state is ReportRunState.pending
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        assert box.received == []

        # Trusted once its certificate is among the authorities the client checks against, as a real one would be.
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        (sent,) = send_due_reports(engine, settings, now + timedelta(seconds=settings.report_retry_seconds))
        assert sent.state is ReportRunState.sent
        assert [message["To"] for message in box.received] == ["sari@example.test"]


def test_a_schedule_with_chosen_sections_mails_only_those_parts(engine):
    now = datetime.now(UTC)
    plant(engine, now)
    with smtp_server() as (box, port):
        settings = smtp_settings(engine, port)
        with Session(engine) as session, session.begin():
            schedule = create_schedule(
                session,
                settings,
                session.get(User, "olga"),
                ScheduleRequest(
                    recipients=["olga@example.test"],
                    cadence=Cadence.parse("daily", "07:00"),
                    language="en",
                    sections=["business", "kpi"],
                ),
                now - timedelta(days=2),
            )
            assert schedule.sections == ["kpi", "business"]  # kept in the summary's order
        (sent,) = send_due_reports(engine, settings, now)
        assert sent.state is ReportRunState.sent
        (attachment,) = list(box.received[0].iter_attachments())
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment.get_content())).pages)
        assert "Today at a glance" in text and "Business" in text and "Leads generated" in text
        for left_out in ("Conversations in the range", "Top and bottom agents", "WhatsApp health", "Automation"):
            assert left_out not in text


def test_an_xlsx_report_holds_the_api_figures_as_numbers(engine):
    now = datetime.now(UTC)
    plant(engine, now)
    with smtp_server() as (box, port):
        settings = smtp_settings(engine, port)
        schedule_id = weekly_schedule(engine, settings, format="xlsx", recipients=["sari@example.test"])
        (sent,) = send_due_reports(engine, settings, now)
        assert sent.state is ReportRunState.sent
        (attachment,) = list(box.received[0].iter_attachments())
        assert attachment.get_filename().endswith(".xlsx")
        workbook = load_workbook(io.BytesIO(attachment.get_content()))

    figures = {row[0]: row[1:] for row in workbook["Executive summary"].iter_rows(min_row=2, values_only=True)}
    assert figures["Conversations"][0] == 7  # Sari's team, one conversation on each day of the week reported
    assert figures["Resolved"][0] == 0
    agents = {row[1] for row in workbook["Agent"].iter_rows(min_row=2, values_only=True)}
    assert agents == {"Ani Alpha", "Sari Alpha"}  # team Alpha's people, nobody of Bravo
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True) if row and row[0]}
    assert about["Scope"] == "Team: Alpha"
    assert about["TIMEZONE"] == "Asia/Jakarta"
    assert runs_of(engine, schedule_id)[0].recipients == ["sari@example.test"]


def test_text_that_would_start_a_formula_is_neutralised():
    assert [safe_text(value) for value in ("=HYPERLINK(1)", "+1", "-2", "@a", "Ani", 5, None)] == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-2",
        "'@a",
        "Ani",
        5,
        None,
    ]


def test_the_owners_scope_is_checked_at_run_time(engine):
    now = datetime.now(UTC)
    plant(engine, now)
    with smtp_server() as (box, port):
        settings = smtp_settings(engine, port)
        schedule_id = weekly_schedule(engine, settings)
        with Session(engine) as session, session.begin():
            session.get(User, "sari").team_id = "team-b"  # Sari now supervises Bravo: Alpha is outside her scope
        (refused,) = send_due_reports(engine, settings, now)
        assert refused.state is ReportRunState.failed
        assert refused.error.startswith("teamId:")
        assert box.received == []
    (run,) = runs_of(engine, schedule_id)
    assert (run.state, run.attempts) == (ReportRunState.failed, 1)


def test_a_run_whose_last_attempt_never_finished_is_taken_over_then_given_up(engine):
    now = datetime.now(UTC)
    plant(engine, now)
    with smtp_server() as (box, port):
        settings = smtp_settings(engine, port, report_max_attempts=2)
        schedule_id = weekly_schedule(engine, settings, recipients=["sari@example.test"])
        (run_id,) = claim_due_schedules(engine, settings, now)
        # A scheduler claimed the first attempt and died while sending: nobody else takes it while the claim holds.
        with Session(engine) as session, session.begin():
            run = session.get(ReportRun, run_id)
            run.state, run.attempts, run.next_attempt_at = ReportRunState.sending, 1, now + timedelta(minutes=10)
        assert send_due_reports(engine, settings, now + timedelta(minutes=9)) == []
        (taken_over,) = send_due_reports(engine, settings, now + timedelta(minutes=10))
        assert taken_over.state is ReportRunState.sent
        assert [message["To"] for message in box.received] == ["sari@example.test"]

        with Session(engine) as session, session.begin():
            run = session.get(ReportRun, run_id)
            run.state, run.attempts, run.next_attempt_at = ReportRunState.sending, 2, now + timedelta(minutes=20)
        (given_up,) = send_due_reports(engine, settings, now + timedelta(minutes=20))
        assert given_up.state is ReportRunState.failed
        assert given_up.error == "stopped after 2 attempts; the last one did not finish"
    assert runs_of(engine, schedule_id)[0].attempts == 3
