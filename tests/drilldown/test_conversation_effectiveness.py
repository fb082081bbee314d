"""`GET /api/dashboard/conversation-effectiveness/conversations`: for every figure that counts conversations, the
list's `total` is the figure of the section's JSON and its rows are exactly the conversations the definition selects,
for owner, supervisor and agent, live and with snapshots; pages of two cover every row once; phone numbers masked but
for owners; unknown figures and buckets refused with 400, another agent's bucket with 403. On SQLite and PostgreSQL,
on the planted organisation of the HTTP tests (3 minutes between its events, now 12:00 local) plus three
conversations planted here."""

from __future__ import annotations

import pytest

from pantau.business_settings.service import change_settings
from pantau.metrics import parts_source
from pantau.metrics.parts_source import PartsSource
from tests.api.organisation import FAILING_CUSTOMER_PHONE, FAILING_CUSTOMER_PHONE_MASKED, TEAM_A
from tests.api.responses import assert_refused
from tests.drilldown.lists import assert_list_is, list_query, whole_list, write_two_weeks_of_snapshots
from tests.support.sections import ORGANISATION

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

SECTION = "conversation-effectiveness"
PATH = f"/api/dashboard/{SECTION}/conversations"

# Every conversation of today, oldest first: the organisation's twelve and the three of `plant_first_responses`.
ALL = [
    "ani-answered",
    "ani-waiting",
    "arif-answered",
    "a-bot-only",
    "arif-escalated",
    "b-for-ani",
    "budi-answered",
    "b-waiting",
    "b-bot-only",
    "orphan",
    "nina-answered",
    "a-campaign",
    "ani-quick",
    "arif-slow",
    "ani-pending",
]
SCOPES = {
    "owner": set(ALL),
    "supervisor A": {
        "ani-answered",
        "ani-waiting",
        "arif-answered",
        "a-bot-only",
        "arif-escalated",
        "b-for-ani",
        "a-campaign",
        "ani-quick",
        "arif-slow",
        "ani-pending",
    },
    "agent": {"ani-answered", "ani-waiting", "b-for-ani", "ani-quick", "ani-pending"},
}

# What each figure selects in the whole organisation (SPEC §3, SLA target 300 s, every other reply 180 s after s0).
RESOLVED = ["ani-answered", "a-bot-only", "budi-answered"]
ANSWERED_IN_3_MINUTES = [
    "ani-answered",
    "arif-answered",
    "arif-escalated",  # 180 s after the escalation, when the human clock starts
    "b-for-ani",
    "budi-answered",
    "nina-answered",
]
# Needing a human, unanswered, unresolved: all but ani-pending have waited past the target (non-compliant already).
UNANSWERED = ["ani-waiting", "b-waiting", "orphan", "a-campaign", "ani-pending"]
SELECTED: dict[tuple[str, str | None], list[str]] = {
    ("totals.value", None): ALL,
    ("resolvedVsOpen.resolved", None): RESOLVED,
    ("resolvedVsOpen.open", None): [name for name in ALL if name not in RESOLVED],
    ("slaCompliance.compliant", None): [*ANSWERED_IN_3_MINUTES, "ani-quick"],
    ("slaCompliance.nonCompliant", None): ["ani-waiting", "b-waiting", "orphan", "a-campaign", "arif-slow"],
    ("slaCompliance.pending", None): ["ani-pending"],
    ("firstResponseDistribution", "<1m"): ["ani-quick"],
    ("firstResponseDistribution", "1-5m"): ANSWERED_IN_3_MINUTES,
    ("firstResponseDistribution", "5-15m"): ["arif-slow"],
    ("firstResponseDistribution", "15-60m"): [],
    ("firstResponseDistribution", "1-4h"): [],
    ("firstResponseDistribution", ">4h"): [],
    ("firstResponseDistribution", "unanswered"): UNANSWERED,
    ("conversationsPerAgent", "ani"): ["ani-answered", "ani-waiting", "b-for-ani", "ani-quick", "ani-pending"],
    ("conversationsPerAgent", "arif"): ["arif-answered", "arif-escalated", "arif-slow"],
    ("conversationsPerAgent", "budi"): ["budi-answered"],
    ("conversationsPerAgent", "nina"): ["nina-answered"],
}
AGENTS_IN_SCOPE = {"owner": {"ani", "arif", "budi", "nina"}, "supervisor A": {"ani", "arif"}, "agent": {"ani"}}


@pytest.fixture
def planted(org, data):
    """The organisation, plus: Ani answering in 30 s (11:30), Arif in 400 s (11:33), and a customer of Ani's
    writing at 11:57, three minutes before now (pending: under the 300 s target so far)."""
    at = org.timeline.at
    data.make_answered_conversation(at(30), 30, agent="ani", team=TEAM_A, id="ani-quick")
    data.make_answered_conversation(at(31), 400, agent="arif", team=TEAM_A, id="arif-slow")
    data.make_conversation(at(39), team=TEAM_A, assigned_to="ani", id="ani-pending")
    return org


def listing(client, org, role: str, **parameters):
    return client.get(PATH, params={"dateRange": "today", **parameters}, headers=org.bearer(role))


def figure_value(section: dict, figure: str, bucket: str | None) -> int:
    if figure == "conversationsPerAgent":
        (agent,) = [agent for agent in section[figure] if agent["agentId"] == bucket]
        return agent["count"]
    if figure == "firstResponseDistribution":
        (item,) = [item for item in section[figure] if item["bucket"] == bucket]
        return item["count"]
    parent, key = figure.split(".")
    return section[parent][key]


def cases(role: str) -> list[tuple[str, str | None, list[str]]]:
    return [
        (figure, bucket, [name for name in selected if name in SCOPES[role]])
        for (figure, bucket), selected in SELECTED.items()
        if figure != "conversationsPerAgent" or bucket in AGENTS_IN_SCOPE[role]
    ]


def assert_lists_match_the_section(client, org, role: str) -> None:
    section = org.read(client, role, SECTION).json()
    for figure, bucket, expected in cases(role):
        body = whole_list(listing(client, org, role, **list_query(figure, bucket)))
        assert_list_is(body, figure_value(section, figure, bucket), expected, (figure, bucket))


@pytest.mark.parametrize("role", ["owner", "supervisor A", "agent"])
def test_every_list_holds_exactly_the_conversations_its_figure_counts(client, planted, role):
    assert_lists_match_the_section(client, planted, role)


@pytest.mark.parametrize("role", ["owner", "supervisor A"])
def test_the_lists_match_the_figures_read_from_snapshots(client, planted, connection, settings, pinned_now, role):
    zone = settings.zone  # the organisation's, which the section reads the buckets in
    local_now = write_two_weeks_of_snapshots(connection, pinned_now, zone)
    # The section reads today's first hour (10:00-11:00, settled) from the snapshots, the rest live.
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    source = PartsSource(connection, ORGANISATION, settings, pinned_now)
    plan = source._plan(midnight, pinned_now, parts_source._LARGEST_FIRST)
    assert plan.snapshot_buckets
    assert_lists_match_the_section(client, planted, role)


def test_pages_of_two_hold_every_row_once_in_order(client, planted):
    seen, pages = [], 0
    response = listing(client, planted, "owner", figure="totals.value", limit="2")
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(ALL)
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if body["next"] is None:
            break
        assert body["next"].startswith(PATH + "?")
        response = client.get(body["next"], headers=planted.bearer("owner"))
    assert seen == ALL
    assert pages == 8


def test_an_item_holds_the_conversation_with_the_phone_masked_but_for_owners(client, planted):
    def escalated(role: str) -> dict:
        body = listing(client, planted, role, figure="conversationsPerAgent", bucket="arif").json()
        (item,) = [item for item in body["items"] if item["id"] == "arif-escalated"]
        return item

    owner = escalated("owner")
    assert owner["contact"]["name"] == "Failing customer"
    assert owner["contact"]["phone"] == FAILING_CUSTOMER_PHONE
    assert owner["team"] == {"id": TEAM_A, "name": "Alpha"}
    assert owner["agent"] == {"id": "arif", "name": "Arif"}
    assert owner["status"] == "open"
    assert owner["createdAt"] == "2026-03-04T10:33:00+07:00"
    assert owner["firstResponseSeconds"] == 180.0
    assert owner["resolvedAt"] is None
    supervisor = escalated("supervisor A")
    assert supervisor["contact"]["phone"] == FAILING_CUSTOMER_PHONE_MASKED
    assert FAILING_CUSTOMER_PHONE not in listing(client, planted, "supervisor A", figure="totals.value").text

    agent = listing(client, planted, "agent", figure="resolvedVsOpen.resolved").json()
    (answered,) = agent["items"]
    assert answered["resolvedAt"] == "2026-03-04T10:12:00+07:00"


@pytest.mark.parametrize(
    ("parameters", "parameter"),
    [
        ({}, "figure"),
        ({"figure": "totals.previous"}, "figure"),
        ({"figure": "avgResponseTimeOverTime"}, "figure"),
        ({"figure": "totals.value", "bucket": "x"}, "bucket"),
        ({"figure": "conversationsPerAgent"}, "bucket"),
        ({"figure": "conversationsPerAgent", "bucket": "nobody"}, "bucket"),
        ({"figure": "firstResponseDistribution", "bucket": "2-3m"}, "bucket"),
        ({"figure": "totals.value", "limit": "0"}, "limit"),
        ({"figure": "totals.value", "limit": "501"}, "limit"),
        ({"figure": "totals.value", "limit": "ten"}, "limit"),
        ({"figure": "totals.value", "after": "not-a-cursor"}, "after"),
        ({"figure": "totals.value", "dateRange": "fortnight"}, "dateRange"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(http_client, planted, parameters, parameter):
    assert_refused(listing(http_client, planted, "owner", **parameters), 400, "invalid_parameter", parameter)


def test_an_unknown_figure_is_named_in_the_refusal(client, planted):
    body = listing(client, planted, "owner", figure="totals.previous").json()
    assert "'totals.previous'" in body["detail"]
    body = listing(client, planted, "owner", figure="firstResponseDistribution", bucket="2-3m").json()
    assert "'2-3m'" in body["detail"]


@pytest.mark.parametrize(("role", "agent"), [("agent", "arif"), ("agent", "budi"), ("supervisor A", "budi")])
def test_a_bucket_of_someone_outside_the_scope_is_forbidden(http_client, planted, role, agent):
    response = listing(http_client, planted, role, figure="conversationsPerAgent", bucket=agent)
    assert_refused(response, 403, "forbidden", "bucket")


def test_filters_outside_the_scope_are_refused_as_by_the_section(http_client, planted):
    response = listing(http_client, planted, "agent", figure="totals.value", agentId="arif")
    assert response.status_code == 403


def test_with_business_hours_the_lists_follow_the_business_time(client, planted, session, settings, pinned_now):
    """Business hours from 11:35 every day: Arif's 400 s reply to a customer who wrote at 11:33 took 280 business
    seconds, so it is compliant and in 1-5m; every list still holds exactly what its figure counts, and each row
    carries its business time beside its FRT."""
    change_settings(
        session, settings, {"business_hours": "mon-sun 11:35-24:00"}, user_id=None, address="test", now=pinned_now
    )
    section = planted.read(client, "owner", SECTION).json()
    for figure, bucket in SELECTED:
        parameters = {"figure": figure, "limit": "500", **({} if bucket is None else {"bucket": bucket})}
        body = listing(client, planted, "owner", **parameters).json()
        assert body["total"] == figure_value(section, figure, bucket) == len(body["items"]), (figure, bucket)
        assert all("businessTime" in item for item in body["items"]), (figure, bucket)
    compliant = listing(client, planted, "owner", figure="slaCompliance.compliant", limit="500").json()["items"]
    slow = next(item for item in compliant if item["id"] == "arif-slow")
    assert (slow["firstResponseSeconds"], slow["businessTime"]) == (400.0, {"firstResponseSeconds": 280.0})
    quick = listing(client, planted, "owner", figure="firstResponseDistribution", bucket="1-5m").json()["items"]
    assert "arif-slow" in [item["id"] for item in quick]
    # Without business hours the rows carry no business time.
    change_settings(session, settings, {"business_hours": None}, user_id=None, address="test", now=pinned_now)
    plain = listing(client, planted, "owner", figure="totals.value", limit="500").json()["items"]
    assert plain and all("businessTime" not in item for item in plain)
