"""SPEC §4: which rows each role reads and which sections it opens, decided in one place."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pantau.auth.scope import Scope, resolve_scope
from pantau.models import User
from pantau.models.enums import Role


def person(role: str, *, id: str = "u-1", team: str | None = None) -> User:
    return User(id=id, email=f"{id}@example.test", full_name=id, role=Role(role), team_id=team)


@pytest.mark.parametrize(
    ("role", "team", "expected"),
    [
        ("agent", "sales", Scope(level="own", role=Role.agent, user_id="u-1")),
        ("agent", None, Scope(level="own", role=Role.agent, user_id="u-1")),
        ("supervisor", "sales", Scope(level="team", role=Role.supervisor, user_id="u-1", team_ids=("sales",))),
        ("manager", "sales", Scope(level="team", role=Role.manager, user_id="u-1", team_ids=("sales",))),
        ("supervisor", None, Scope(level="own", role=Role.supervisor, user_id="u-1")),
        ("manager", None, Scope(level="own", role=Role.manager, user_id="u-1")),
        ("owner", None, Scope(level="all", role=Role.owner, user_id="u-1")),
        ("owner", "sales", Scope(level="all", role=Role.owner, user_id="u-1")),
        ("admin", None, Scope(level="all", role=Role.admin, user_id="u-1")),
    ],
)
def test_each_role_resolves_to_its_scope(role, team, expected):
    assert resolve_scope(person(role, team=team)) == expected


@pytest.mark.parametrize(
    ("role", "team", "may_open"),
    [
        ("agent", "sales", False),
        ("supervisor", "sales", True),
        ("supervisor", None, False),  # the agent's scope, and the agent's 403
        ("manager", "sales", True),
        ("manager", None, False),
        ("owner", None, True),
        ("admin", None, True),
    ],
)
def test_management_sections_need_a_team_or_the_whole_organisation(role, team, may_open):
    assert resolve_scope(person(role, team=team)).can_read_management_sections is may_open


def test_callers_who_see_the_same_rows_share_a_cache_key():
    supervisor = resolve_scope(person("supervisor", id="sri", team="sales"))
    manager = resolve_scope(person("manager", id="maya", team="sales"))
    owner = resolve_scope(person("owner", id="olga"))
    admin = resolve_scope(person("admin", id="adi"))

    assert supervisor.cache_key == manager.cache_key == 'team:["sales"]|masked'
    assert owner.cache_key == admin.cache_key == "all|phones"


def test_callers_who_see_different_rows_never_share_a_cache_key():
    keys = [
        resolve_scope(person("supervisor", id="sri", team="sales")).cache_key,
        resolve_scope(person("supervisor", id="tono", team="support")).cache_key,
        resolve_scope(person("agent", id="ana")).cache_key,
        resolve_scope(person("agent", id="budi")).cache_key,
        resolve_scope(person("supervisor", id="dewi")).cache_key,
        # A user whose id happens to be a team's id still gets an own-scope key.
        resolve_scope(person("agent", id="sales")).cache_key,
        resolve_scope(person("owner", id="olga")).cache_key,
    ]

    assert keys == [
        'team:["sales"]|masked',
        'team:["support"]|masked',
        "own:ana|masked",
        "own:budi|masked",
        "own:dewi|masked",
        "own:sales|masked",
        "all|phones",
    ]


def test_an_owner_narrowed_to_a_team_does_not_share_the_supervisors_entry():
    """Same rows, but the owner sees phone numbers in full: different answers, different keys."""
    supervisor = resolve_scope(person("supervisor", id="sri", team="sales"))
    owner_on_sales = replace(resolve_scope(person("owner", id="olga")), level="team", team_ids=("sales",))
    assert supervisor.cache_key != owner_on_sales.cache_key


def test_team_cache_keys_do_not_depend_on_the_order_of_teams():
    one_order = Scope("team", Role.manager, "maya", ("support", "sales"))
    other_order = Scope("team", Role.manager, "nina", ("sales", "support"))

    assert one_order.cache_key == other_order.cache_key == 'team:["sales","support"]|masked'


def test_team_ids_with_separators_cannot_make_two_team_lists_alike():
    one_odd_team = Scope("team", Role.manager, "m", ('a","b',))
    two_teams = Scope("team", Role.manager, "m", ("a", "b"))

    assert one_odd_team.cache_key != two_teams.cache_key
