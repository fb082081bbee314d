"""`GET /api/settings` and `PATCH /api/settings` (SPEC §8.5): owners and admins only, every change audited with
before and after, bad values refused naming the key with nothing saved, the cache dropped on a change. On SQLite and
PostgreSQL, with real commits (the app writes)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pantau.business_settings.service import change_settings
from pantau.models import AuditLogEntry, BusinessSetting
from tests.api.responses import answer, assert_refused
from tests.conftest import make_settings

pytestmark = pytest.mark.commits

audit_log = AuditLogEntry.__table__
saved = BusinessSetting.__table__


def saved_rows(connection) -> dict:
    return dict(connection.execute(select(saved.c.key, saved.c.value)).all())


def audit_rows(connection) -> list[tuple]:
    return [
        (row.user_id, row.action, row.parameters, row.address)
        for row in connection.execute(select(audit_log).order_by(audit_log.c.id))
    ]


def by_key(body: dict) -> dict[str, dict]:
    return {setting["key"]: setting for setting in body["settings"]}


@pytest.mark.parametrize("role", ["manager", "manager without team", "supervisor A", "agent"])
def test_only_owners_and_admins_see_or_change_the_settings(client, people, connection, role):
    assert_refused(client.get("/api/settings", headers=people.bearer(role)), 403, "forbidden", "settings")
    people.sign_in(client, role)
    refused = client.patch("/api/settings", json={"sla_first_response_seconds": 600})
    assert_refused(refused, 403, "forbidden", "settings")
    assert saved_rows(connection) == {}
    assert audit_rows(connection) == []


def test_without_saved_values_the_environment_s_are_in_force(client, people):
    body = answer(client.get("/api/settings", headers=people.bearer("admin")))
    assert [setting["key"] for setting in body["settings"]] == [
        "sla_first_response_seconds",
        "business_hours",
        "holidays",
        "peak_hours",
        "cost_per_conversation",
        "whatsapp_rates",
        "currency",
    ]
    settings = by_key(body)
    assert settings["sla_first_response_seconds"] == {
        "key": "sla_first_response_seconds",
        "value": 300,
        "text": "300",
        "source": "environment",
        "updatedAt": None,
        "updatedBy": None,
    }
    assert (settings["peak_hours"]["value"], settings["peak_hours"]["text"]) == (
        [["09:00", "12:00"], ["14:00", "17:00"]],
        "09:00-12:00,14:00-17:00",
    )
    assert settings["business_hours"]["value"] == {}
    assert settings["currency"]["value"] == "IDR"


def test_an_owner_s_change_is_saved_and_audited_with_who_before_and_after(client, people, connection, pinned_now):
    people.sign_in(client, "owner")
    body = answer(
        client.patch(
            "/api/settings",
            json={"sla_first_response_seconds": 600, "business_hours": "mon-fri 08:00-17:00; sat 09:00-13:00"},
        )
    )
    weekdays = {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    business_hours = {**weekdays, "sat": [["09:00", "13:00"]]}
    assert body["changes"] == [
        {"key": "sla_first_response_seconds", "before": 300, "after": 600},
        {"key": "business_hours", "before": {}, "after": business_hours},
    ]
    assert audit_rows(connection) == [
        (
            "olga",
            "settings:change",
            {"key": "sla_first_response_seconds", "before": 300, "after": 600},
            "testclient",
        ),
        ("olga", "settings:change", {"key": "business_hours", "before": {}, "after": business_hours}, "testclient"),
    ]
    assert saved_rows(connection) == {"sla_first_response_seconds": 600, "business_hours": business_hours}

    settings = by_key(answer(client.get("/api/settings")))
    assert settings["sla_first_response_seconds"] == {
        "key": "sla_first_response_seconds",
        "value": 600,
        "text": "600",
        "source": "database",
        "updatedAt": "2026-03-04T12:00:00+07:00",
        "updatedBy": "olga@example.test",
    }
    assert settings["business_hours"]["text"] == "mon-fri 08:00-17:00; sat 09:00-13:00"


def test_saving_the_value_in_force_again_audits_nothing(client, people, connection):
    people.sign_in(client, "admin")
    answer(client.patch("/api/settings", json={"currency": "usd"}))
    again = answer(client.patch("/api/settings", json={"currency": "USD"}))
    assert again["changes"] == []
    assert audit_rows(connection) == [
        ("adi", "settings:change", {"key": "currency", "before": "IDR", "after": "USD"}, "testclient")
    ]


def test_null_puts_a_key_back_to_the_environment_s_value(client, people, connection):
    people.sign_in(client, "owner")
    answer(client.patch("/api/settings", json={"peak_hours": "10:00-11:00"}))
    body = answer(client.patch("/api/settings", json={"peak_hours": None}))
    assert body["changes"] == [
        {"key": "peak_hours", "before": [["10:00", "11:00"]], "after": [["09:00", "12:00"], ["14:00", "17:00"]]}
    ]
    assert by_key(body)["peak_hours"]["source"] == "environment"
    assert saved_rows(connection) == {}


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"sla_first_response_seconds": 0}, "sla_first_response_seconds"),
        ({"sla_first_response_seconds": "fast"}, "sla_first_response_seconds"),
        ({"business_hours": "mon-fri 17:00-08:00"}, "business_hours"),
        ({"holidays": "25-12-2026"}, "holidays"),
        ({"peak_hours": "9:30-12:00"}, "peak_hours"),
        ({"cost_per_conversation": "-1"}, "cost_per_conversation"),
        ({"whatsapp_rates": "{not json"}, "whatsapp_rates"),
        ({"whatsapp_rates": {"marketing": -1}}, "whatsapp_rates"),
        ({"currency": "rupiah"}, "currency"),
        ({"currency": True}, "currency"),
        ({"sla_target": 600}, "sla_target"),
        # One good value and one bad: nothing is saved.
        ({"currency": "USD", "holidays": "christmas"}, "holidays"),
        ({}, "settings"),
    ],
)
def test_a_bad_value_is_refused_naming_the_key_and_nothing_is_saved(http_client, people, connection, changes, key):
    people.sign_in(http_client, "owner")
    assert_refused(http_client.patch("/api/settings", json=changes), 400, "invalid_parameter", key)
    assert saved_rows(connection) == {}
    assert audit_rows(connection) == []


def test_a_body_that_is_no_object_is_refused(http_client, people):
    people.sign_in(http_client, "owner")
    response = http_client.patch("/api/settings", json=["sla_first_response_seconds", 600])
    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail"}


def test_an_api_token_reads_but_does_not_change_settings(client, people, connection):
    answer(client.get("/api/settings", headers=people.bearer("owner")))
    refused = client.patch("/api/settings", json={"currency": "USD"}, headers=people.bearer("owner"))
    assert_refused(refused, 403, "forbidden", "settings")
    assert saved_rows(connection) == {}


def test_a_change_drops_the_cached_answers(cached_app, redis_url, cache_namespace, people, data, pinned_now):
    data.make_answered_conversation(pinned_now - timedelta(hours=1), 400)
    app = cached_app(redis_url=redis_url, cache_namespace=cache_namespace)
    with TestClient(app, base_url="http://testserver") as client:
        people.sign_in(client, "owner")
        first, second = client.get("/api/dashboard/kpi"), client.get("/api/dashboard/kpi")
        assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
        assert second.json()["avgResponseTime"]["slaStatus"] == "warning"  # 400 s against 300 s

        answer(client.patch("/api/settings", json={"sla_first_response_seconds": 600}))
        after = client.get("/api/dashboard/kpi")
        assert after.headers["X-Cache"] == "miss"
        figure = after.json()["avgResponseTime"]
        assert (figure["slaStatus"], figure["slaTargetSeconds"]) == ("good", 600)


def test_changes_at_the_same_moment_take_turns(engine, people, connection, pinned_now):
    """Two owners save the same key at once: both are saved in turn, and the second's "before" is the first's
    "after", so the audit log tells the whole story."""
    base = make_settings(engine.url.render_as_string(hide_password=False))
    start = threading.Barrier(2)
    failures = []

    def save(user_id: str, seconds: int) -> None:
        try:
            with Session(engine) as session:
                start.wait()
                change_settings(
                    session, base, {"sla_first_response_seconds": seconds}, user_id=user_id, address="x", now=pinned_now
                )
        except Exception as exc:  # reported below, with the thread's own error
            failures.append(exc)

    threads = [threading.Thread(target=save, args=args) for args in (("olga", 400), ("adi", 500))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    entries = [row[2] for row in audit_rows(connection)]
    assert [entry["before"] for entry in entries] == [300, entries[0]["after"]]
    assert saved_rows(connection) == {"sla_first_response_seconds": entries[1]["after"]}
