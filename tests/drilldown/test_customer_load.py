"""`GET /api/dashboard/customer-load/conversations`: behind the incoming chats of a bucket, the peak hour, a heatmap
cell and the new and returning contacts, exactly the conversations the figure counts; `total` is the figure of the
section's JSON, for owner, supervisor and agent, live and with snapshots, on SQLite and PostgreSQL.

Now is Wednesday 2026-03-04 12:00 in Jakarta (UTC+7, no DST). The people of the HTTP tests, and conversations planted
here (contacts c1 to c8):

    id               local time            team  assignee  contact
    c6-before-week   Wed 02-25 23:59:59    A     Ani       c6   a second before the heatmap's week
    c5-old           Fri 02-20 10:00       -     -         c5   only the organisation sees it
    c6-week          Thu 02-26 00:00       A     Ani       c6   the heatmap's week starts
    c1-first         Tue 03-03 11:59:59    A     Ani       c1   a second before the 24 hours
    c2-at-start      Tue 03-03 12:00       A     Ani       c2   the 24 hours start
    c1-back          Tue 03-03 12:30       A     Ani       c1
    c1-again         Tue 03-03 12:45       A     Arif      c1
    c3-evening       Tue 03-03 23:59:59    B     Budi      c3   a second before local midnight
    c3-midnight      Wed 03-04 00:00       B     Budi      c3
    c4-peak          Wed 03-04 09:05       A     Ani       c4
    c5-peak          Wed 03-04 09:20       A     -         c5
    c8-peak          Wed 03-04 09:40       B     Budi      c8
    c2-peak          Wed 03-04 09:59:59    B     Ani       c2   team B's, assigned to Ani (team A)
    c7-future        Wed 03-04 12:30       A     Ani       c7   after now: counted nowhere
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from pantau.metrics import parts_source
from pantau.metrics.parts_source import PartsSource
from tests.api.organisation import TEAM_A, TEAM_B
from tests.api.responses import assert_refused
from tests.drilldown.lists import assert_list_is, list_query, whole_list, write_two_weeks_of_snapshots
from tests.exports.files import csv_rows
from tests.support.builders import local
from tests.support.sections import ORGANISATION

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

SECTION = "customer-load"
PATH = f"/api/dashboard/{SECTION}/conversations"

PLANTED = [
    ("c6-before-week", "2026-02-25 23:59:59", TEAM_A, "ani", "c6"),
    ("c5-old", "2026-02-20 10:00", None, None, "c5"),
    ("c6-week", "2026-02-26 00:00", TEAM_A, "ani", "c6"),
    ("c1-first", "2026-03-03 11:59:59", TEAM_A, "ani", "c1"),
    ("c2-at-start", "2026-03-03 12:00", TEAM_A, "ani", "c2"),
    ("c1-back", "2026-03-03 12:30", TEAM_A, "ani", "c1"),
    ("c1-again", "2026-03-03 12:45", TEAM_A, "arif", "c1"),
    ("c3-evening", "2026-03-03 23:59:59", TEAM_B, "budi", "c3"),
    ("c3-midnight", "2026-03-04 00:00", TEAM_B, "budi", "c3"),
    ("c4-peak", "2026-03-04 09:05", TEAM_A, "ani", "c4"),
    ("c5-peak", "2026-03-04 09:20", TEAM_A, None, "c5"),
    ("c8-peak", "2026-03-04 09:40", TEAM_B, "budi", "c8"),
    ("c2-peak", "2026-03-04 09:59:59", TEAM_B, "ani", "c2"),
    ("c7-future", "2026-03-04 12:30", TEAM_A, "ani", "c7"),
]
IN_SCOPE = {
    "owner": {conversation for conversation, *_ in PLANTED},
    # Team A's conversations and those assigned to its people (SPEC §4).
    "supervisor A": {
        conversation for conversation, _, team, agent, _ in PLANTED if team == TEAM_A or agent in ("ani", "arif")
    },
    "agent": {conversation for conversation, _, _, agent, _ in PLANTED if agent == "ani"},
}

NINE_O_CLOCK = ["c4-peak", "c5-peak", "c8-peak", "c2-peak"]
NOON_YESTERDAY = ["c2-at-start", "c1-back", "c1-again"]

# The last 24 hours, [Tue 12:00, Wed 12:00): what each figure selects in the organisation; a role sees those in scope.
SELECTED: dict[tuple[str, str | None], list[str]] = {
    ("incomingChatsPerHour", "2026-03-03T12:00:00+07:00"): NOON_YESTERDAY,
    ("incomingChatsPerHour", "2026-03-03T23:00:00+07:00"): ["c3-evening"],
    ("incomingChatsPerHour", "2026-03-04T00:00:00+07:00"): ["c3-midnight"],
    ("incomingChatsPerHour", "2026-03-04T09:00:00+07:00"): NINE_O_CLOCK,
    ("incomingChatsPerHour", "2026-03-04T11:00:00+07:00"): [],
    # The week before now, [Thu 02-26 00:00, now): cells by local weekday (0 = Sunday) and hour.
    ("heatmap", "4-0"): ["c6-week"],
    ("heatmap", "3-23"): [],  # c6-before-week lies a second before the week
    ("heatmap", "2-11"): ["c1-first"],
    ("heatmap", "2-12"): NOON_YESTERDAY,
    ("heatmap", "2-23"): ["c3-evening"],
    ("heatmap", "3-0"): ["c3-midnight"],
    ("heatmap", "3-9"): NINE_O_CLOCK,
    ("heatmap", "3-12"): [],  # c7-future, after now
    ("heatmap", "5-10"): [],  # c5-old, before the week
}
# The busiest hour: in the organisation nine o'clock (4); for team A and Ani noon yesterday and nine o'clock tie
# (3 and 3, 2 and 2), and the earlier wins.
PEAK = {"owner": NINE_O_CLOCK, "supervisor A": NOON_YESTERDAY, "agent": NOON_YESTERDAY}
# One conversation per contact: a new contact's first ever in the scope, a returning one's first in the range. c5 is
# returning for the organisation only (c5-old is no team's); c1 and c2 come twice, listed once.
CONTACTS = {
    "owner": {
        "new": ["c2-at-start", "c3-evening", "c4-peak", "c8-peak"],
        "returning": ["c1-back", "c5-peak"],
    },
    "supervisor A": {"new": ["c2-at-start", "c4-peak", "c5-peak"], "returning": ["c1-back"]},
    "agent": {"new": ["c2-at-start", "c4-peak"], "returning": ["c1-back"]},
}


@pytest.fixture
def planted(people, data):
    for contact in sorted({contact for *_, contact in PLANTED}):
        data.make_contact(name=f"Customer {contact}", id=contact)
    for conversation, at, team, agent, contact in PLANTED:
        data.make_conversation(local(at), team=team, assigned_to=agent, contact=contact, id=conversation)
    return people


def listing(client, org, role: str, **parameters):
    """The list for the last 24 hours, unless the parameters name another range."""
    if not {"dateRange", "startDate", "endDate"} & parameters.keys():
        parameters = {"dateRange": "24h", **parameters}
    return client.get(PATH, params=parameters, headers=org.bearer(role))


def figure_value(section: dict, figure: str, bucket: str | None) -> int:
    if figure == "incomingChatsPerHour":
        (item,) = [item for item in section[figure] if item["timestamp"] == bucket]
        return item["count"]
    if figure == "heatmap":
        day, hour = (int(part) for part in bucket.split("-"))
        (cell,) = [cell for cell in section[figure] if (cell["dayOfWeek"], cell["hour"]) == (day, hour)]
        return cell["count"]
    if figure == "peakHour":
        return 0 if section[figure] is None else section[figure]["count"]
    parent, key = figure.split(".")
    return section[parent][key]


def cases(role: str) -> list[tuple[str, str | None, list[str]]]:
    return [
        *(
            (figure, bucket, [name for name in selected if name in IN_SCOPE[role]])
            for (figure, bucket), selected in SELECTED.items()
        ),
        ("peakHour", None, [name for name in PEAK[role] if name in IN_SCOPE[role]]),
        ("newVsReturning.new", None, CONTACTS[role]["new"]),
        ("newVsReturning.returning", None, CONTACTS[role]["returning"]),
    ]


def read_list(client, org, role: str, figure: str, bucket: str | None, **parameters) -> dict:
    return whole_list(listing(client, org, role, **list_query(figure, bucket, **parameters)))


def assert_lists_match_the_section(client, org, role: str) -> None:
    section = org.read(client, role, SECTION, dateRange="24h").json()
    for figure, bucket, expected in cases(role):
        body = read_list(client, org, role, figure, bucket)
        assert_list_is(body, figure_value(section, figure, bucket), expected, (figure, bucket))


@pytest.mark.parametrize("role", ["owner", "supervisor A", "agent"])
def test_every_list_holds_exactly_the_conversations_its_figure_counts(client, planted, role):
    assert_lists_match_the_section(client, planted, role)


@pytest.mark.parametrize("role", ["owner", "supervisor A", "agent"])
def test_the_lists_match_the_figures_read_from_snapshots(client, planted, connection, settings, pinned_now, role):
    """Snapshots of the last two weeks: the section reads whole past hours and days from them, the lists read live."""
    zone = settings.zone  # the organisation's, which the section reads the buckets in
    write_two_weeks_of_snapshots(connection, pinned_now, zone)
    source = PartsSource(connection, ORGANISATION, settings, pinned_now)
    assert source._plan(
        pinned_now - timedelta(hours=24), pinned_now, parts_source._KINDS_FOR_SERIES["hour"]
    ).snapshot_buckets
    assert_lists_match_the_section(client, planted, role)
    # Over 7 days from a local midnight, new and returning contacts are read from the snapshots' contact parts.
    section = planted.read(client, role, SECTION, dateRange="7d").json()
    for figure in ("newVsReturning.new", "newVsReturning.returning", "peakHour"):
        body = read_list(client, planted, role, figure, None, dateRange="7d")
        assert body["total"] == figure_value(section, figure, None) == len(body["items"]), figure


def test_over_seven_days_the_contacts_and_the_cells_are_those_of_the_range(client, planted):
    """7d is [Thu 02-26 00:00, now): c6 and c5 come back (c6-before-week, c5-old lie before it); c1 is new there."""
    expected = {
        ("newVsReturning.new", None): ["c1-first", "c2-at-start", "c3-evening", "c4-peak", "c8-peak"],
        ("newVsReturning.returning", None): ["c6-week", "c5-peak"],
        ("heatmap", "4-0"): ["c6-week"],
        ("incomingChatsPerHour", "2026-02-26T00:00:00+07:00"): ["c6-week"],
        ("incomingChatsPerHour", "2026-03-03T11:00:00+07:00"): ["c1-first"],
    }
    section = planted.read(client, "owner", SECTION, dateRange="7d").json()
    for (figure, bucket), ids in expected.items():
        body = read_list(client, planted, "owner", figure, bucket, dateRange="7d")
        assert body["total"] == figure_value(section, figure, bucket) == len(ids), (figure, bucket)
        assert [item["id"] for item in body["items"]] == ids, (figure, bucket)


def test_a_range_reaching_past_now_lists_nothing_created_after_now(client, planted):
    """Today as custom dates ends at tomorrow's midnight, but the figures stop at now: c7-future is in no list. A day
    is shorter than a week, so the heatmap is the last 7 days'."""
    today = {"startDate": "2026-03-04", "endDate": "2026-03-04"}
    section = planted.read(client, "owner", SECTION, **today).json()
    assert section["incomingChatsPerHour"][-1]["timestamp"] == "2026-03-04T11:00:00+07:00"
    expected = {
        ("newVsReturning.new", None): ["c4-peak", "c8-peak"],
        ("newVsReturning.returning", None): ["c3-midnight", "c5-peak", "c2-peak"],
        ("peakHour", None): NINE_O_CLOCK,
        ("heatmap", "3-12"): [],
        ("heatmap", "4-0"): ["c6-week"],
    }
    for (figure, bucket), ids in expected.items():
        body = read_list(client, planted, "owner", figure, bucket, **today)
        assert body["total"] == figure_value(section, figure, bucket) == len(ids), (figure, bucket)
        assert [item["id"] for item in body["items"]] == ids, (figure, bucket)
    # Now's hour has no bucket yet: the buckets are the hours that start before now.
    response = listing(
        client, planted, "owner", figure="incomingChatsPerHour", bucket="2026-03-04T12:00:00+07:00", **today
    )
    assert_refused(response, 400, "invalid_parameter", "bucket")


def test_without_conversations_the_peak_hour_lists_none(client, people):
    section = people.read(client, "owner", SECTION, dateRange="24h").json()
    assert section["peakHour"] is None
    body = read_list(client, people, "owner", "peakHour", None)
    assert (body["total"], body["items"]) == (0, [])


def test_a_bucket_written_with_its_plus_in_a_url_reads_the_same(client, planted):
    """`+` in a query string is a space unless written %2B, as the page's URLSearchParams writes it."""
    query = urlencode({"dateRange": "24h", "figure": "incomingChatsPerHour", "bucket": "2026-03-04T09:00:00+07:00"})
    assert "%2B07%3A00" in query
    body = client.get(f"{PATH}?{query}", headers=planted.bearer("owner")).json()
    assert [item["id"] for item in body["items"]] == NINE_O_CLOCK


@pytest.mark.parametrize(
    ("parameters", "parameter"),
    [
        ({"figure": "peakHour.count"}, "figure"),
        ({"figure": "avgWaitTime.peak"}, "figure"),
        ({"figure": "newVsReturning.percentageReturning"}, "figure"),
        ({"figure": "peakHour", "bucket": "2026-03-04T09:00:00+07:00"}, "bucket"),
        ({"figure": "newVsReturning.new", "bucket": "x"}, "bucket"),
        ({"figure": "heatmap"}, "bucket"),
        ({"figure": "heatmap", "bucket": "7-0"}, "bucket"),
        ({"figure": "heatmap", "bucket": "3-24"}, "bucket"),
        ({"figure": "heatmap", "bucket": "03-9"}, "bucket"),
        ({"figure": "incomingChatsPerHour"}, "bucket"),
        ({"figure": "incomingChatsPerHour", "bucket": "yesterday"}, "bucket"),
        ({"figure": "incomingChatsPerHour", "bucket": "2026-03-04T09:00:00"}, "bucket"),
        ({"figure": "incomingChatsPerHour", "bucket": "2026-03-04T09:00:00 07:00"}, "bucket"),
        ({"figure": "incomingChatsPerHour", "bucket": "2026-03-04T09:30:00+07:00"}, "bucket"),
        ({"figure": "incomingChatsPerHour", "bucket": "2026-03-04T02:00:00+00:00"}, "bucket"),
        ({"figure": "incomingChatsPerHour", "bucket": "2026-03-03T11:00:00+07:00"}, "bucket"),
        ({"figure": "heatmap", "bucket": "3-9", "dateRange": "fortnight"}, "dateRange"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(http_client, planted, parameters, parameter):
    assert_refused(listing(http_client, planted, "owner", **parameters), 400, "invalid_parameter", parameter)


def test_an_unknown_bucket_is_named_in_the_refusal(client, planted):
    body = listing(client, planted, "owner", figure="heatmap", bucket="7-0").json()
    assert "'7-0'" in body["detail"]
    body = listing(client, planted, "owner", figure="incomingChatsPerHour", bucket="2026-03-04T09:30:00+07:00").json()
    assert "'2026-03-04T09:30:00+07:00'" in body["detail"]


@pytest.mark.parametrize(("role", "filters"), [("agent", {"agentId": "arif"}), ("supervisor A", {"teamId": TEAM_B})])
def test_filters_outside_the_scope_are_forbidden(http_client, planted, role, filters):
    response = listing(http_client, planted, role, figure="heatmap", bucket="3-9", **filters)
    assert response.status_code == 403, response.text


def test_the_returning_contacts_list_downloads_as_csv(client, planted):
    response = client.get(
        f"{PATH}/export",
        params={"dateRange": "24h", "figure": "newVsReturning.returning", "lang": "en"},
        headers=planted.bearer("supervisor A"),
    )
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="pantau-{SECTION}-newVsReturning.returning-24h-'
    )
    header, *rows = csv_rows(response)
    assert header[:3] == ["Conversation id", "Contact id", "Contact"]
    assert [row[:3] for row in rows] == [["c1-back", "c1", "Customer c1"]]


def test_a_cells_file_holds_the_cells_conversations(client, planted):
    response = client.get(
        f"{PATH}/export",
        params={"dateRange": "24h", "figure": "heatmap", "bucket": "3-9"},
        headers=planted.bearer("agent"),
    )
    assert response.headers["content-disposition"].startswith(f'attachment; filename="pantau-{SECTION}-heatmap-3-9-')
    header, *rows = csv_rows(response)
    assert [row[0] for row in rows] == ["c4-peak", "c2-peak"]
