"""Business impact (SPEC §5.7): each figure on a hand-built dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from pantau.dashboard import business_impact
from tests.support.builders import local
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

# The default 30d range is [02-03 00:00, 03-04 10:30); its previous window [01-04 00:00, 02-02 10:30).
NOW = local("2026-03-04 10:30")


def contacts(data, *names):
    return [data.make_contact(name=name) for name in names]


def run(connection, **kwargs):
    return run_section(business_impact.compute, connection, now=NOW, default="30d", **kwargs)


def broadcast_message(data, broadcast, contact, status, at):
    conversation = data.make_conversation(at, contact=contact, broadcast=broadcast, inbound_at=None)
    data.make_message(conversation, at, sender="system", status=status, broadcast=broadcast)
    return conversation


def test_empty_range_gives_nulls_not_made_up_numbers(connection):
    result = run(connection)
    assert result["leadsGenerated"] == {"total": 0, "previous": 0, "change": None, "trend": "stable", "won": 0}
    assert result["ticketsResolved"] == {"today": 0, "week": 0, "month": 0, "inRange": 0}
    assert result["campaignConversion"] == []
    assert result["repeatCustomerRate"] == {
        "rate": None,
        "previous": None,
        "trend": "stable",
        "customers": 0,
        "repeatCustomers": 0,
    }
    assert result["costPerConversation"] == {"amount": None, "totalCost": 0.0, "currency": "IDR", "savings": 0.0}
    assert result["revenueAttributed"] == {"amount": 0.0, "wonLeads": 0, "currency": "IDR"}
    assert result["customerLifetimeValue"] == [
        {"month": month, "value": None} for month in ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    ]
    assert result["range"]["start"] == "2026-02-03T00:00:00+07:00"


def test_leads_generated_against_the_previous_window_and_won_of_them(data, connection):
    data.make_lead(local("2026-02-03 00:00"))  # the range's first instant
    data.make_lead(local("2026-02-20 12:00"), status="lost")
    data.make_lead(local("2026-03-04 10:00"), status="won", won_at=local("2026-03-04 10:10"))
    data.make_lead(local("2026-02-02 23:59:59"))  # before the range, after the previous window's 10:30 end
    data.make_lead(local("2026-02-02 10:29:59"))  # previous window
    data.make_lead(local("2026-01-04 00:00"), status="won")  # previous window; won, but not one of this range's
    assert run(connection)["leadsGenerated"] == {"total": 3, "previous": 2, "change": 50.0, "trend": "up", "won": 1}


def test_tickets_resolved_today_this_week_this_month_and_in_the_range(data, connection):
    for resolved_at in [
        "2026-03-04 00:00",  # today, week, month
        "2026-03-03 23:59:59",  # week, month
        "2026-02-26 00:00",  # week (its first instant), month, range
        "2026-02-25 23:59:59",  # month, range
        "2026-02-20 00:00",  # month, range (its first instant)
        "2026-02-19 23:59:59",  # month
        "2026-02-02 23:59:59",  # none: before the 30 days
    ]:
        data.make_ticket(local("2026-01-01 09:00"), status="resolved", resolved_at=local(resolved_at))
    data.make_ticket(local("2026-03-04 09:00"), status="open")
    result = run(connection, start_date="2026-02-20", end_date="2026-02-28")
    assert result["ticketsResolved"] == {"today": 1, "week": 3, "month": 6, "inRange": 3}


def test_campaign_conversion_sent_responded_and_converted(data, connection):
    at = local("2026-02-26 09:00")
    campaign = data.make_broadcast(at, name="Ramadan promo")
    ani, budi, citra, dewi, eko = contacts(data, "Ani", "Budi", "Citra", "Dewi", "Eko")
    broadcast_message(data, campaign, ani, "read", at)
    broadcast_message(data, campaign, budi, "delivered", at)
    broadcast_message(data, campaign, eko, "sent", at)
    broadcast_message(data, campaign, citra, "failed", at)  # not sent
    broadcast_message(data, campaign, dewi, "queued", at)  # not sent
    data.make_conversation(at + timedelta(hours=5), contact=ani)  # Ani writes back
    data.make_lead(at + timedelta(hours=6), contact=ani, broadcast=campaign)
    data.make_lead(at + timedelta(hours=6), contact=budi, broadcast=campaign)
    data.make_lead(at + timedelta(days=2), contact=budi, broadcast=campaign)  # Budi once
    data.make_lead(at + timedelta(hours=6), contact=eko)  # no broadcast on the lead
    # sent = 3 (read, delivered, sent); converted = 2 (Ani, Budi); 2 / 3 = 66.7 %.
    assert run(connection)["campaignConversion"] == [
        {
            "campaignId": campaign,
            "campaignName": "Ramadan promo",
            "sent": 3,
            "responded": 1,
            "converted": 2,
            "conversionRate": 66.7,
        },
    ]


def test_campaign_conversion_rate_is_null_when_nothing_was_sent(data, connection):
    campaign = data.make_broadcast(local("2026-03-04 09:00"))
    broadcast_message(data, campaign, data.make_contact(), "queued", local("2026-03-04 09:00"))
    [row] = run(connection)["campaignConversion"]
    assert (row["sent"], row["conversionRate"]) == (0, None)


def test_campaign_conversion_shows_the_latest_ten_broadcasts_ties_by_id(data, connection):
    created = {f"bc-{day:02d}": local("2026-02-03 09:00") + timedelta(days=day) for day in range(10)}  # 02-03 .. 02-12
    created |= {"bc-10b": local("2026-02-13 09:00"), "bc-10a": local("2026-02-13 09:00")}  # the newest, a tie
    for broadcast_id, at in created.items():
        data.make_broadcast(at, id=broadcast_id)
        broadcast_message(data, broadcast_id, data.make_contact(), "sent", at)
    shown = [row["campaignId"] for row in run(connection)["campaignConversion"]]
    assert shown == ["bc-10a", "bc-10b", *(f"bc-{day:02d}" for day in range(9, 1, -1))]  # bc-01 and bc-00 left out


def test_the_latest_ten_are_the_latest_with_a_message_in_scope(data, connection):
    """The three newest broadcasts went only to another team's conversations: for this team the ten shown reach
    further back."""
    ours, theirs = data.make_team("Ours"), data.make_team("Theirs")
    for day in range(14):  # 02-01 .. 02-14
        at = local("2026-02-01 09:00") + timedelta(days=day)
        data.make_broadcast(at, id=f"bc-{day:02d}")
        conversation = data.make_conversation(at, contact=data.make_contact(), team=theirs if day >= 11 else ours)
        data.make_message(conversation, at, sender="system", status="sent", broadcast=f"bc-{day:02d}")
    result = run(connection, scope=team_scope(ours), start_date="2026-02-01", end_date="2026-02-28")
    shown = [row["campaignId"] for row in result["campaignConversion"]]
    assert shown == [f"bc-{day:02d}" for day in range(10, 0, -1)]


def test_repeat_customer_rate_counts_conversations_up_to_the_range_end(data, connection):
    # Range [02-01, 03-01); previous window [01-04, 02-01).
    ani, budi, citra, dewi, eko, fajar = contacts(data, "Ani", "Budi", "Citra", "Dewi", "Eko", "Fajar")
    data.make_conversation(local("2026-01-20 10:00"), contact=ani)
    data.make_conversation(local("2026-02-10 10:00"), contact=ani)  # repeat: one before the range
    data.make_conversation(local("2026-02-01 00:00"), contact=budi)
    data.make_conversation(local("2026-02-06 10:00"), contact=budi)  # repeat: two in the range
    data.make_conversation(local("2026-02-28 23:59:59"), contact=citra)  # one only
    data.make_conversation(local("2026-02-15 10:00"), contact=dewi)
    data.make_conversation(local("2026-03-01 00:00"), contact=dewi)  # after the range end: does not make her repeat
    data.make_conversation(local("2026-01-10 10:00"), contact=eko)  # previous window only
    data.make_conversation(local("2026-01-05 10:00"), contact=fajar)
    data.make_conversation(local("2026-01-06 10:00"), contact=fajar)
    # Range: Ani, Budi of Ani, Budi, Citra, Dewi = 50.0. Previous: Fajar of Ani, Eko, Fajar = 33.3.
    result = run(connection, start_date="2026-02-01", end_date="2026-02-28")
    assert result["repeatCustomerRate"] == {
        "rate": 50.0,
        "previous": 33.3,
        "trend": "up",
        "customers": 4,
        "repeatCustomers": 2,
    }


def test_two_conversations_at_the_same_instant_make_a_repeat_customer(data, connection):
    gita, hadi = contacts(data, "Gita", "Hadi")
    data.make_conversation(local("2026-02-20 10:00"), contact=gita, id="gita-b")
    data.make_conversation(local("2026-02-20 10:00"), contact=gita, id="gita-a")
    data.make_conversation(local("2026-02-21 10:00"), contact=hadi)
    result = run(connection, start_date="2026-02-01", end_date="2026-02-28")
    assert result["repeatCustomerRate"]["rate"] == 50.0


def test_cost_per_conversation_from_billable_deliveries_and_online_agent_time(data, connection):
    # Range today: [03-04 00:00, 10:30).
    ana = data.make_user("agent")
    conv = data.make_conversation(local("2026-03-04 08:00"))
    at = local("2026-03-04 08:05")
    for status, category, billable in [
        ("delivered", "marketing", True),
        ("read", "marketing", True),
        ("read", "utility", True),
        ("failed", "marketing", True),  # not delivered
        ("delivered", "marketing", False),  # not billable
        ("delivered", "referral", True),  # no rate for the category: costs nothing
        ("delivered", "service", True),  # rate 0
    ]:
        data.make_message(conv, at, sender="agent", status=status, pricing_category=category, billable=billable)
    yesterday = data.make_conversation(local("2026-03-03 23:59:59"))
    data.make_message(
        yesterday,
        local("2026-03-03 23:59:59"),
        sender="agent",
        status="delivered",
        pricing_category="marketing",
        billable=True,
    )
    data.make_conversation(
        local("2026-03-04 09:00"),
        handled_by_bot=True,
        status="resolved",
        resolved_at=local("2026-03-04 09:05"),
        inbound_at=local("2026-03-04 09:00"),
    )
    data.make_conversation(local("2026-03-04 10:00"))
    data.make_activity(ana, "online", local("2026-03-03 23:00"), local("2026-03-04 01:00"))  # 1 h inside
    data.make_activity(ana, "away", local("2026-03-04 02:00"), local("2026-03-04 03:00"))
    data.make_activity(ana, "online", local("2026-03-03 20:00"), local("2026-03-03 22:00"))  # before the range
    data.make_activity(ana, "online", local("2026-03-04 09:30"))  # still online: 1 h until now
    # At the default rates in rupiah: messaging 2 x 586.33 + 356.65 = 1,529.31; agents 2 h x 35,000 = 70,000; total
    # 71,529.31 over 3 conversations = 23,843.103. Savings: one bot-only resolved conversation x 5 min = 1/12 h x
    # 35,000 = 2,916.667.
    assert run(connection, preset="today")["costPerConversation"] == {
        "amount": 23843.1,
        "totalCost": 71529.31,
        "currency": "IDR",
        "savings": 2916.67,
    }


def test_cost_uses_the_configured_rates_and_currency(data, connection):
    conv = data.make_conversation(local("2026-03-04 08:00"))
    data.make_message(
        conv, local("2026-03-04 08:05"), sender="agent", status="delivered", pricing_category="marketing", billable=True
    )
    result = run(connection, whatsapp_rates={"marketing": "1.005"}, currency="USD")["costPerConversation"]
    assert result == {"amount": 1.01, "totalCost": 1.01, "currency": "USD", "savings": 0.0}


def test_revenue_attributed_sums_leads_won_in_the_range(data, connection):
    data.make_lead(local("2026-01-10 09:00"), status="won", value="100.50", won_at=local("2026-02-03 00:00"))
    data.make_lead(local("2026-02-10 09:00"), status="won", value="200.25", won_at=local("2026-03-04 10:00"))
    # Without a value: counts, adds nothing.
    data.make_lead(local("2026-02-10 09:00"), status="won", won_at=local("2026-02-11 09:00"))
    data.make_lead(local("2026-01-10 09:00"), status="won", value="999", won_at=local("2026-02-02 23:59:59"))
    data.make_lead(local("2026-02-10 09:00"), status="lost", value="50", won_at=local("2026-02-12 09:00"))
    assert run(connection)["revenueAttributed"] == {"amount": 300.75, "wonLeads": 3, "currency": "IDR"}


def test_customer_lifetime_value_per_local_calendar_month(data, connection):
    ani, budi = data.make_contact(name="Ani"), data.make_contact(name="Budi")
    data.make_conversation(local("2025-11-15 10:00"), contact=ani)
    data.make_conversation(local("2025-11-20 10:00"), contact=ani)  # still one contact
    data.make_conversation(local("2026-01-01 00:00"), contact=budi)  # January's first instant
    data.make_lead(local("2025-11-30 09:00"), status="won", value="100", won_at=local("2025-12-01 00:00"))
    data.make_lead(local("2026-02-01 09:00"), status="won", value="50", won_at=local("2026-02-28 23:59:59"))
    data.make_lead(local("2026-02-01 09:00"), status="won", value="30", won_at=local("2026-03-01 00:00"))
    data.make_lead(local("2026-02-01 09:00"), status="lost", value="500")
    # 11: 0 / 1; 12: 100 / 1; 01: 100 / 2; 02: 150 / 2; 03: 180 / 2. October has no customer: null.
    assert run(connection)["customerLifetimeValue"] == [
        {"month": "2025-10", "value": None},
        {"month": "2025-11", "value": 0.0},
        {"month": "2025-12", "value": 100.0},
        {"month": "2026-01", "value": 50.0},
        {"month": "2026-02", "value": 75.0},
        {"month": "2026-03", "value": 90.0},
    ]


def test_scope_counts_only_rows_inside_it(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    ana = data.make_user("agent", team=team_a)
    bob = data.make_user("agent", team=team_b)
    at = local("2026-03-04 09:00")
    for team, assignee, value in [(team_a, ana, "10"), (team_b, bob, "20"), (team_b, ana, "40"), (team_a, None, "80")]:
        conv = data.make_conversation(at, team=team, assigned_to=assignee)
        data.make_lead(at, status="won", value=value, won_at=at, conversation=conv)
        data.make_ticket(at, team=team, assigned_to=assignee, status="resolved", resolved_at=at)
    data.make_activity(bob, "online", local("2026-03-04 09:00"), local("2026-03-04 09:30"))  # 0.5 h x 35,000 = 17,500
    sari = data.make_contact(name="Sari")  # a customer of both teams, both times with ana
    data.make_conversation(at, contact=sari, team=team_a, assigned_to=ana)
    data.make_conversation(local("2026-02-10 09:00"), contact=sari, team=team_b, assigned_to=ana)

    def figures(scope):
        result = run(connection, scope=scope)
        return (
            result["leadsGenerated"]["total"],
            result["revenueAttributed"]["amount"],
            result["ticketsResolved"]["inRange"],
            result["costPerConversation"]["totalCost"],
            result["repeatCustomerRate"]["rate"],
            result["customerLifetimeValue"][-1]["value"],
        )

    # Contacts in range: one per conversation of the loop, and Sari. Sari repeats wherever both hers are in scope.
    assert figures(own_scope(ana)) == (2, 50.0, 2, 0.0, 33.3, 16.67)  # 1 of 3 contacts; 50 / 3
    assert figures(team_scope(team_a)) == (3, 130.0, 3, 0.0, 25.0, 32.5)  # ana's and team A's unassigned one
    assert figures(team_scope(team_b)) == (2, 60.0, 2, 17500.0, 0.0, 20.0)  # only Sari's February conversation is B's
    assert figures(ORGANISATION) == (4, 150.0, 4, 17500.0, 20.0, 30.0)
