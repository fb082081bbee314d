"""`/api/alerts`: owners and admins make and delete rules (audited), everyone reads what their scope covers."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from pantau.models import AlertEvent, AlertRule, AuditLogEntry
from pantau.models.enums import AlertEventKind, AlertState
from tests.conftest import PINNED_NOW

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

RULE = {
    "metric": "delivery_rate",
    "comparison": "below",
    "threshold": 90,
    "window": "1h",
    "for": "5m",
    "emails": ["Olga@Example.test"],
}


def make(client, org, role: str = "owner", **fields):
    return client.post("/api/alerts", json={**RULE, **fields}, headers=org.bearer(role))


@pytest.mark.parametrize("role", ["manager", "supervisor A", "agent", "manager without team"])
def test_only_owners_and_admins_make_or_delete_rules(http_client, people, role):
    refused = make(http_client, people, role)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "forbidden",
        "detail": "alerts: only owners and admins may make or delete alert rules",
    }
    made = make(http_client, people, "admin")
    assert made.status_code == 201, made.text
    assert http_client.delete(f"/api/alerts/{made.json()['id']}", headers=people.bearer(role)).status_code == 403


def test_an_owner_makes_a_rule_audited_and_deletes_it(http_client, people, session):
    made = make(http_client, people, teamId="team-a", webhookUrl="https://hooks.example.test/pantau", cooldown="15m")
    assert made.status_code == 201, made.text
    body = made.json()
    assert {key: body[key] for key in ("metric", "teamId", "comparison", "threshold", "windowSeconds")} == {
        "metric": "delivery_rate",
        "teamId": "team-a",
        "comparison": "below",
        "threshold": 90.0,
        "windowSeconds": 3600,
    }
    assert (body["forSeconds"], body["cooldownSeconds"], body["emails"]) == (300, 900, ["olga@example.test"])
    assert (body["state"], body["lastValue"], body["webhookFormat"]) == ("ok", None, "pantau")

    deleted = http_client.delete(f"/api/alerts/{body['id']}", headers=people.bearer("owner"))
    assert deleted.status_code == 204
    assert http_client.delete(f"/api/alerts/{body['id']}", headers=people.bearer("owner")).status_code == 404
    actions = session.execute(select(AuditLogEntry.action, AuditLogEntry.parameters)).all()
    audited = [(action, parameters["id"]) for action, parameters in actions if action.startswith("alert.")]
    assert audited == [("alert.create", body["id"]), ("alert.delete", body["id"])]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"metric": "happiness"}, "metric"),
        ({"comparison": "equal"}, "comparison"),
        ({"threshold": 120}, "threshold"),
        ({"window": "an hour"}, "window"),
        ({"window": "0s"}, "window"),
        ({"for": "-5m"}, "for"),
        ({"emails": ["not-an-address"]}, "email"),
        ({"emails": [], "webhookUrl": None}, "email"),
        ({"webhookUrl": "ftp://example.test/hook"}, "webhook"),
        ({"webhookFormat": "teams"}, "webhookFormat"),
        ({"metric": "queue_depth", "comparison": "above", "threshold": 100, "teamId": "team-a"}, "team"),
    ],
)
def test_a_rule_that_cannot_be_made_is_refused_naming_the_parameter(http_client, people, fields, named):
    refused = make(http_client, people, **fields)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_parameter"
    assert refused.json()["detail"].startswith(f"{named}: ")


def test_an_unknown_team_is_not_found(http_client, people):
    refused = make(http_client, people, teamId="team-z")
    assert refused.status_code == 404
    assert refused.json()["detail"] == "team: no team 'team-z'"


def test_firing_alerts_and_history_are_shown_to_those_whose_scope_covers_the_rule(http_client, people, session):
    ids = {}
    for name, team in (("org", None), ("a", "team-a"), ("b", "team-b")):
        made = make(http_client, people, teamId=team)
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]
    session.execute(update(AlertRule).values(state=AlertState.firing, since=PINNED_NOW, last_value=42.5))
    for rule_id in ids.values():
        session.add(AlertEvent(rule_id=rule_id, at=PINNED_NOW, kind=AlertEventKind.fired, value=42.5))
    session.flush()

    def firing(role: str) -> list[int]:
        response = http_client.get("/api/alerts/firing", headers=people.bearer(role))
        assert response.status_code == 200, response.text
        return [rule["id"] for rule in response.json()["rules"]]

    def history(role: str) -> list[int]:
        response = http_client.get("/api/alerts/history", headers=people.bearer(role))
        assert response.status_code == 200, response.text
        return sorted(event["ruleId"] for event in response.json()["events"])

    assert firing("owner") == firing("admin") == [ids["org"], ids["a"], ids["b"]]
    assert firing("supervisor A") == firing("manager") == [ids["a"]]  # Sari and Maya lead team A
    assert firing("supervisor B") == [ids["b"]]
    assert firing("agent") == firing("manager without team") == []
    assert history("supervisor A") == [ids["a"]]
    assert history("owner") == sorted(ids.values())
    listed = http_client.get("/api/alerts", headers=people.bearer("supervisor A")).json()["rules"]
    assert [(rule["id"], rule["state"], rule["lastValue"], rule["teamName"]) for rule in listed] == [
        (ids["a"], "firing", 42.5, "Alpha")
    ]
    refused = http_client.get("/api/alerts/history?limit=0", headers=people.bearer("owner"))
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("limit: ")
