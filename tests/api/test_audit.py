"""The audit log over HTTP: every successful read of business-impact leaves one entry (who, what, with which
parameters, from where) and nothing else does; `GET /api/audit` lists the entries, newest first, to owners and admins
only. On SQLite and PostgreSQL; the organisation has its people only (business-impact reads an empty one).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from pantau.audit import service as audit
from pantau.models import AuditLogEntry
from tests.api.organisation import TEAM_A, TEAM_B
from tests.api.responses import answer, assert_refused
from tests.support.sections import EVERY_SECTION as SECTIONS

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits

audit_log = AuditLogEntry.__table__


def audit_rows(connection) -> list[tuple]:
    """(user_id, action, parameters, address) of every entry, oldest first."""
    return [
        (row.user_id, row.action, row.parameters, row.address)
        for row in connection.execute(select(audit_log).order_by(audit_log.c.id))
    ]


def read_audit_log(client, people, role: str = "owner", **filters) -> dict:
    return answer(client.get("/api/audit", params=filters, headers=people.bearer(role)))


# --- What is recorded ------------------------------------------------------------------------------------------------


def test_a_read_of_business_impact_writes_one_entry_with_user_action_parameters_and_address(client, people, connection):
    answer(people.read(client, "owner", "business-impact", dateRange="7d", teamId=TEAM_A))
    assert audit_rows(connection) == [
        ("olga", "read:business-impact", {"dateRange": "7d", "teamId": TEAM_A}, "testclient"),
    ]


def test_every_read_of_business_impact_writes_its_own_entry(client, people, connection):
    # The second read is the same as the first: even when the answer comes from the cache, the read is recorded.
    answer(people.read(client, "supervisor A", "business-impact", startDate="2026-03-01", endDate="2026-03-31"))
    answer(people.read(client, "supervisor A", "business-impact", startDate="2026-03-01", endDate="2026-03-31"))
    answer(people.read(client, "manager", "business-impact", dateRange="30d"))
    assert audit_rows(connection) == [
        ("sari", "read:business-impact", {"startDate": "2026-03-01", "endDate": "2026-03-31"}, "testclient"),
        ("sari", "read:business-impact", {"startDate": "2026-03-01", "endDate": "2026-03-31"}, "testclient"),
        ("maya", "read:business-impact", {"dateRange": "30d"}, "testclient"),
    ]


def test_reads_of_the_other_sections_write_no_entry(client, people, connection):
    for section in SECTIONS:
        if section != "business-impact":
            answer(people.read(client, "owner", section, dateRange="7d"))
    assert audit_rows(connection) == []


@pytest.mark.parametrize(
    ("role", "parameters", "status"),
    [
        pytest.param("agent", {"dateRange": "30d"}, 403, id="agent"),
        pytest.param("owner", {"dateRange": "fortnight"}, 400, id="unknown dateRange"),
        pytest.param("owner", {"startDate": "2026-03-02", "endDate": "2026-03-01"}, 400, id="reversed dates"),
        pytest.param("supervisor A", {"dateRange": "30d", "teamId": TEAM_B}, 403, id="teamId outside the scope"),
        pytest.param("owner", {"dateRange": "30d", "teamId": "no-such-team"}, 404, id="unknown teamId"),
    ],
)
def test_a_refused_read_of_business_impact_writes_no_entry(client, people, connection, role, parameters, status):
    assert people.read(client, role, "business-impact", **parameters).status_code == status
    assert audit_rows(connection) == []


def test_an_unauthenticated_read_of_business_impact_writes_no_entry(client, people, connection):
    assert client.get("/api/dashboard/business-impact").status_code == 401
    assert audit_rows(connection) == []


# --- GET /api/audit --------------------------------------------------------------------------------------------------


@pytest.fixture
def three_reads(client, people) -> None:
    """Olga, then Sari, then Adi read business-impact, in that order."""
    answer(people.read(client, "owner", "business-impact", dateRange="today"))
    answer(people.read(client, "supervisor A", "business-impact", dateRange="today"))
    answer(people.read(client, "admin", "business-impact", period="today"))


def test_the_audit_log_lists_entries_newest_first_with_total_limit_and_offset(client, people, three_reads):
    page = read_audit_log(client, people)
    assert (page["total"], page["limit"], page["offset"]) == (3, 100, 0)
    assert [(entry["userId"], entry["userEmail"], entry["parameters"]) for entry in page["entries"]] == [
        ("adi", "adi@example.test", {"period": "today"}),
        ("sari", "sari@example.test", {"dateRange": "today"}),
        ("olga", "olga@example.test", {"dateRange": "today"}),
    ]


def test_an_audit_entry_says_who_read_what_with_which_parameters_from_where_and_when(client, people, pinned_now):
    answer(people.read(client, "owner", "business-impact", dateRange="7d"))
    [entry] = read_audit_log(client, people)["entries"]
    created_at = datetime.fromisoformat(entry.pop("createdAt"))
    assert isinstance(entry.pop("id"), int)
    assert entry == {
        "userId": "olga",
        "userEmail": "olga@example.test",
        "action": "read:business-impact",
        "parameters": {"dateRange": "7d"},
        "address": "testclient",
    }
    assert created_at.utcoffset().total_seconds() == 7 * 3600  # in the organisation's zone, Asia/Jakarta
    assert created_at == pinned_now


def test_limit_and_offset_page_through_the_entries(client, people, three_reads):
    page = read_audit_log(client, people, limit=1, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [entry["userId"] for entry in page["entries"]] == ["sari"]  # the second newest


def test_the_user_id_filter_keeps_that_users_entries(client, people, three_reads):
    page = read_audit_log(client, people, userId="sari")
    assert (page["total"], [entry["userId"] for entry in page["entries"]]) == (1, ["sari"])


def test_the_action_filter_keeps_that_actions_entries(client, people, session, three_reads):
    audit.record(session, user_id="olga", action="export:csv", parameters={"section": "kpi"}, address="10.0.0.1")
    exports = read_audit_log(client, people, action="export:csv")
    reads = read_audit_log(client, people, action="read:business-impact")
    assert (exports["total"], [entry["parameters"] for entry in exports["entries"]]) == (1, [{"section": "kpi"}])
    assert (reads["total"], [entry["userId"] for entry in reads["entries"]]) == (3, ["adi", "sari", "olga"])


def test_empty_filters_are_the_same_as_none(client, people, three_reads):
    page = read_audit_log(client, people, action="", userId="")
    assert (page["total"], [entry["userId"] for entry in page["entries"]]) == (3, ["adi", "sari", "olga"])


def test_filters_that_match_nothing_give_an_empty_page(client, people, three_reads):
    page = read_audit_log(client, people, action="read:business-impact", userId="ani")
    assert (page["total"], page["entries"]) == (0, [])


def test_the_admin_reads_the_audit_log_too(client, people, three_reads):
    assert read_audit_log(client, people, "admin")["total"] == 3


@pytest.mark.parametrize("role", ["manager", "manager without team", "supervisor A", "agent"])
def test_the_audit_log_is_refused_to_everyone_but_owner_and_admin(client, people, role):
    response = client.get("/api/audit", headers=people.bearer(role))
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "only owners and admins may read the audit log"}


def test_the_audit_log_without_credentials_is_401(client):
    response = client.get("/api/audit")
    assert response.status_code == 401
    assert set(response.json()) == {"error", "detail"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "0"),
        ("limit", "501"),
        ("offset", "-1"),
        ("limit", "ten"),
        ("offset", "1000000001"),
        # Past PostgreSQL's bigint and SQLite's integer: it must never reach the database.
        ("offset", "9223372036854775808"),
        ("limit", "9223372036854775808"),
    ],
)
def test_a_bad_page_parameter_is_refused_naming_it(http_client, people, name, value):
    response = http_client.get("/api/audit", params={name: value}, headers=people.bearer("owner"))
    assert_refused(response, 422, "invalid_parameter", name)


def test_the_largest_offset_is_an_empty_page(client, people, three_reads):
    page = read_audit_log(client, people, offset=1_000_000_000)
    assert (page["total"], page["offset"], page["entries"]) == (3, 1_000_000_000, [])


@pytest.mark.parametrize("filter_name", ["userId", "action"])
def test_a_filter_with_a_nul_character_is_refused_naming_it(http_client, people, filter_name):
    response = http_client.get("/api/audit", params={filter_name: "olga\x00"}, headers=people.bearer("owner"))
    assert_refused(response, 400, "invalid_parameter", filter_name)
