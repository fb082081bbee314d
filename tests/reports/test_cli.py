"""`pantau report create|list|delete` against a freshly migrated database of each dialect."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from pantau.models import ReportSchedule
from tests.auth.test_cli import cli_engine, pantau, seed  # noqa: F401 - the CLI's database fixture
from tests.support.builders import Dataset


def plant_people(db: Session) -> None:
    data = Dataset(db.connection())
    data.make_team("Alpha", id="team-a")
    data.make_team("Bravo", id="team-b")
    data.make_user("supervisor", team="team-a", id="sari", email="sari@example.test")
    data.make_user("owner", id="olga", email="olga@example.test")


def test_create_list_and_delete_a_schedule(cli_engine):  # noqa: F811
    seed(cli_engine, plant_people)
    created = pantau(
        "report", "create", "--owner", "sari@example.test", "--to", "olga@example.test,sari@example.test",
        "--cadence", "weekly", "--at", "08:00", "--weekday", "mon", "--format", "html", "--lang", "en",
        "--team", "team-a",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    schedule_id = int(created.output.strip())
    with Session(cli_engine) as db:
        schedule = db.get(ReportSchedule, schedule_id)
        assert schedule.recipients == ["olga@example.test", "sari@example.test"]
        assert (schedule.cadence.value, schedule.at_time, schedule.weekday) == ("weekly", "08:00", 0)

    listed = pantau("report", "list")
    assert listed.exit_code == 0
    assert f"{schedule_id}\tsari@example.test\tweekly on mon at 08:00\thtml\ten\tteam=team-a" in listed.output
    as_json = pantau("report", "list", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == [
        {
            "id": schedule_id,
            "owner": "sari@example.test",
            "cadence": "weekly on mon at 08:00",
            "format": "html",
            "language": "en",
            "team_id": "team-a",
            "next_run_at": json.loads(as_json.output)[0]["next_run_at"],
            "recipients": ["olga@example.test", "sari@example.test"],
            "sections": None,
        }
    ]
    with Session(cli_engine) as db:
        next_run = db.get(ReportSchedule, schedule_id).next_run_at
    assert json.loads(as_json.output)[0]["next_run_at"] == next_run.isoformat()

    deleted = pantau("report", "delete", str(schedule_id))
    assert deleted.exit_code == 0
    with Session(cli_engine) as db:
        assert db.execute(select(ReportSchedule)).first() is None
    assert pantau("report", "delete", str(schedule_id)).exit_code == 1


def test_a_supervisor_cannot_schedule_another_team_nor_an_outside_address(cli_engine):  # noqa: F811
    seed(cli_engine, plant_people)
    base = ("report", "create", "--owner", "sari@example.test", "--cadence", "daily", "--at", "07:00")
    other_team = pantau(*base, "--to", "olga@example.test", "--team", "team-b")
    assert other_team.exit_code == 1
    assert "teamId:" in other_team.output
    outsider = pantau(*base, "--to", "someone@elsewhere.test")
    assert outsider.exit_code == 1
    assert "recipients: someone@elsewhere.test" in outsider.output
