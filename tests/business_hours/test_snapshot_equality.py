"""With business hours set, serving from snapshots gives the same JSON as computing from the raw tables (SPEC §7,
§8.5), on both databases, for every section with a snapshot path, every kind of scope and ranges that start and end
mid-bucket: the varied organisation of the aggregation tests, snapshots written under the business hours in force,
then rewritten by an hourly aggregation run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pantau.aggregation.jobs import aggregate
from pantau.core.config import Settings
from pantau.dashboard.router import SECTIONS
from pantau.metrics import parts_source
from pantau.metrics.buckets import bucket_start
from pantau.metrics.parts_source import PartsSource
from pantau.metrics.snapshots import write_snapshots
from pantau.models import AnalyticsSnapshot
from pantau.models.enums import ScopeType, SnapshotType
from tests.aggregation.test_snapshot_equality import (
    DAYS,
    KINDS,
    NOW,
    RANGES,
    SECTIONS_WITH_SNAPSHOTS,
    build_organisation,
)
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

# Thursday 5 March is a holiday; Saturday mornings are open.
BUSINESS = {"business_hours": "mon-fri 08:00-17:00; sat 09:00-13:00", "holidays": "2026-03-05"}
SETTINGS = Settings(_env_file=None, timezone="Asia/Jakarta", **BUSINESS)


@pytest.fixture
def organisation(data, connection):
    ids = build_organisation(data)
    zone = NOW.tzinfo
    week_start = bucket_start(SnapshotType.weekly, NOW - timedelta(days=DAYS + 1), zone)
    write_snapshots(
        connection,
        KINDS,
        [(week_start, NOW - timedelta(hours=3))],
        now=NOW - timedelta(hours=3),
        zone=zone,
        sla_target_seconds=300,
        calendar=SETTINGS.business_calendar,
    )
    # The hourly run rewrites the look-back under the business hours in force, with the days above it.
    aggregate(connection, SETTINGS, SnapshotType.hourly, NOW)
    return ids


@pytest.mark.parametrize("scope_name", ["organisation", "team", "own"])
def test_every_section_is_identical_with_and_without_snapshots(connection, organisation, scope_name):
    scope = {
        "organisation": ORGANISATION,
        "team": team_scope(organisation["team"]),
        "own": own_scope(organisation["agent"]),
    }[scope_name]
    for section in SECTIONS_WITH_SNAPSHOTS:
        compute = SECTIONS[section].compute
        for window in RANGES:
            with_snapshots = run_section(compute, connection, now=NOW, scope=scope, **window, **BUSINESS)
            live = run_section(compute, connection, now=NOW, scope=scope, use_snapshots=False, **window, **BUSINESS)
            assert with_snapshots == live, (section, scope_name, window)


def test_the_rows_record_the_business_hours_they_were_computed_under(connection, organisation):
    recorded = {
        (metrics.get("businessHours"), "business_response_us" in metrics["conversations"])
        for (metrics,) in connection.execute(
            select(AnalyticsSnapshot.metrics).where(AnalyticsSnapshot.scope_type == ScopeType.org.value)
        )
    }
    assert recorded == {(SETTINGS.business_calendar.key, True)}
    business_time = connection.execute(
        select(AnalyticsSnapshot.metrics).where(
            AnalyticsSnapshot.scope_type == ScopeType.org.value, AnalyticsSnapshot.snapshot_type == "weekly"
        )
    ).all()
    assert sum(metrics["conversations"]["business_response_us"] for (metrics,) in business_time) > 0
    # And the sections read them: the past days of the last week come from snapshots.
    source = PartsSource(connection, ORGANISATION, SETTINGS, NOW)
    plan = source._plan(NOW - timedelta(days=7), NOW, parts_source._LARGEST_FIRST)
    assert SnapshotType.daily in {kind for kind, _ in plan.snapshot_buckets}
