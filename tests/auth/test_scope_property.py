"""SPEC §4's scope rule, written twice in code, proven to agree over random organisations: the SQL that selects a
scope's conversations (`auth.scope_sql.conversations_in_scope`) and the attribution the snapshots store each
conversation under (`auth.scope.conversation_scopes`: the organisation, its assignee, its own team and its assignee's
team). For every scope of every generated organisation, "counted in scope S by the snapshots" ⇔ "selected for S by the
SQL", first as sets of conversations, then as the figures two sections read from the stored buckets (conversation
effectiveness's counts, and customer load's returning customers, whose histories the snapshots look up per scope in
SQL of their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pantau.auth.scope import Scope, conversation_scopes
from pantau.auth.scope_sql import conversations, conversations_in_scope
from pantau.dashboard import conversation_effectiveness, customer_load
from pantau.metrics.buckets import bucket_start
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import ScopeType, SnapshotType
from tests.support.builders import Dataset, local
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

NOW = local("2026-03-10 10:30")  # a Tuesday
DAY = "2026-03-09"  # the Monday before: every conversation begins then, so the stored buckets hold all of them
TEAMS = ["t0", "t1", "t2"]


@dataclass(frozen=True)
class World:
    """People (id → their team or None) and conversations (team or None, assignee or None, hour of DAY, which of
    three customers wrote)."""

    people: dict[str, str | None]
    conversations: list[tuple[str | None, str | None, int, int]]


@st.composite
def worlds(draw) -> World:
    teams = TEAMS[: draw(st.integers(1, len(TEAMS)))]
    team_or_none = st.sampled_from([*teams, None])
    people = {f"u{index}": draw(team_or_none) for index in range(draw(st.integers(0, 5)))}
    assignee = st.sampled_from([*people, None])
    chats = draw(st.lists(st.tuples(team_or_none, assignee, st.integers(0, 23), st.integers(0, 2)), max_size=12))
    return World(people, chats)


def _plant(data: Dataset, world: World) -> dict[str, tuple[str | None, str | None, str | None]]:
    """The world's rows; returns each conversation's (team, assignee, assignee's team)."""
    for team in TEAMS:
        data.make_team(team, id=team)
    for person, team in world.people.items():
        data.make_user(id=person, team=team)
    customers = [data.make_contact() for _ in range(3)]
    planted = {}
    for team, assignee, hour, customer in world.conversations:
        conversation = data.make_conversation(
            local(f"{DAY} {hour:02d}:15"), contact=customers[customer], team=team, assigned_to=assignee
        )
        planted[conversation] = (team, assignee, world.people.get(assignee) if assignee else None)
    return planted


def _scopes(world: World) -> list[tuple[Scope, tuple[ScopeType, str]]]:
    """Every scope a caller can have here, with the key its conversations are stored under."""
    return [
        (ORGANISATION, (ScopeType.org, "")),
        *[(team_scope(team), (ScopeType.team, team)) for team in TEAMS],
        *[(own_scope(person), (ScopeType.agent, person)) for person in world.people],
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_the_snapshots_count_a_conversation_in_a_scope_exactly_when_the_sql_selects_it(engine, world: World) -> None:
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            planted = _plant(Dataset(connection), world)
            zone = NOW.tzinfo
            week = bucket_start(SnapshotType.weekly, local(f"{DAY} 00:00"), zone)
            write_snapshots(
                connection,
                [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly],
                [(week, NOW)],
                now=NOW,
                zone=zone,
                sla_target_seconds=300,
            )
            assert week == local(f"{DAY} 00:00") and NOW - week < timedelta(days=2)
            for scope, stored_as in _scopes(world):
                selected = set(connection.scalars(select(conversations.c.id).where(conversations_in_scope(scope))))
                attributed = {chat for chat, facts in planted.items() if stored_as in conversation_scopes(*facts)}
                assert selected == attributed, (scope, world)
                for section in (conversation_effectiveness, customer_load):
                    stored, live = (
                        run_section(
                            section.compute,
                            connection,
                            now=NOW,
                            scope=scope,
                            start_date=DAY,
                            end_date=DAY,
                            use_snapshots=use_snapshots,
                        )
                        for use_snapshots in (True, False)
                    )
                    assert stored == live, (section.__name__, scope, world)
                    if section is conversation_effectiveness:
                        assert stored["totals"]["value"] == len(selected), (scope, world)
        finally:
            transaction.rollback()
