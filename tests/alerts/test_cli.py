"""`pantau alert create|list|evaluate|delete` against a freshly migrated database of each dialect."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pantau.core import clock
from pantau.models import AlertEvent, AlertRule, AuditLogEntry
from tests.auth.test_cli import cli_engine, pantau, seed  # noqa: F401 - the CLI's database fixture
from tests.support.builders import Dataset, utc

NOW = utc("2026-03-04 05:00")


def plant(db: Session) -> None:
    data = Dataset(db.connection())
    data.make_team("Alpha", id="team-a")
    conversation = data.make_conversation(NOW - timedelta(minutes=50), team="team-a")
    for status in ("delivered", "failed", "failed", "failed"):
        data.make_message(conversation, NOW - timedelta(minutes=40), sender="agent", status=status)


def test_create_list_evaluate_and_delete_a_rule(cli_engine, monkeypatch):  # noqa: F811
    monkeypatch.setattr(clock, "now", lambda: NOW)
    seed(cli_engine, plant)
    created = pantau(
        "alert", "create", "--metric", "delivery_rate", "--below", "90", "--window", "2h", "--for", "0s",
        "--team", "team-a", "--email", "olga@example.test,sari@example.test",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    rule_id = int(created.output.strip().splitlines()[-1])

    listed = pantau("alert", "list")
    assert listed.exit_code == 0, listed.output
    assert f"{rule_id}\tdelivery_rate below 90 over 2h for 0s (team team-a)\tok since " in listed.output

    evaluated = pantau("alert", "evaluate")
    assert evaluated.exit_code == 0, evaluated.output
    # 1 delivered of 1 handed over, 3 failed: 1 / 4 = 25 %; no SMTP server is configured.
    assert f"rule {rule_id}: firing (value 25), fired; e-mail not sent: SMTP_HOST is not set" in evaluated.output
    assert pantau("alert", "evaluate").output.startswith("no alert rule was due")

    as_json = json.loads(pantau("alert", "list", "--json").output)
    assert [(rule["id"], rule["state"], rule["lastValue"], rule["teamId"]) for rule in as_json] == [
        (rule_id, "firing", 25.0, "team-a")
    ]

    deleted = pantau("alert", "delete", str(rule_id))
    assert deleted.exit_code == 0, deleted.output
    with Session(cli_engine) as db:
        assert db.scalars(select(AlertRule)).all() == []
        assert db.scalars(select(AlertEvent)).all() == []
        assert db.scalars(select(AuditLogEntry.action)).all() == ["alert.create", "alert.delete"]
    missing = pantau("alert", "delete", str(rule_id))
    assert missing.exit_code == 1
    assert f"no alert rule {rule_id}" in missing.output


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--metric", "happiness", "--below", "5", "--email", "a@example.test"], "--metric: 'happiness' is none of"),
        (["--metric", "delivery_rate", "--email", "a@example.test"], "give exactly one of --below X or --above X"),
        (["--metric", "delivery_rate", "--below", "5", "--above", "9"], "give exactly one of --below X or --above X"),
        (["--metric", "delivery_rate", "--below", "ninety", "--email", "a@example.test"], "--below: 'ninety'"),
        (["--metric", "delivery_rate", "--below", "90", "--window", "1w", "--email", "a@example.test"], "--window:"),
        (["--metric", "delivery_rate", "--below", "90"], "--email: give e-mail addresses, a webhook URL, or both"),
        (["--metric", "queue_depth", "--above", "9", "--team", "team-a", "--email", "a@example.test"], "--team:"),
        (["--metric", "failed_messages", "--above", "-1", "--email", "a@example.test"], "--below/--above:"),
        (["--metric", "delivery_rate", "--below", "90", "--webhook", "hooks.example.test"], "--webhook:"),
        (["--metric", "delivery_rate", "--below", "90", "--email", "x"], "--email: 'x' is not an e-mail address"),
        (
            ["--metric", "delivery_rate", "--below", "90", "--email", "a@example.test", "--webhook-format", "teams"],
            "--webhook-format: pantau or slack",
        ),
    ],
)
def test_bad_input_is_refused_with_exit_code_2_naming_the_option(cli_engine, arguments, said):  # noqa: F811
    seed(cli_engine, plant)
    refused = pantau("alert", "create", *arguments)
    assert refused.exit_code == 2, refused.output
    assert said in refused.output
    with Session(cli_engine) as db:
        assert db.scalars(select(AlertRule)).all() == []
