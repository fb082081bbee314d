"""Handling time (SPEC §3) when the CRM's clocks disagree, on SQLite and PostgreSQL, live and from snapshots.

`now` is 10:30 on 2026-03-04 (Jakarta); the range is yesterday, a whole day that the snapshots hold.
"""

from __future__ import annotations

from pantau.dashboard import agent_productivity
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import SnapshotType
from tests.support.builders import local
from tests.support.sections import run_section

NOW = local("2026-03-04 10:30")


def test_a_conversation_resolved_before_it_began_was_handled_in_zero_seconds(data, connection):
    ana = data.make_user("agent", name="Ana")
    data.make_answered_conversation(
        local("2026-03-03 09:00"), 60, agent=ana, status="resolved", resolved_at=local("2026-03-03 09:30")
    )
    # Resolved a second "before" it began: resolved at once, 0 s, still one of the resolved conversations.
    data.make_answered_conversation(
        local("2026-03-03 11:00"), 60, agent=ana, status="closed", resolved_at=local("2026-03-03 10:59:59")
    )
    write_snapshots(
        connection,
        [SnapshotType.hourly, SnapshotType.daily],
        [(local("2026-03-03 00:00"), NOW)],
        now=NOW,
        zone=NOW.tzinfo,
        sla_target_seconds=300,
    )
    for use_snapshots in (True, False):
        result = run_section(
            agent_productivity.compute, connection, now=NOW, preset="yesterday", use_snapshots=use_snapshots
        )
        (row,) = [row for row in result["agentMetrics"] if row["agentId"] == ana]
        # (1800 + 0) / 2 = 900 s; counted as -1 s it would be 899.5, left out 1800.
        assert (row["resolved"], row["avgHandlingTime"]) == (2, 900.0)
