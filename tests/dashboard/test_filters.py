"""`GET /api/dashboard/filters`: the teams and people each caller may narrow the dashboard to, and nothing more."""

from __future__ import annotations

import pytest

from tests.support.auth import PASSWORD_HASH, sign_in


@pytest.fixture
def organisation(data):
    data.make_team("Sales", id="sales")
    data.make_team("customer care", id="care")
    data.make_team("Billing", id="billing")
    data.make_user("owner", id="olivia", name="Olivia", password_hash=PASSWORD_HASH)
    data.make_user("admin", id="adi", name="Adi", password_hash=PASSWORD_HASH)
    data.make_user("supervisor", id="sri", name="Sri", team="sales", password_hash=PASSWORD_HASH)
    data.make_user("manager", id="nina", name="Nina", password_hash=PASSWORD_HASH)
    data.make_user("agent", id="ana", name="ana Putri", team="sales", password_hash=PASSWORD_HASH)
    data.make_user("agent", id="budi", name="Budi", team="sales")
    data.make_user("agent", id="citra", name="Citra", team="care")
    data.make_user("agent", id="gone", name="Gone", team="sales", is_active=False)


def filters_for(client, user: str) -> dict:
    sign_in(client, f"{user}@example.test")
    response = client.get("/api/dashboard/filters")
    assert response.status_code == 200
    return response.json()


def test_an_owner_may_pick_any_team_and_any_active_person(client, organisation):
    assert filters_for(client, "olivia") == {
        "teams": [
            {"id": "billing", "name": "Billing"},
            {"id": "care", "name": "customer care"},
            {"id": "sales", "name": "Sales"},
        ],
        "agents": [
            {"id": "ana", "name": "ana Putri", "teamId": "sales"},
            {"id": "budi", "name": "Budi", "teamId": "sales"},
            {"id": "citra", "name": "Citra", "teamId": "care"},
            {"id": "nina", "name": "Nina", "teamId": None},
            {"id": "sri", "name": "Sri", "teamId": "sales"},
        ],
    }


def test_an_admin_sees_the_same_choices_as_an_owner(client, organisation):
    assert [team["id"] for team in filters_for(client, "adi")["teams"]] == ["billing", "care", "sales"]


def test_a_supervisor_may_pick_their_team_and_its_active_people(client, organisation):
    assert filters_for(client, "sri") == {
        "teams": [{"id": "sales", "name": "Sales"}],
        "agents": [
            {"id": "ana", "name": "ana Putri", "teamId": "sales"},
            {"id": "budi", "name": "Budi", "teamId": "sales"},
            {"id": "sri", "name": "Sri", "teamId": "sales"},
        ],
    }


def test_an_agent_has_no_team_to_pick_and_only_themselves(client, organisation):
    assert filters_for(client, "ana") == {
        "teams": [],
        "agents": [{"id": "ana", "name": "ana Putri", "teamId": "sales"}],
    }


def test_a_manager_without_a_team_has_the_agents_choices(client, organisation):
    assert filters_for(client, "nina") == {"teams": [], "agents": [{"id": "nina", "name": "Nina", "teamId": None}]}


def test_every_choice_offered_is_accepted_by_the_sections(client, organisation):
    options = filters_for(client, "sri")

    for team in options["teams"]:
        assert client.get("/api/dashboard/kpi", params={"teamId": team["id"]}).status_code == 200
    for agent in options["agents"]:
        assert client.get("/api/dashboard/kpi", params={"agentId": agent["id"]}).status_code == 200


def test_the_filters_need_a_signed_in_caller(client):
    response = client.get("/api/dashboard/filters")

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
