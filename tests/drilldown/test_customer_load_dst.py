"""Customer load's lists across a DST change, in an organisation on America/New_York: on 2025-11-02 the clocks fall
back from 02:00 EDT to 01:00 EST, so the local hour 01:00 happens twice. Each real hour is an incoming-chats bucket
of its own (two items, told apart by their offsets), while the heatmap adds both to the one Sunday 01:00 cell; every
list holds what its figure counts. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import make_settings
from tests.support.builders import utc

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

SECTION = "customer-load"
PATH = f"/api/dashboard/{SECTION}/conversations"


@pytest.fixture
def settings(engine):
    return make_settings(engine.url.render_as_string(hide_password=False), timezone="America/New_York")


@pytest.fixture
def planted(people, data):
    data.make_conversation(utc("2025-11-02 04:59:59"), id="before-first-one")  # 00:59:59 EDT
    data.make_conversation(utc("2025-11-02 05:30"), id="first-one")  # 01:30 EDT
    data.make_conversation(utc("2025-11-02 06:30"), id="second-one")  # 01:30 EST
    data.make_conversation(utc("2025-11-02 07:00"), id="two")  # 02:00 EST
    return people


def listed(client, org, figure: str, bucket: str, **dates) -> tuple[int, list[str]]:
    parameters = {"figure": figure, "bucket": bucket, "limit": "500", **dates}
    response = client.get(PATH, params=parameters, headers=org.bearer("owner"))
    assert response.status_code == 200, response.text
    body = response.json()
    return body["total"], [item["id"] for item in body["items"]]


def test_the_repeated_hour_is_two_buckets_and_one_heatmap_cell(client, planted):
    day = {"startDate": "2025-11-02", "endDate": "2025-11-02"}
    section = planted.read(client, "owner", SECTION, **day).json()
    counts = {item["timestamp"]: item["count"] for item in section["incomingChatsPerHour"]}
    assert len(counts) == 25
    assert counts["2025-11-02T01:00:00-04:00"] == counts["2025-11-02T01:00:00-05:00"] == 1
    assert listed(client, planted, "incomingChatsPerHour", "2025-11-02T01:00:00-04:00", **day) == (1, ["first-one"])
    assert listed(client, planted, "incomingChatsPerHour", "2025-11-02T01:00:00-05:00", **day) == (1, ["second-one"])
    assert listed(client, planted, "incomingChatsPerHour", "2025-11-02T00:00:00-04:00", **day) == (
        1,
        ["before-first-one"],
    )

    week = {"startDate": "2025-10-30", "endDate": "2025-11-05"}
    section = planted.read(client, "owner", SECTION, **week).json()
    (cell,) = [cell for cell in section["heatmap"] if (cell["dayOfWeek"], cell["hour"]) == (0, 1)]
    assert listed(client, planted, "heatmap", "0-1", **week) == (cell["count"], ["first-one", "second-one"])
    assert listed(client, planted, "heatmap", "0-2", **week) == (1, ["two"])
    # 7 days and the extra hour are over 7 days: local-day buckets, the Sunday of 25 hours holding all four.
    sunday = "2025-11-02T00:00:00-04:00"
    (item,) = [item for item in section["incomingChatsPerHour"] if item["timestamp"] == sunday]
    assert listed(client, planted, "incomingChatsPerHour", sunday, **week) == (
        item["count"],
        ["before-first-one", "first-one", "second-one", "two"],
    )
