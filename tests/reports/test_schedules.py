"""Report schedules: when they run and what they cover, who may make them for whom, and who may receive them."""

from __future__ import annotations

from datetime import date

import pytest

from pantau.models.enums import ReportCadence
from pantau.reports.cadence import Cadence, CadenceError
from tests.support.builders import local, utc

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

ZONE = local("2026-03-02 00:00").tzinfo


def weekly_request(**fields) -> dict:
    return {"recipients": ["olga@example.test"], "cadence": "weekly", "at": "08:00", "weekday": "mon", **fields}


def test_a_weekly_schedule_runs_on_its_weekday_at_its_local_time_and_covers_the_seven_days_before():
    monday_at_eight = Cadence.parse("weekly", "08:00", "mon")
    # Monday 2 March 2026, 08:00 in Jakarta is 01:00 UTC; at that instant the next run is a week later.
    assert monday_at_eight.next_run_after(local("2026-03-01 12:00"), ZONE) == utc("2026-03-02 01:00")
    assert monday_at_eight.next_run_after(utc("2026-03-02 01:00"), ZONE) == utc("2026-03-09 01:00")
    assert monday_at_eight.report_dates(utc("2026-03-09 01:00"), ZONE) == (date(2026, 3, 2), date(2026, 3, 8))


def test_daily_and_monthly_schedules_cover_the_previous_day_and_month():
    daily = Cadence.parse("daily", "23:30")
    assert daily.next_run_after(local("2026-03-02 23:30"), ZONE) == local("2026-03-03 23:30")
    assert daily.report_dates(local("2026-03-03 23:30"), ZONE) == (date(2026, 3, 2), date(2026, 3, 2))
    monthly = Cadence.parse("monthly", "07:00", month_day=1)
    assert monthly.kind is ReportCadence.monthly
    assert monthly.next_run_after(local("2026-02-10 00:00"), ZONE) == local("2026-03-01 07:00")
    assert monthly.report_dates(local("2026-03-01 07:00"), ZONE) == (date(2026, 2, 1), date(2026, 2, 28))


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (("hourly", "08:00"), "cadence"),
        (("daily", "8:00"), "at"),
        (("daily", "24:00"), "at"),
        (("weekly", "08:00"), "weekday"),
        (("weekly", "08:00", "monday"), "weekday"),
        (("monthly", "08:00", None, 31), "day"),
        (("daily", "08:00", "mon"), "weekday"),
    ],
)
def test_a_cadence_that_makes_no_sense_is_refused_naming_the_part(arguments, named):
    with pytest.raises(CadenceError) as refused:
        Cadence.parse(*arguments)
    assert refused.value.parameter == named


def test_a_supervisor_schedules_their_own_team_but_not_another(client, org):
    made = client.post(
        "/api/reports/schedules", json=weekly_request(teamId="team-a"), headers=org.bearer("supervisor A")
    )
    assert made.status_code == 201, made.text
    assert made.json()["teamId"] == "team-a"
    assert made.json()["description"] == "weekly on mon at 08:00"

    refused = client.post(
        "/api/reports/schedules", json=weekly_request(teamId="team-b"), headers=org.bearer("supervisor A")
    )
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("teamId:")


def test_agents_cannot_schedule_reports(client, org):
    response = client.post("/api/reports/schedules", json=weekly_request(), headers=org.bearer("agent"))
    assert response.status_code == 403
    assert client.get("/api/reports/schedules", headers=org.bearer("agent")).status_code == 403


def test_recipients_are_pantau_users_or_on_the_allowed_domains(client, org, app):
    outsider = client.post(
        "/api/reports/schedules", json=weekly_request(recipients=["boss@partner.test"]), headers=org.bearer("owner")
    )
    assert outsider.status_code == 400
    assert outsider.json()["detail"].startswith("recipients: boss@partner.test is not a Pantau user's address")

    app.state.settings = app.state.settings.model_copy(update={"report_recipient_domains": ["partner.test"]})
    allowed = client.post(
        "/api/reports/schedules",
        json=weekly_request(recipients=["Boss@Partner.test", "SARI@example.test"]),
        headers=org.bearer("owner"),
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["recipients"] == ["boss@partner.test", "sari@example.test"]


def test_each_sees_and_deletes_only_their_own_schedules_and_owners_all(client, org):
    mine = client.post("/api/reports/schedules", json=weekly_request(), headers=org.bearer("supervisor A")).json()
    olgas = client.post("/api/reports/schedules", json=weekly_request(), headers=org.bearer("owner")).json()

    overview = client.get("/api/reports/schedules", headers=org.bearer("supervisor A")).json()
    assert [schedule["id"] for schedule in overview["schedules"]] == [mine["id"]]
    assert overview["smtpConfigured"] is False
    everything = client.get("/api/reports/schedules", headers=org.bearer("owner")).json()
    assert [schedule["id"] for schedule in everything["schedules"]] == [mine["id"], olgas["id"]]

    assert client.delete(f"/api/reports/schedules/{olgas['id']}", headers=org.bearer("supervisor A")).status_code == 404
    assert client.delete(f"/api/reports/schedules/{mine['id']}", headers=org.bearer("owner")).status_code == 204
    assert client.get("/api/reports/schedules", headers=org.bearer("supervisor A")).json()["schedules"] == []
