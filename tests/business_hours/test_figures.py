"""With business hours set, the first-response figures also carry their business-time value, and SLA compliance,
below-threshold, the KPI's SLA status and the first-response buckets judge the business time (SPEC §8.5); without
them nothing changes and no business-time value is sent. Exact numbers on one small data set, on SQLite and
PostgreSQL, live and from snapshots; snapshots computed under other business hours are not used."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from pantau.business_settings.service import change_settings, effective_settings
from pantau.core.config import Settings
from pantau.core.windows import resolve_window
from pantau.dashboard import agent_productivity, conversation_effectiveness, customer_load, kpi, router
from pantau.dashboard.context import SectionContext
from pantau.exports import about
from pantau.exports.section_tables import list_table
from pantau.metrics import parts_source
from pantau.metrics.buckets import bucket_start
from pantau.metrics.parts_source import PartsSource
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import SnapshotType
from tests.support.builders import local
from tests.support.sections import ORGANISATION, run_section

NOW = local("2026-03-04 20:00")  # a Wednesday evening
ZONE = NOW.tzinfo
HOURS = "mon-fri 08:00-17:00"
BUSINESS = {"business_hours": HOURS}
KINDS = [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly]


@pytest.fixture
def wednesday(data) -> None:
    """Six conversations created on Wednesday 4 March, five assigned to agent-1 and one to agent-2 (FRT, then its
    business time against mon-fri 08:00-17:00):

    A 07:30 answered 08:02 (1920 s, 120 s) · B 09:00 answered after 200 s (200 s, 200 s) · C 16:55 answered 17:30
    (2100 s, 300 s) · D 12:00 answered after 600 s, agent-2 (600 s, 600 s) · E 16:58 unanswered (by 20:00 it waited
    3 h 2 m, 120 s of them in business hours) · F 18:00 answered 19:00 (3600 s, 0 s)."""
    data.make_user("agent", id="agent-1")
    data.make_user("agent", id="agent-2")
    for created, seconds, agent, name in (
        ("07:30", 1920, "agent-1", "A"),
        ("09:00", 200, "agent-1", "B"),
        ("16:55", 2100, "agent-1", "C"),
        ("12:00", 600, "agent-2", "D"),
        ("18:00", 3600, "agent-1", "F"),
    ):
        data.make_answered_conversation(local(f"2026-03-04 {created}"), seconds, agent=agent, id=name)
    data.make_conversation(local("2026-03-04 16:58"), assigned_to="agent-1", id="E")


def effectiveness(connection, now=NOW, **options) -> dict:
    return run_section(conversation_effectiveness.compute, connection, now=now, preset="today", **options)


def compliance(answer: dict) -> tuple:
    figure = answer["slaCompliance"]
    return figure["percentage"], figure["compliant"], figure["nonCompliant"], figure["pending"]


def distribution(answer: dict) -> list[int]:
    return [bucket["count"] for bucket in answer["firstResponseDistribution"]]


def agents(answer: dict) -> dict[str, tuple]:
    return {
        row["agentId"]: (row["avgResponseTime"], row["slaCompliance"], row["belowThreshold"], row.get("businessTime"))
        for row in answer["conversationsPerAgent"]
    }


def test_without_business_hours_the_sla_judges_the_frt_and_no_business_time_is_sent(wednesday, connection):
    answer = effectiveness(connection)
    # B complies; A, C, D and F answered late; E has waited past the target.
    assert compliance(answer) == (16.7, 1, 5, 0)
    assert distribution(answer) == [0, 1, 1, 2, 1, 0, 1]
    assert agents(answer) == {"agent-1": (1955.0, 20.0, True, None), "agent-2": (600.0, 0.0, True, None)}
    assert "businessTime" not in json.dumps(answer)


def test_with_business_hours_the_sla_judges_the_business_time(wednesday, connection):
    answer = effectiveness(connection, **BUSINESS)
    # A (120 s), B (200 s), C (300 s, on the target) and F (0 s) comply, D does not; E has waited 120 business
    # seconds: pending, not yet late.
    assert compliance(answer) == (80.0, 4, 1, 1)
    # <1m: F; 1-5m: A, B; 5-15m: C, D; unanswered: E.
    assert distribution(answer) == [1, 2, 2, 0, 0, 0, 1]
    assert agents(answer) == {
        "agent-1": (1955.0, 100.0, False, {"avgResponseTime": 155.0}),
        "agent-2": (600.0, 0.0, True, {"avgResponseTime": 600.0}),
    }
    by_hour = {row["timestamp"][11:16]: row for row in answer["avgResponseTimeOverTime"]}
    assert by_hour["07:00"] == {
        "timestamp": "2026-03-04T07:00:00+07:00",
        "avgSeconds": 1920.0,
        "count": 1,
        "businessTime": {"avgSeconds": 120.0},
    }
    assert by_hour["16:00"]["avgSeconds"] == 2100.0 and by_hour["16:00"]["businessTime"] == {"avgSeconds": 300.0}
    assert by_hour["13:00"]["businessTime"] == {"avgSeconds": None}


def test_an_unanswered_conversation_is_late_once_it_waited_the_target_in_business_time(wednesday, connection):
    """E waited 120 business seconds on Wednesday; on Thursday the clock runs again at 08:00: at 08:03 it has
    waited 300 s (pending: late is longer than the target), at 08:03:01 it is late."""
    for now, expected in (
        (local("2026-03-05 07:59"), (80.0, 4, 1, 1)),
        (local("2026-03-05 08:03"), (80.0, 4, 1, 1)),
        (local("2026-03-05 08:03:01"), (66.7, 4, 2, 0)),
    ):
        answer = run_section(conversation_effectiveness.compute, connection, now=now, preset="yesterday", **BUSINESS)
        assert compliance(answer) == expected, now


def test_the_kpi_carries_the_business_time_and_judges_the_sla_status_on_it(wednesday, connection):
    plain = run_section(kpi.compute, connection, now=NOW)["avgResponseTime"]
    assert (plain["value"], plain["median"], plain["p90"], plain["slaStatus"]) == (1684.0, 1920.0, 3000.0, "critical")
    assert "businessTime" not in plain
    figure = run_section(kpi.compute, connection, now=NOW, **BUSINESS)["avgResponseTime"]
    assert {key: value for key, value in figure.items() if key != "businessTime"} == {**plain, "slaStatus": "good"}
    # Business times 0, 120, 200, 300, 600: mean 244, median 200, p90 300 + 0.6 x 300.
    assert figure["businessTime"] == {
        "value": 244.0,
        "previous": None,
        "change": None,
        "trend": "up",
        "median": 200.0,
        "p90": 480.0,
    }


def test_the_wait_at_peak_and_the_agents_carry_the_business_time(wednesday, connection):
    wait = run_section(customer_load.compute, connection, now=NOW, preset="today", **BUSINESS)["avgWaitTime"]
    # Peak (09-12, 14-17): B and C; off-peak: A, D and F.
    assert (wait["peak"], wait["offPeak"], wait["businessTime"]) == (1150.0, 2040.0, {"peak": 250.0, "offPeak": 240.0})
    plain = run_section(customer_load.compute, connection, now=NOW, preset="today")["avgWaitTime"]
    assert "businessTime" not in plain and (plain["peak"], plain["offPeak"]) == (1150.0, 2040.0)

    rows = run_section(agent_productivity.compute, connection, now=NOW, preset="today", **BUSINESS)["agentMetrics"]
    assert {row["agentId"]: (row["avgResponseTime"], row["businessTime"]) for row in rows} == {
        "agent-1": (1955.0, {"avgResponseTime": 155.0}),
        "agent-2": (600.0, {"avgResponseTime": 600.0}),
    }


# Snapshots.

LATER = local("2026-03-09 10:00")  # the next Monday: Wednesday is a whole past day


def snapshot_until(connection, at, calendar) -> None:
    start = bucket_start(SnapshotType.weekly, at - timedelta(days=14), ZONE)
    write_snapshots(connection, KINDS, [(start, at)], now=at, zone=ZONE, sla_target_seconds=300, calendar=calendar)


def settings_of(**overrides) -> Settings:
    return Settings(_env_file=None, timezone="Asia/Jakarta", **overrides)


def reads_snapshots(connection, settings) -> bool:
    source = PartsSource(connection, ORGANISATION, settings, LATER)
    plan = source._plan(local("2026-03-03 00:00"), LATER, parts_source._LARGEST_FIRST)
    return bool(plan.snapshot_buckets)


@pytest.mark.parametrize("section", ["conversation-effectiveness", "agent-productivity", "customer-load"])
def test_figures_from_snapshots_equal_the_live_ones(wednesday, connection, section):
    snapshot_until(connection, local("2026-03-09 09:00"), settings_of(**BUSINESS).business_calendar)
    assert reads_snapshots(connection, settings_of(**BUSINESS))
    compute = router.SECTIONS[section].compute
    stored = run_section(compute, connection, now=LATER, preset="7d", **BUSINESS)
    live = run_section(compute, connection, now=LATER, preset="7d", use_snapshots=False, **BUSINESS)
    assert stored == live
    assert stored["outdatedSnapshots"] is None
    if section == "conversation-effectiveness":
        # E waited past the target by Thursday 08:03.
        assert compliance(stored) == (66.7, 4, 2, 0)
        assert distribution(stored) == [1, 2, 2, 0, 0, 0, 1]


@pytest.mark.parametrize(
    ("written_under", "read_under", "outdated"),
    [
        ({}, BUSINESS, ("mon-fri 08:00-17:00|", [""])),
        (BUSINESS, {}, ("", ["mon-fri 08:00-17:00|"])),
        (
            BUSINESS,
            {**BUSINESS, "holidays": "2026-03-04"},
            ("mon-fri 08:00-17:00|2026-03-04", ["mon-fri 08:00-17:00|"]),
        ),
    ],
    ids=["none-then-set", "set-then-none", "another-holiday"],
)
def test_snapshots_computed_under_other_business_hours_are_not_used(
    wednesday, connection, written_under, read_under, outdated
):
    snapshot_until(connection, local("2026-03-09 09:00"), settings_of(**written_under).business_calendar)
    assert not reads_snapshots(connection, settings_of(**read_under))
    stored = api_answer(connection, settings_of(**read_under))
    live = api_answer(connection, settings_of(**read_under), use_snapshots=False)
    assert live["outdatedSnapshots"] is None
    assert {key: value for key, value in stored.items() if key != "outdatedSnapshots"} == {
        key: value for key, value in live.items() if key != "outdatedSnapshots"
    }
    business_hours, snapshot_business_hours = outdated
    assert stored["outdatedSnapshots"] == {
        "slaTargetSeconds": 300.0,
        "snapshotSlaTargetSeconds": [],
        "businessHours": business_hours,
        "snapshotBusinessHours": snapshot_business_hours,
    }


def api_answer(connection, settings: Settings, *, now=LATER, preset="7d", use_snapshots=True) -> dict:
    """Conversation effectiveness as the API answers it (saying so when snapshots were left aside)."""
    window = resolve_window(now=now, zone=ZONE, preset=preset, default="today")
    context = SectionContext(connection, ORGANISATION, window, settings, use_snapshots=use_snapshots)
    return router.section_answer(router.SECTIONS["conversation-effectiveness"], context).model_dump(
        mode="json", by_alias=True
    )


def test_business_hours_saved_in_settings_reach_the_figures(wednesday, connection, session):
    base = settings_of()

    def answer() -> dict:
        return api_answer(connection, effective_settings(connection, base), now=NOW, preset="today")

    assert compliance(answer()) == (16.7, 1, 5, 0)
    change_settings(session, base, {"business_hours": HOURS}, user_id=None, address="test", now=NOW)
    assert compliance(answer()) == (80.0, 4, 1, 1)


def test_exports_carry_the_business_time_as_columns_of_their_own(wednesday, connection):
    with_hours = effectiveness(connection, **BUSINESS)
    table = list_table("en", with_hours, "conversationsPerAgent", conversation_effectiveness.AgentConversations)
    column = table.header.index("In business hours · Average response time (s)")
    assert {row[0]: row[column] for row in table.rows} == {"agent-1": 155.0, "agent-2": 600.0}
    plain = list_table(
        "en", effectiveness(connection), "conversationsPerAgent", conversation_effectiveness.AgentConversations
    )
    assert plain.header == table.header[:-2]


def test_the_about_sheet_says_when_snapshots_under_other_business_hours_were_left_aside():
    outdated = {
        "slaTargetSeconds": 300.0,
        "snapshotSlaTargetSeconds": [],
        "businessHours": "mon-fri 08:00-17:00|",
        "snapshotBusinessHours": [""],
    }
    assert about._outdated_snapshots("en", outdated) == [
        [
            "Snapshots",
            "Business hours or holidays have changed; snapshots made under the previous ones are left aside and these "
            "figures are computed live until a backfill.",
        ]
    ]
