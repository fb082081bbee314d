"""SPEC §9 over HTTP: bad input to `GET /api/dashboard/<section>` is a 4xx with a JSON body {error, detail} whose detail
names the parameter; never a 500, never a stack trace. Checked on every section the input applies to.

The caller is the owner (every section open, no scope refusal in the way); the organisation has its people only.
"""

from __future__ import annotations

import pytest

from tests.api.organisation import TEAM_A
from tests.api.responses import answer, assert_refused
from tests.support.sections import EVERY_SECTION as SECTIONS
from tests.support.sections import RANGED_SECTIONS

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits


def refusals(client, people, **parameters) -> dict[str, tuple[int, str, str]]:
    """{section: (status, error, parameter named first in the detail)} for a read of every ranged section."""
    outcomes = {}
    for section in RANGED_SECTIONS:
        response = people.read(client, "owner", section, **parameters)
        assert "Traceback" not in response.text
        assert set(response.json()) == {"error", "detail"}, response.text
        outcomes[section] = (response.status_code, response.json()["error"], response.json()["detail"].split(":")[0])
    return outcomes


def everywhere(status: int, error: str, parameter: str) -> dict[str, tuple[int, str, str]]:
    return {section: (status, error, parameter) for section in RANGED_SECTIONS}


def test_an_unknown_date_range_is_refused_naming_date_range(http_client, people):
    assert refusals(http_client, people, dateRange="fortnight") == everywhere(400, "invalid_parameter", "dateRange")


@pytest.mark.parametrize(
    "empty",
    [
        {"dateRange": "", "startDate": "", "endDate": ""},
        {"dateRange": "", "period": "7d"},
        {"period": "", "startDate": "2026-03-01", "endDate": "2026-03-02"},
        {"teamId": "", "agentId": ""},
    ],
    ids=["every range parameter", "dateRange beside period", "period beside dates", "filters"],
)
def test_an_empty_parameter_is_the_same_as_none(http_client, people, empty):
    """docs/decisions.md: a form that submits its empty fields gets what leaving them out gets. The same window and
    scope make the same cache key, so the second answer is the first one from the cache, `range` included."""
    given = {name: value for name, value in empty.items() if value}
    for section in RANGED_SECTIONS:
        with_empty = http_client.get(f"/api/dashboard/{section}", params=empty, headers=people.bearer("owner"))
        without = http_client.get(f"/api/dashboard/{section}", params=given, headers=people.bearer("owner"))
        assert answer(with_empty) == answer(without), section
        assert (with_empty.headers["x-cache"], without.headers["x-cache"]) == ("miss", "hit"), section


def test_an_unknown_period_is_refused_naming_period(http_client, people):
    assert refusals(http_client, people, period="fortnight") == everywhere(400, "invalid_parameter", "period")


def test_period_is_an_alias_of_date_range(http_client, people):
    for section in RANGED_SECTIONS:
        by_alias = answer(people.read(http_client, "owner", section, period="7d"))["range"]
        by_name = answer(people.read(http_client, "owner", section, dateRange="7d"))["range"]
        assert (by_alias["start"], by_alias["previousStart"]) == (by_name["start"], by_name["previousStart"]), section


def test_date_range_and_period_that_disagree_are_refused_naming_period(http_client, people):
    assert refusals(http_client, people, dateRange="7d", period="30d") == everywhere(400, "invalid_parameter", "period")


def test_date_range_and_period_that_agree_are_accepted(http_client, people):
    for section in RANGED_SECTIONS:
        answer(people.read(http_client, "owner", section, dateRange="today", period="today"))


@pytest.mark.parametrize(
    ("start_date", "end_date", "parameter"),
    [
        pytest.param("2026-3-01", "2026-03-02", "startDate", id="no leading zero"),
        pytest.param("01/03/2026", "2026-03-02", "startDate", id="another format"),
        pytest.param("2026-02-30", "2026-03-02", "startDate", id="no such day"),
        pytest.param("2026-W48-1", "2026-12-01", "startDate", id="an ISO week date"),
        pytest.param("2026-03-01", "2026-060", "endDate", id="an ISO ordinal date"),
        pytest.param("20260301", "2026-03-02", "startDate", id="without hyphens"),
        pytest.param("2026-03-01", "2026-03-02T10:00", "endDate", id="a time"),
        pytest.param("2026-03-01", "tomorrow", "endDate", id="a word"),
        pytest.param("2026-03-01", "", "endDate", id="empty"),
    ],
)
def test_a_malformed_date_is_refused_naming_it(http_client, people, start_date, end_date, parameter):
    assert refusals(http_client, people, startDate=start_date, endDate=end_date) == everywhere(
        400, "invalid_parameter", parameter
    )


def test_reversed_dates_are_refused_naming_start_date(http_client, people):
    assert refusals(http_client, people, startDate="2026-03-02", endDate="2026-03-01") == everywhere(
        400, "invalid_parameter", "startDate"
    )


def test_a_span_over_366_days_is_refused_naming_end_date(http_client, people):
    # 2025-03-01 .. 2026-03-02, both inclusive: 367 days.
    assert refusals(http_client, people, startDate="2025-03-01", endDate="2026-03-02") == everywhere(
        400, "invalid_parameter", "endDate"
    )


def test_a_span_of_exactly_366_days_is_accepted(http_client, people):
    # 2025-03-02 .. 2026-03-02, both inclusive: 366 days, from local midnight to the local midnight after the end.
    for section in RANGED_SECTIONS:
        body = answer(people.read(http_client, "owner", section, startDate="2025-03-02", endDate="2026-03-02"))
        assert (body["range"]["start"], body["range"]["end"]) == (
            "2025-03-02T00:00:00+07:00",
            "2026-03-03T00:00:00+07:00",
        ), section


@pytest.mark.parametrize(
    ("given", "missing"),
    [({"startDate": "2026-03-01"}, "endDate"), ({"endDate": "2026-03-01"}, "startDate")],
    ids=["only startDate", "only endDate"],
)
def test_only_one_of_start_and_end_date_is_refused_naming_the_missing_one(http_client, people, given, missing):
    assert refusals(http_client, people, **given) == everywhere(400, "invalid_parameter", missing)


def test_a_preset_with_custom_dates_is_refused_naming_date_range(http_client, people):
    assert refusals(http_client, people, dateRange="7d", startDate="2026-03-01", endDate="2026-03-02") == everywhere(
        400, "invalid_parameter", "dateRange"
    )


@pytest.mark.parametrize(
    ("start_date", "end_date", "parameter"),
    [
        ("0001-01-01", "0001-01-02", "startDate"),
        ("9999-12-30", "9999-12-31", "startDate"),
        ("2026-01-01", "9999-12-31", "endDate"),
    ],
    ids=["year 1", "year 9999", "end in year 9999"],
)
def test_a_date_at_the_edge_of_the_calendar_is_refused_not_a_server_error(
    http_client, people, start_date, end_date, parameter
):
    assert refusals(http_client, people, startDate=start_date, endDate=end_date) == everywhere(
        400, "invalid_parameter", parameter
    )


@pytest.mark.parametrize("filter_name", ["teamId", "agentId"])
def test_an_id_that_names_nothing_is_404_naming_the_filter_on_every_section(http_client, people, filter_name):
    for section in SECTIONS:
        response = people.read(http_client, "owner", section, **{filter_name: "no-such-id"})
        assert_refused(response, 404, "not_found", filter_name)


@pytest.mark.parametrize("filter_name", ["teamId", "agentId"])
def test_an_id_with_a_nul_character_is_refused_naming_the_filter(http_client, people, filter_name):
    for section in SECTIONS:
        response = people.read(http_client, "owner", section, **{filter_name: "team\x00a"})
        assert_refused(response, 400, "invalid_parameter", filter_name)


def test_an_unknown_section_is_404_naming_the_section(http_client, people):
    response = http_client.get("/api/dashboard/sales-forecast", headers=people.bearer("owner"))
    assert_refused(response, 404, "unknown_section", "section")
    assert "business-impact" in response.json()["detail"]  # it lists the sections there are


def test_without_credentials_every_section_is_401_json(http_client):
    for section in [*SECTIONS, "sales-forecast"]:
        response = http_client.get(f"/api/dashboard/{section}", params={"dateRange": "7d"})
        assert "Traceback" not in response.text
        assert response.status_code == 401, section
        assert response.json() == {
            "error": "unauthorized",
            "detail": "sign in at /login, or send an API token as `Authorization: Bearer <token>`",
        }


def test_kpi_ignores_range_parameters_and_always_covers_today(http_client, people):
    """docs/metrics/kpi.md: dateRange, period, startDate and endDate are ignored; kpi is always today."""
    today = answer(people.read(http_client, "owner", "kpi"))["range"]
    for ignored in [
        {"dateRange": "7d"},
        {"dateRange": "fortnight"},
        {"dateRange": "7d", "period": "30d"},
        {"startDate": "2026-03-02", "endDate": "2026-03-01"},
        {"startDate": "not-a-date"},
    ]:
        body = answer(people.read(http_client, "owner", "kpi", **ignored))
        assert (body["range"]["start"], body["range"]["previousStart"]) == (
            today["start"],
            today["previousStart"],
        ), ignored


def test_kpi_still_applies_the_scope_filters(http_client, people):
    assert_refused(people.read(http_client, "owner", "kpi", teamId="no-such-team"), 404, "not_found", "teamId")
    answer(people.read(http_client, "owner", "kpi", teamId=TEAM_A))


def test_a_sign_in_with_a_nul_character_is_refused_like_any_wrong_e_mail(http_client, people):
    response = http_client.post(
        "/login", data={"email": "olga\x00@example.test", "password": "x"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_credentials", "detail": "wrong e-mail or password"}


def test_a_method_not_served_is_405_naming_every_method_served_at_that_path(http_client):
    """`/login` is served by two routes (the form and the sign-in); `Allow` names the methods of both."""
    response = http_client.request("PUT", "/login")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json() == {"error": "method_not_allowed", "detail": "Method Not Allowed"}
