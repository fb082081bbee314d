"""`GET /api/dashboard/filters`: the teams and people each caller may narrow the dashboard to, and nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.auth import PASSWORD_HASH, sign_in

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits


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


def test_every_choice_offered_is_accepted_by_the_sections_and_narrows_them(client, organisation, data, pinned_now):
    # Open conversations today: ana 1, budi 2, sri none, citra (care, outside sri's team) 4.
    for agent, team, count in (("ana", "sales", 1), ("budi", "sales", 2), ("citra", "care", 4)):
        for _ in range(count):
            data.make_conversation(pinned_now - timedelta(minutes=5), team=team, assigned_to=agent)
    options = filters_for(client, "sri")

    def active(**narrowed: str) -> int:
        response = client.get("/api/dashboard/kpi", params=narrowed)
        assert response.status_code == 200, response.text
        return response.json()["activeConversations"]["value"]

    assert {team["id"]: active(teamId=team["id"]) for team in options["teams"]} == {"sales": 3}
    assert {agent["id"]: active(agentId=agent["id"]) for agent in options["agents"]} == {"ana": 1, "budi": 2, "sri": 0}
    assert active() == 3


def test_the_filters_need_a_signed_in_caller(client):
    response = client.get("/api/dashboard/filters")

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
