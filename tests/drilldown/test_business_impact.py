"""`GET /api/dashboard/business-impact/conversations`: a campaign's responders and the repeat customers, one
conversation per contact, so the list's `total` is the figure of the section's JSON; its rows are exactly the
conversations the definition selects, for owner, supervisors and one agent's scope (`agentId`), live and with
snapshots; unknown figures and campaigns refused with 400. On SQLite and PostgreSQL, on the planted organisation of
the HTTP tests (3 minutes between its events, now 12:00 local) plus the rows planted here."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pantau.core.windows import local_date, local_midnight
from pantau.metrics import parts_source
from pantau.metrics.parts_source import PartsSource
from tests.api.organisation import BROADCAST, TEAM_A, TEAM_B
from tests.api.responses import assert_refused
from tests.drilldown.lists import assert_list_is, list_query, whole_list, write_two_weeks_of_snapshots
from tests.exports.files import csv_rows
from tests.support.builders import DEFAULT_ZONE
from tests.support.sections import ORGANISATION

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

SECTION = "business-impact"
PATH = f"/api/dashboard/{SECTION}/conversations"
FLASH = "bc-flash"
EARLIER_CAMPAIGN = "bc-yesterday"
RESPONDED = "campaignConversion.responded"
REPEAT = "repeatCustomerRate.repeatCustomers"

# Who reads, as the role's caller with these filters: an owner narrowed to Ani stands for an agent's own scope (agents
# may not open business impact).
CALLERS = {
    "owner": ("owner", {}),
    "supervisor A": ("supervisor A", {}),
    "supervisor B": ("supervisor B", {}),
    "Ani's own": ("owner", {"agentId": "ani"}),
}

# What each list selects, by caller, oldest first.
SELECTED: dict[tuple[str, str | None], dict[str, list[str]]] = {
    # The flash sale's recipients who wrote back: P (first in p-flash, again in p-later, which alone is Ani's) and Q
    # (in another conversation of hers). U wrote before the message, R never, S's message has no delivery status.
    (RESPONDED, FLASH): {
        "owner": ["p-flash", "q-flash"],
        "supervisor A": ["p-flash"],
        "supervisor B": ["q-flash"],
        "Ani's own": ["p-later"],
    },
    # The organisation's campaign: its customer replied in a-campaign (team A, unassigned).
    (RESPONDED, BROADCAST): {"owner": ["a-campaign"], "supervisor A": ["a-campaign"]},
    # Contacts with two conversations up to now, each by their first of today: X (from midnight on), P, Q, V (again
    # after yesterday's), W (after yesterday's in team B), Y (after one a second before midnight).
    (REPEAT, None): {
        "owner": ["x-midnight", "p-flash", "q-flash", "v-today", "w-today", "y-today"],
        "supervisor A": ["x-midnight", "p-flash", "v-today", "y-today"],
        "supervisor B": ["q-flash"],
        "Ani's own": ["v-today"],
    },
}


@pytest.fixture
def planted(org, data, pinned_now):
    """The organisation plus a flash-sale broadcast with its recipients, and contacts coming back."""
    at = org.timeline.at
    zone = ZoneInfo(DEFAULT_ZONE)
    midnight = local_midnight(local_date(pinned_now, zone), zone)
    yesterday = timedelta(days=1)

    def contact(name: str) -> str:
        return data.make_contact(name=name, id=f"contact-{name}")

    def recipient(conversation_id: str, k: int, who: str, status: str | None, **fields) -> str:
        """A conversation the broadcast started, its message at(k)."""
        data.make_conversation(at(k), contact=who, id=conversation_id, inbound_at=None, **fields)
        data.make_message(conversation_id, at(k), sender="system", status=status, broadcast=FLASH)
        return conversation_id

    data.make_broadcast(at(31), name="Flash sale", id=FLASH)
    u = contact("U")
    data.make_conversation(at(31), contact=u, team=TEAM_A, id="u-flash")  # U writes first, the message follows
    data.make_message("u-flash", at(32), sender="system", status="delivered", broadcast=FLASH)
    p, q, s = contact("P"), contact("Q"), contact("S")
    recipient("p-flash", 32, p, "read", team=TEAM_A)
    data.make_message("p-flash", at(33), sender="customer")
    recipient("q-flash", 33, q, "delivered", team=TEAM_B)
    data.make_conversation(at(34), contact=q, team=TEAM_B, id="q-reply")
    recipient("r-flash", 33, contact("R"), "delivered")
    recipient("s-flash", 34, s, None, team=TEAM_A)
    data.make_message("s-flash", at(35), sender="customer")
    recipient("p-later", 35, p, "delivered", team=TEAM_A, assigned_to="ani")
    data.make_message("p-later", at(36), sender="customer")

    # A campaign of yesterday, answered: outside today's range.
    data.make_broadcast(at(0) - yesterday, name="Yesterday's", id=EARLIER_CAMPAIGN)
    data.make_conversation(at(1) - yesterday, contact=contact("Z"), team=TEAM_A, id="z-earlier", inbound_at=None)
    data.make_message("z-earlier", at(1) - yesterday, sender="system", status="read", broadcast=EARLIER_CAMPAIGN)
    data.make_message("z-earlier", at(2) - yesterday, sender="customer")

    v, w, x, y = contact("V"), contact("W"), contact("X"), contact("Y")
    data.make_conversation(at(0) - yesterday, contact=v, team=TEAM_A, assigned_to="ani", id="v-yesterday")
    data.make_conversation(at(36), contact=v, team=TEAM_A, assigned_to="ani", id="v-today")
    data.make_conversation(at(0) - yesterday, contact=w, team=TEAM_B, id="w-yesterday")
    data.make_conversation(at(37), contact=w, team=TEAM_A, id="w-today")
    data.make_conversation(midnight, contact=x, team=TEAM_A, id="x-midnight")
    data.make_conversation(at(37), contact=x, team=TEAM_A, id="x-today")
    data.make_conversation(midnight - timedelta(seconds=1), contact=y, team=TEAM_A, id="y-before")
    data.make_conversation(at(38), contact=y, team=TEAM_A, id="y-today")
    return org


def listing(client, org, caller: str, **parameters):
    """The list as `caller` reads it, for today unless dates are given."""
    role, filters = CALLERS[caller]
    dates = {} if "startDate" in parameters else {"dateRange": "today"}
    return client.get(PATH, params={**dates, **filters, **parameters}, headers=org.bearer(role))


def figure_value(section: dict, figure: str, bucket: str | None) -> int:
    if figure == RESPONDED:
        (campaign,) = [item for item in section["campaignConversion"] if item["campaignId"] == bucket]
        return campaign["responded"]
    parent, key = figure.split(".")
    return section[parent][key]


def assert_lists_match_the_section(client, org, caller: str) -> None:
    role, filters = CALLERS[caller]
    section = org.read(client, role, SECTION, **filters).json()
    for (figure, bucket), by_caller in SELECTED.items():
        if caller not in by_caller:
            continue
        expected = by_caller[caller]
        body = whole_list(listing(client, org, caller, **list_query(figure, bucket)))
        assert_list_is(body, figure_value(section, figure, bucket), expected, (figure, bucket))


@pytest.mark.parametrize("caller", list(CALLERS))
def test_every_list_holds_exactly_the_conversations_its_figure_counts(client, planted, caller):
    assert_lists_match_the_section(client, planted, caller)


@pytest.mark.parametrize("caller", ["owner", "supervisor A"])
def test_the_lists_match_the_figures_read_from_snapshots(client, planted, connection, settings, pinned_now, caller):
    zone = ZoneInfo(DEFAULT_ZONE)
    local_now = write_two_weeks_of_snapshots(connection, pinned_now, zone)
    # The section reads today's settled hours (from midnight) from the snapshots, the rest live.
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    source = PartsSource(connection, ORGANISATION, settings, pinned_now)
    plan = source._plan(midnight, pinned_now, parts_source._LARGEST_FIRST)
    assert plan.snapshot_buckets
    assert_lists_match_the_section(client, planted, caller)


def test_a_responder_is_listed_with_the_conversation_holding_the_answered_message(client, planted):
    body = listing(client, planted, "supervisor A", figure=RESPONDED, bucket=FLASH).json()
    (item,) = body["items"]
    assert item["contact"]["name"] == "P"
    assert item["team"] == {"id": TEAM_A, "name": "Alpha"}
    assert item["status"] == "open"


@pytest.mark.parametrize(
    ("caller", "parameters", "parameter"),
    [
        ("owner", {}, "figure"),
        ("owner", {"figure": "leadsGenerated.total"}, "figure"),
        ("owner", {"figure": "ticketsResolved.inRange"}, "figure"),
        ("owner", {"figure": "repeatCustomerRate.rate"}, "figure"),
        ("owner", {"figure": "campaignConversion.converted", "bucket": FLASH}, "figure"),
        ("owner", {"figure": RESPONDED}, "bucket"),
        ("owner", {"figure": RESPONDED, "bucket": "no-such-campaign"}, "bucket"),
        ("owner", {"figure": RESPONDED, "bucket": EARLIER_CAMPAIGN}, "bucket"),  # created before the range
        ("supervisor B", {"figure": RESPONDED, "bucket": BROADCAST}, "bucket"),  # no message in team B
        ("owner", {"figure": REPEAT, "bucket": FLASH}, "bucket"),
        ("owner", {"figure": REPEAT, "dateRange": "fortnight"}, "dateRange"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(http_client, planted, caller, parameters, parameter):
    assert_refused(listing(http_client, planted, caller, **parameters), 400, "invalid_parameter", parameter)


def test_an_unknown_campaign_is_named_in_the_refusal(client, planted):
    body = listing(client, planted, "owner", figure=RESPONDED, bucket=EARLIER_CAMPAIGN).json()
    assert f"'{EARLIER_CAMPAIGN}'" in body["detail"]


def test_agents_and_filters_outside_the_scope_are_refused_as_by_the_section(http_client, planted):
    agent = http_client.get(PATH, params={"figure": REPEAT}, headers=planted.bearer("agent"))
    assert agent.status_code == 403
    outside = listing(http_client, planted, "supervisor A", figure=REPEAT, agentId="budi")
    assert outside.status_code == 403


def test_a_campaigns_responders_download_as_csv(client, planted):
    response = client.get(
        f"{PATH}/export",
        params={"dateRange": "today", "figure": RESPONDED, "bucket": FLASH, "format": "csv", "lang": "en"},
        headers=planted.bearer("owner"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="pantau-{SECTION}-{RESPONDED}-{FLASH}-today-'
    )
    header, *rows = csv_rows(response)
    assert header[0] == "Conversation id"
    assert [row[0] for row in rows] == ["p-flash", "q-flash"]


def test_a_reply_counts_up_to_72_hours_after_the_broadcast_message_and_not_a_second_later(client, people, data):
    """On 20 February (local) a campaign reaches three customers: one writes back exactly 72 hours later, one a second
    after that, one 72 hours early (before the message)."""
    sent = datetime(2026, 2, 20, 10, 0, tzinfo=ZoneInfo(DEFAULT_ZONE))
    data.make_broadcast(sent, name="February", id="bc-february")
    for name, reply_after in (("in-time", timedelta(hours=72)), ("late", timedelta(hours=72, seconds=1))):
        data.make_conversation(sent, contact=data.make_contact(name=name), team=TEAM_A, id=name, inbound_at=None)
        data.make_message(name, sent, sender="system", status="read", broadcast="bc-february")
        data.make_message(name, sent + reply_after, sender="customer")
    data.make_conversation(sent - timedelta(hours=72), team=TEAM_A, id="early")
    data.make_message("early", sent, sender="system", status="delivered", broadcast="bc-february")
    dates = {"startDate": "2026-02-20", "endDate": "2026-02-28"}
    section = people.read(client, "supervisor A", SECTION, **dates).json()
    body = listing(client, people, "supervisor A", figure=RESPONDED, bucket="bc-february", **dates).json()
    (campaign,) = section["campaignConversion"]
    assert body["total"] == campaign["responded"] == 1
    assert [item["id"] for item in body["items"]] == ["in-time"]
