"""The KPI strip of many scopes at once (`kpi.compute_many`, what the live dashboard computes for every agent's and
team's subscribers together) is, byte for byte, each scope's own answer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from pantau.core.config import Settings
from pantau.core.windows import resolve_window
from pantau.dashboard import kpi
from pantau.dashboard.context import SectionContext
from pantau.dashboard.router import SECTIONS, section_answer
from tests.support.builders import local
from tests.support.sections import own_scope, team_scope

NOW = local("2026-03-04 10:30")


def plant(data) -> None:
    """Teams A and B (in scope) and C (out of every scope asked for), conversations of each kind a scope may count:
    a team's unassigned ones, one of team B assigned to an agent of team A (in both teams' scopes), tickets tied to
    conversations and tickets tied to none."""
    for team in ("team-a", "team-b", "team-c"):
        data.make_team(team, id=team)
    for person, team in (("a1", "team-a"), ("a2", "team-a"), ("b1", "team-b"), ("c1", "team-c"), ("idle", "team-b")):
        data.make_user("agent", team=team, id=person)
    today = local("2026-03-04 08:00")
    yesterday = local("2026-03-03 08:00")
    rows = [
        ("a1", "team-a", 40, "open"),
        ("a1", "team-b", 400, "pending"),  # team B's conversation, assigned to team A's agent
        ("a2", "team-a", 90, "resolved"),
        (None, "team-a", None, "open"),  # unassigned: the team's, no agent's
        ("b1", "team-b", 1000, "open"),
        ("c1", "team-c", 7, "open"),  # out of scope: must move nobody's figures
        (None, "team-c", None, "pending"),
    ]
    for day, shift in ((today, 0), (yesterday, 1)):
        for index, (agent, team, seconds, status) in enumerate(rows):
            at = day + timedelta(minutes=7 * index + shift)
            conversation = data.make_conversation(
                at,
                team=team,
                assigned_to=agent,
                status=status,
                resolved_at=at + timedelta(hours=1) if status == "resolved" else None,
            )
            if seconds is not None:
                data.make_message(
                    conversation, at + timedelta(seconds=seconds + shift * 30), sender="agent", sender_id=agent
                )
            for number, status_ in enumerate(("delivered", "read", "failed", "sent")[: index % 4 + 1]):
                data.make_message(
                    conversation, at + timedelta(minutes=2, seconds=number), sender="agent", status=status_
                )
            data.make_ticket(
                at,
                priority=("urgent", "high", "medium", "low")[index % 4],
                team=team,
                assigned_to=agent,
                conversation=conversation,
            )
    data.make_ticket(today, priority="high", team="team-a")  # tied to no conversation: team A's by its team
    data.make_ticket(today, priority="urgent", assigned_to="b1")  # tied to none: b1's, and team B's by its assignee
    data.make_ticket(today, priority="low", team="team-c", assigned_to="c1")


SCOPES = [
    own_scope("a1"),
    own_scope("a2"),
    own_scope("b1"),
    own_scope("idle"),
    team_scope("team-a"),
    team_scope("team-b"),
]


@pytest.mark.parametrize("business_hours", [None, "mon-fri 08:00-17:00"])
def test_every_scope_gets_the_bytes_of_its_own_answer(data, connection, business_hours):
    plant(data)
    extra = {} if business_hours is None else {"business_hours": business_hours}
    settings = Settings(_env_file=None, timezone="Asia/Jakarta", **extra)
    window = resolve_window(now=NOW, zone=ZoneInfo("Asia/Jakarta"), preset="today")
    grouped = kpi.compute_many(connection, SCOPES, window, settings)
    assert len(grouped) == len(SCOPES)
    for scope, answer in zip(SCOPES, grouped, strict=True):
        context = SectionContext(connection=connection, scope=scope, window=window, settings=settings)
        own = section_answer(SECTIONS["kpi"], context).model_dump_json(by_alias=True).encode()
        assert answer.model_dump_json(by_alias=True).encode() == own, scope.cache_key
    # The figures are not all alike (the test would prove little if every scope had the same answer).
    assert len({answer.model_dump_json() for answer in grouped}) == len(SCOPES)
    a1, *_ = grouped
    assert a1.active_conversations.value == 4  # its two of today and two of yesterday, none of c1's
    assert grouped[3].active_conversations.value == 0 and grouped[3].avg_response_time.value is None
