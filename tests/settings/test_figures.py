"""The figures read the settings in force (SPEC §8.5): after a change of the SLA target the KPI's SLA status and
conversation effectiveness's SLA compliance change exactly, live and when snapshots exist (snapshots made under the
old target are left aside, computed live, and the answer says so until an aggregation rewrites them); the money
settings and peak hours reach their figures. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from pantau.aggregation.jobs import aggregate
from pantau.business_settings.service import change_settings, effective_settings
from pantau.core.config import Settings
from pantau.core.windows import resolve_window
from pantau.dashboard import router
from pantau.dashboard.context import SectionContext
from pantau.metrics.buckets import bucket_start
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import SnapshotType
from tests.support.builders import local
from tests.support.sections import ORGANISATION

NOW = local("2026-03-04 10:30")
ZONE = NOW.tzinfo
BASE = Settings(_env_file=None, timezone="Asia/Jakarta")
KINDS = [SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly]


def plant_first_responses(data) -> None:
    """Four conversations this morning, answered after 120, 240, 400 and 700 seconds: against 300 s two comply,
    against 600 s three do; the mean, 365 s, is a warning against 300 s (over the target, under 1.5 times it) and
    good against 600 s."""
    for minute, seconds in ((0, 120), (10, 240), (20, 400), (30, 700)):
        data.make_answered_conversation(local("2026-03-04 08:00") + timedelta(minutes=minute), seconds)


def change(session, **values) -> None:
    change_settings(session, BASE, values, user_id=None, address="test", now=NOW)


def answer(connection, section: str, *, use_snapshots: bool = True, preset: str | None = None) -> dict:
    """The section's JSON as the API answers it, under the settings in force."""
    settings = effective_settings(connection, BASE)
    spec = router.SECTIONS[section]
    window = resolve_window(now=NOW, zone=ZONE, preset=preset, default=spec.default_range)
    context = SectionContext(connection, ORGANISATION, window, settings, use_snapshots=use_snapshots)
    return router.section_answer(spec, context).model_dump(mode="json", by_alias=True)


def sla(connection, **options) -> tuple:
    kpi = answer(connection, "kpi", **options)["avgResponseTime"]
    compliance = answer(connection, "conversation-effectiveness", **options)["slaCompliance"]
    return (
        kpi["slaStatus"],
        kpi["slaTargetSeconds"],
        compliance["percentage"],
        compliance["compliant"],
        compliance["nonCompliant"],
        compliance["targetSeconds"],
    )


def snapshot_this_morning(connection) -> None:
    """Snapshots of the weeks up to 10:00, made at 10:00 under the environment's 300 s."""
    start = bucket_start(SnapshotType.weekly, NOW - timedelta(days=14), ZONE)
    at = local("2026-03-04 10:00")
    write_snapshots(connection, KINDS, [(start, at)], now=at, zone=ZONE, sla_target_seconds=300)


def test_a_new_sla_target_changes_the_figures_computed_live(data, connection, session):
    plant_first_responses(data)
    assert sla(connection, use_snapshots=False) == ("warning", 300, 50.0, 2, 2, 300)
    change(session, sla_first_response_seconds=600)
    assert sla(connection, use_snapshots=False) == ("good", 600, 75.0, 3, 1, 600)


def test_snapshots_under_the_old_target_are_left_aside_and_the_answer_says_so(data, connection, session):
    plant_first_responses(data)
    snapshot_this_morning(connection)
    before = answer(connection, "conversation-effectiveness")
    assert (before["slaCompliance"]["percentage"], before["outdatedSnapshots"]) == (50.0, None)

    change(session, sla_first_response_seconds=600)
    assert sla(connection) == ("good", 600, 75.0, 3, 1, 600)
    assert sla(connection) == sla(connection, use_snapshots=False)
    after = answer(connection, "conversation-effectiveness")
    assert after["outdatedSnapshots"] == {"slaTargetSeconds": 600.0, "snapshotSlaTargetSeconds": [300.0]}
    # The live answer read no snapshot, so it has nothing to say.
    assert answer(connection, "conversation-effectiveness", use_snapshots=False)["outdatedSnapshots"] is None


def test_an_aggregation_after_the_change_writes_under_the_new_target(data, connection, session):
    plant_first_responses(data)
    snapshot_this_morning(connection)
    change(session, sla_first_response_seconds=600)
    # The hourly run rewrites the look-back (48 h): every hour of today, now under 600 s.
    aggregate(connection, BASE, SnapshotType.hourly, NOW)
    after = answer(connection, "conversation-effectiveness")
    assert (after["slaCompliance"]["percentage"], after["outdatedSnapshots"]) == (75.0, None)


def test_the_money_settings_reach_the_cost_per_conversation(data, connection, session):
    plant_first_responses(data)
    first = data.make_conversation(local("2026-03-04 09:00"))
    data.make_message(
        first,
        local("2026-03-04 09:01"),
        sender="agent",
        status="delivered",
        pricing_category="marketing",
        billable=True,
    )
    change(
        session,
        cost_per_conversation="2500",
        whatsapp_rates='{"marketing": 1000}',
        currency="usd",
    )
    cost = answer(connection, "business-impact", preset="today")["costPerConversation"]
    # 1 marketing message at 1000, and 5 conversations at 2500: 13500 in all, 2700 a conversation.
    assert (cost["totalCost"], cost["amount"], cost["currency"]) == (13500.0, 2700.0, "USD")


def test_peak_hours_reach_the_wait_at_peak(data, connection, session):
    plant_first_responses(data)  # all created between 08:00 and 08:30
    before = answer(connection, "customer-load", preset="today")["avgWaitTime"]
    assert (before["peak"], before["offPeak"]) == (None, 365.0)
    change(session, peak_hours="08:00-09:00")
    after = answer(connection, "customer-load", preset="today")["avgWaitTime"]
    assert after == {"peak": 365.0, "offPeak": None, "peakHours": [{"start": 8, "end": 9}]}
