"""The events API (SPEC §8.1): every event type, per-event outcomes in input order, duplicates, parking, and facts
that never move backwards, on SQLite and PostgreSQL, through real commits."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import pytest

from pantau.models import (
    AgentActivityLog,
    Broadcast,
    Contact,
    Conversation,
    IngestEvent,
    Lead,
    Message,
    ParkedItem,
    Team,
    Ticket,
    User,
    WhatsappSession,
)
from pantau.models.enums import TokenPermission
from tests.ingest.conftest import issue, journal, table
from tests.ingest.payloads import EVENTS, event
from tests.support.builders import local

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits

T0 = local("2026-03-02 09:00")
UTC0 = T0.astimezone(UTC)


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def utc_at(minutes: float):
    return at(minutes).astimezone(UTC)


def contact_and_conversation(**conversation) -> list[dict]:
    return [
        event("e-contact", "contact.upserted", at(0), id="k-1", phoneNumber="+6281234567890", name="Sari"),
        event("e-opened", "conversation.opened", at(0), id="c-1", contactId="k-1", **conversation),
    ]


def every_table(engine) -> list[list[dict]]:
    models = (Team, User, Contact, WhatsappSession, Broadcast, Conversation, Message, Ticket, Lead, AgentActivityLog)
    return [table(engine, model) for model in models]


def test_every_event_type_writes_its_row(doors, ingest_engine):
    outcomes = doors.outcomes(
        event("e-1", "team.upserted", at(0), id="t-1", name="Sales"),
        event(
            "e-2",
            "user.upserted",
            at(0),
            id="u-1",
            email="ana@example.test",
            fullName="Ana",
            role="agent",
            teamId="t-1",
        ),
        event("e-3", "contact.upserted", at(0), id="k-1", phoneNumber="+6281234567890", name="Sari", tags=["vip"]),
        event(
            "e-4",
            "whatsapp_session.upserted",
            at(0),
            id="s-1",
            phoneNumber="+6221555000",
            status="connected",
            qualityRating="GREEN",
            messagingLimit=1000,
        ),
        event(
            "e-5",
            "broadcast.created",
            at(0),
            id="b-1",
            name="March promo",
            whatsappSessionId="s-1",
            templateName="promo_march",
        ),
        event(
            "e-6",
            "conversation.opened",
            at(1),
            id="c-1",
            contactId="k-1",
            whatsappSessionId="s-1",
            handledByBot=True,
            broadcastId="b-1",
        ),
        event(
            "e-7", "message.created", at(1), id="m-1", conversationId="c-1", direction="inbound", senderType="customer"
        ),
        event("e-8", "conversation.intent", at(2), conversationId="c-1", intent="order_status"),
        event("e-9", "conversation.escalated", at(3), conversationId="c-1"),
        event("e-10", "conversation.assigned", at(3), conversationId="c-1", teamId="t-1", assignedTo="u-1"),
        event(
            "e-11",
            "message.created",
            at(5),
            id="m-2",
            conversationId="c-1",
            direction="outbound",
            senderType="agent",
            senderId="u-1",
            whatsappMessageId="wamid.M2",
            status="queued",
        ),
        event(
            "e-12",
            "message.status",
            at(5.5),
            whatsappMessageId="wamid.M2",
            status="delivered",
            pricingCategory="service",
            billable=False,
        ),
        event(
            "e-13",
            "ticket.upserted",
            at(6),
            id="tk-1",
            conversationId="c-1",
            contactId="k-1",
            teamId="t-1",
            assignedTo="u-1",
            priority="urgent",
            status="open",
        ),
        event(
            "e-14",
            "lead.upserted",
            at(7),
            id="l-1",
            contactId="k-1",
            conversationId="c-1",
            broadcastId="b-1",
            status="won",
            value="1500000.50",
            wonAt=at(7).isoformat(),
        ),
        event("e-15", "conversation.resolved", at(20), conversationId="c-1"),
        event("e-16", "conversation.rated", at(21), conversationId="c-1", csatScore=5),
        event("e-17", "agent.status", at(0), agentId="u-1", status="online"),
        event("e-18", "conversation.closed", at(30), conversationId="c-1"),
    )

    assert outcomes == ["accepted"] * 18
    assert table(ingest_engine, Team) == [{"id": "t-1", "name": "Sales"}]
    [user] = [row for row in table(ingest_engine, User) if row["id"] != "crm"]
    assert (user["email"], user["full_name"], user["role"], user["team_id"]) == (
        "ana@example.test",
        "Ana",
        "agent",
        "t-1",
    )
    assert (user["is_active"], user["password_hash"], user["created_at"]) == (True, None, UTC0)
    assert table(ingest_engine, Contact) == [
        {"id": "k-1", "phone_number": "+6281234567890", "name": "Sari", "tags": ["vip"], "created_at": UTC0}
    ]
    assert table(ingest_engine, WhatsappSession) == [
        {
            "id": "s-1",
            "phone_number": "+6221555000",
            "display_name": None,
            "status": "connected",
            "quality_rating": "GREEN",
            "messaging_limit": 1000,
            "last_seen_at": None,
        }
    ]
    assert table(ingest_engine, Broadcast) == [
        {
            "id": "b-1",
            "name": "March promo",
            "whatsapp_session_id": "s-1",
            "template_name": "promo_march",
            "created_at": UTC0,
        }
    ]
    assert table(ingest_engine, Conversation) == [
        {
            "id": "c-1",
            "contact_id": "k-1",
            "whatsapp_session_id": "s-1",
            "team_id": "t-1",
            "assigned_to": "u-1",
            "status": "closed",
            "created_at": utc_at(1),
            "resolved_at": utc_at(20),
            "handled_by_bot": True,
            "escalated_at": utc_at(3),
            "intent": "order_status",
            "csat_score": 5,
            "broadcast_id": "b-1",
        }
    ]
    messages = table(
        ingest_engine,
        Message,
        "id",
        "direction",
        "sender_type",
        "sender_id",
        "created_at",
        "status",
        "delivered_at",
        "pricing_category",
        "billable",
    )
    assert messages == [
        {
            "id": "m-1",
            "direction": "inbound",
            "sender_type": "customer",
            "sender_id": None,
            "created_at": utc_at(1),
            "status": None,
            "delivered_at": None,
            "pricing_category": None,
            "billable": None,
        },
        {
            "id": "m-2",
            "direction": "outbound",
            "sender_type": "agent",
            "sender_id": "u-1",
            "created_at": utc_at(5),
            "status": "delivered",
            "delivered_at": utc_at(5.5),
            "pricing_category": "service",
            "billable": False,
        },
    ]
    assert table(ingest_engine, Ticket) == [
        {
            "id": "tk-1",
            "conversation_id": "c-1",
            "contact_id": "k-1",
            "team_id": "t-1",
            "assigned_to": "u-1",
            "priority": "urgent",
            "status": "open",
            "created_at": utc_at(6),
            "resolved_at": None,
            "closed_at": None,
        }
    ]
    assert table(ingest_engine, Lead) == [
        {
            "id": "l-1",
            "contact_id": "k-1",
            "conversation_id": "c-1",
            "broadcast_id": "b-1",
            "status": "won",
            "value": Decimal("1500000.50"),
            "created_at": utc_at(7),
            "won_at": utc_at(7),
        }
    ]
    assert table(ingest_engine, AgentActivityLog, "agent_id", "status", "started_at", "ended_at") == [
        {"agent_id": "u-1", "status": "online", "started_at": UTC0, "ended_at": None}
    ]
    assert journal(ingest_engine)[0]["summary"] == {"accepted": 18}


def test_no_token_is_401_and_a_read_token_is_403(ingest_client, ingest_engine, crm_user):
    read_token = issue(ingest_engine, crm_user, TokenPermission.read)
    body = {"events": [event("e-1", "team.upserted", at(0), id="t-1", name="Sales")]}

    anonymous = ingest_client.post(EVENTS, json=body)
    reader = ingest_client.post(EVENTS, json=body, headers={"Authorization": f"Bearer {read_token}"})

    assert anonymous.status_code == 401
    assert reader.status_code == 403
    assert reader.json() == {
        "error": "forbidden",
        "detail": "this API token may only read; sending data needs a token created with --permission ingest",
    }
    assert journal(ingest_engine) == []
    assert table(ingest_engine, Team) == []


def test_a_malformed_event_never_sinks_the_good_ones(doors, ingest_engine):
    response = doors.events(
        event("e-1", "team.upserted", at(0), id="t-1", name="Sales"),
        {"id": "e-2", "type": "team.upserted", "data": {"id": "t-2", "name": "Support"}},
        event("e-3", "team.upserted", at(0), id="t-3", name="Billing"),
    )

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"id": "e-1", "outcome": "accepted", "reason": None},
            {"id": "e-2", "outcome": "rejected", "reason": "occurredAt: Field required"},
            {"id": "e-3", "outcome": "accepted", "reason": None},
        ]
    }
    assert [row["id"] for row in table(ingest_engine, Team)] == ["t-1", "t-3"]
    assert journal(ingest_engine)[0]["summary"] == {"accepted": 2, "rejected": 1}


@pytest.mark.parametrize(
    ("bad_event", "reason"),
    [
        pytest.param(
            event("e-1", "conversation.archived", at(0), conversationId="c-1"),
            "type: unknown event type 'conversation.archived'; use one of team.upserted,",
            id="unknown-type",
        ),
        pytest.param(
            event("e-1", "ticket.upserted", at(0), id="tk-1", priority="critical", status="open"),
            "data.priority: Input should be 'low', 'medium', 'high' or 'urgent'",
            id="unknown-enum-value",
        ),
        pytest.param(
            event("e-1", "team.upserted", "2026-03-02T09:00:00", id="t-1", name="Sales"),
            "occurredAt: the time has no offset; write it like 2026-03-02T09:00:00+07:00 (or with Z for UTC)",
            id="time-without-offset",
        ),
        pytest.param(
            event("e-1", "conversation.rated", at(0), conversationId="c-1", csatScore=6),
            "data.csatScore: Input should be less than or equal to 5",
            id="csat-of-6",
        ),
        pytest.param(
            event("e-" + "1" * 100, "team.upserted", at(0), id="t-1", name="Sales"),
            "id: String should have at most 100 characters",
            id="id-over-100-characters",
        ),
        pytest.param(
            event("e-1", "message.created", at(0), id="m-1", conversationId="c-1", direction="inbound"),
            "data.senderType: Field required",
            id="missing-required-key",
        ),
    ],
)
def test_a_bad_event_is_rejected_with_a_reason_naming_the_field(doors, ingest_engine, bad_event, reason):
    response = doors.events(bad_event)

    assert response.status_code == 200
    [result] = response.json()["results"]
    assert (result["id"], result["outcome"]) == (bad_event["id"], "rejected")
    assert result["reason"].startswith(reason)
    assert every_table(ingest_engine)[0] == [] and table(ingest_engine, IngestEvent) == []


def test_more_than_1000_events_is_413_and_nothing_is_applied(doors, ingest_engine):
    events = [event(f"e-{n}", "team.upserted", at(0), id=f"t-{n}", name="Team") for n in range(1001)]

    response = doors.events(*events)

    assert response.status_code == 413
    assert response.json() == {
        "error": "too_many_events",
        "detail": "events: 1,001 events in one request; send at most 1,000 per request",
    }
    assert table(ingest_engine, Team) == []
    assert [entry["state"] for entry in journal(ingest_engine)] == ["failed"]


def test_a_body_that_is_not_json_is_400_and_journaled_as_failed(doors, ingest_engine):
    response = doors.client.post(
        EVENTS, content=b"events=1", headers={"Authorization": f"Bearer {doors.token}", "Content-Type": "text/plain"}
    )

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_body", "detail": "body: not valid JSON"}
    assert journal(ingest_engine) == [
        {"id": 1, "source": "events", "state": "failed", "error": "body: not valid JSON", "summary": None}
    ]


def test_a_repeated_id_is_a_duplicate_and_changes_nothing(doors, ingest_engine):
    doors.outcomes(event("e-1", "team.upserted", at(0), id="t-1", name="Sales"))

    response = doors.events(event("e-1", "team.upserted", at(5), id="t-1", name="Renamed"))

    assert response.json()["results"] == [
        {"id": "e-1", "outcome": "duplicate", "reason": "this id was received before"}
    ]
    assert table(ingest_engine, Team) == [{"id": "t-1", "name": "Sales"}]


def test_the_same_payload_twice_changes_nothing(doors, ingest_engine):
    events = [
        *contact_and_conversation(),
        event(
            "e-m1", "message.created", at(1), id="m-1", conversationId="c-1", direction="inbound", senderType="customer"
        ),
        event("e-res", "conversation.resolved", at(9), conversationId="c-1"),
    ]
    doors.outcomes(*events)
    before = every_table(ingest_engine)

    again = doors.outcomes(*events)

    assert again == ["duplicate"] * 4
    assert every_table(ingest_engine) == before
    assert [entry["state"] for entry in journal(ingest_engine)] == ["applied", "duplicate"]


def test_an_event_about_an_unknown_conversation_is_parked_and_applied_when_it_is_opened(doors, ingest_engine):
    """A late conversation.opened after resolved keeps it resolved."""
    parked = doors.events(event("e-res", "conversation.resolved", at(9), conversationId="c-1"))

    assert parked.json()["results"] == [{"id": "e-res", "outcome": "parked", "reason": "waiting for conversation c-1"}]
    assert table(ingest_engine, ParkedItem, "waiting_kind", "waiting_id", "event_id") == [
        {"waiting_kind": "conversation", "waiting_id": "c-1", "event_id": "e-res"}
    ]

    opened = doors.outcomes(*contact_and_conversation())

    assert opened == ["accepted", "accepted"]
    assert table(ingest_engine, Conversation, "status", "created_at", "resolved_at") == [
        {"status": "resolved", "created_at": UTC0, "resolved_at": utc_at(9)}
    ]
    assert table(ingest_engine, ParkedItem) == []
    assert table(ingest_engine, IngestEvent, "id", "outcome", order_by=IngestEvent.id) == [
        {"id": "e-contact", "outcome": "accepted"},
        {"id": "e-opened", "outcome": "accepted"},
        {"id": "e-res", "outcome": "accepted"},
    ]


def test_an_event_released_later_in_the_same_batch_answers_accepted(doors, ingest_engine):
    response = doors.events(
        event("e-status", "message.status", at(2), messageId="m-1", status="sent"),
        *contact_and_conversation(),
        event(
            "e-m1",
            "message.created",
            at(1),
            id="m-1",
            conversationId="c-1",
            direction="outbound",
            senderType="bot",
            status="queued",
        ),
    )

    assert [result["outcome"] for result in response.json()["results"]] == ["accepted"] * 4
    assert table(ingest_engine, Message, "status", "sent_at") == [{"status": "sent", "sent_at": utc_at(2)}]
    assert journal(ingest_engine)[0]["summary"] == {"accepted": 4}


def test_a_parked_event_found_incomplete_on_release_is_rejected_and_its_id_freed(doors, ingest_engine):
    response = doors.events(
        event("e-ticket", "ticket.upserted", at(1), id="tk-1", conversationId="c-1", status="open"),
        *contact_and_conversation(),
    )

    assert response.json()["results"][0] == {
        "id": "e-ticket",
        "outcome": "rejected",
        "reason": "data.priority: required to create ticket tk-1",
    }
    assert table(ingest_engine, Ticket) == [] and table(ingest_engine, ParkedItem) == []
    assert doors.outcomes(
        event("e-ticket", "ticket.upserted", at(1), id="tk-1", conversationId="c-1", status="open", priority="low")
    ) == ["accepted"]


def test_a_late_opened_never_reopens_a_resolved_conversation(doors, ingest_engine):
    doors.outcomes(*contact_and_conversation(), event("e-res", "conversation.resolved", at(9), conversationId="c-1"))

    outcome = doors.outcomes(
        event("e-opened-again", "conversation.opened", at(0), id="c-1", contactId="k-1", intent="refund")
    )

    assert outcome == ["accepted"]
    assert table(ingest_engine, Conversation, "status", "resolved_at", "intent") == [
        {"status": "resolved", "resolved_at": utc_at(9), "intent": "refund"}
    ]


def test_a_late_resolved_after_reopened_keeps_it_open(doors, ingest_engine):
    doors.outcomes(
        *contact_and_conversation(),
        event("e-res", "conversation.resolved", at(9), conversationId="c-1"),
        event("e-reopen", "conversation.reopened", at(30), conversationId="c-1"),
    )

    response = doors.events(event("e-res-late", "conversation.resolved", at(20), conversationId="c-1"))

    assert response.json()["results"][0]["outcome"] == "accepted"
    assert "later change" in response.json()["results"][0]["reason"]
    assert table(ingest_engine, Conversation, "status", "resolved_at") == [{"status": "open", "resolved_at": None}]


def test_pending_is_a_lifecycle_event_the_latest_of_which_holds(doors, ingest_engine):
    doors.outcomes(
        *contact_and_conversation(),
        event("e-res", "conversation.resolved", at(9), conversationId="c-1"),
        event("e-pending", "conversation.pending", at(12), conversationId="c-1"),
    )
    after_pending = table(ingest_engine, Conversation, "status", "resolved_at")

    doors.outcomes(event("e-res-late", "conversation.resolved", at(10), conversationId="c-1"))
    assert table(ingest_engine, Conversation, "status", "resolved_at") == after_pending
    doors.outcomes(event("e-res-2", "conversation.resolved", at(15), conversationId="c-1"))

    assert after_pending == [{"status": "pending", "resolved_at": None}]
    assert table(ingest_engine, Conversation, "status", "resolved_at") == [
        {"status": "resolved", "resolved_at": utc_at(15)}
    ]


def test_a_conversation_keeps_its_first_hand_off_whatever_order_escalations_arrive_in(doors, ingest_engine):
    doors.outcomes(*contact_and_conversation(), event("e-esc-1", "conversation.escalated", at(5), conversationId="c-1"))

    doors.outcomes(event("e-esc-2", "conversation.escalated", at(12), conversationId="c-1"))
    after_a_later_one = table(ingest_engine, Conversation, "escalated_at")
    doors.outcomes(event("e-esc-0", "conversation.escalated", at(2), conversationId="c-1"))

    assert after_a_later_one == [{"escalated_at": utc_at(5)}]
    assert table(ingest_engine, Conversation, "escalated_at") == [{"escalated_at": utc_at(2)}]


def test_a_late_message_status_keeps_the_highest_status(doors, ingest_engine):
    doors.outcomes(
        *contact_and_conversation(),
        event(
            "e-m1",
            "message.created",
            at(1),
            id="m-1",
            conversationId="c-1",
            direction="outbound",
            senderType="agent",
            whatsappMessageId="wamid.M1",
            status="queued",
        ),
        event("e-read", "message.status", at(4), whatsappMessageId="wamid.M1", status="read"),
    )

    doors.outcomes(
        event("e-delivered", "message.status", at(3), whatsappMessageId="wamid.M1", status="delivered"),
        event("e-sent", "message.status", at(2), messageId="m-1", status="sent"),
    )

    assert table(ingest_engine, Message, "status", "sent_at", "delivered_at", "read_at") == [
        {"status": "read", "sent_at": utc_at(2), "delivered_at": utc_at(3), "read_at": utc_at(4)}
    ]


def test_an_older_upsert_only_fills_what_the_row_lacks(doors, ingest_engine):
    doors.outcomes(
        event(
            "e-new",
            "ticket.upserted",
            at(30),
            id="tk-1",
            priority="high",
            status="resolved",
            resolvedAt=at(30).isoformat(),
        )
    )

    response = doors.events(
        event(
            "e-old",
            "ticket.upserted",
            at(10),
            id="tk-1",
            priority="low",
            status="open",
            teamId=None,
            assignedTo=None,
            closedAt=None,
            createdAt=at(10).isoformat(),
        )
    )

    assert response.json()["results"][0]["outcome"] == "accepted"
    assert table(ingest_engine, Ticket, "priority", "status", "created_at", "resolved_at") == [
        {"priority": "high", "status": "resolved", "created_at": utc_at(30), "resolved_at": utc_at(30)}
    ]


def test_a_new_row_without_its_required_columns_is_rejected_naming_the_column(doors, ingest_engine):
    response = doors.events(event("e-1", "user.upserted", at(0), id="u-1", email="ana@example.test", role="agent"))

    assert response.json()["results"] == [
        {"id": "e-1", "outcome": "rejected", "reason": "data.fullName: required to create user u-1"}
    ]
    assert [row["id"] for row in table(ingest_engine, User)] == ["crm"]


def test_a_password_is_never_taken(doors, ingest_engine):
    response = doors.events(
        event(
            "e-1",
            "user.upserted",
            at(0),
            id="u-1",
            email="ana@example.test",
            fullName="Ana",
            role="agent",
            passwordHash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        )
    )

    assert response.json()["results"][0] == {
        "id": "e-1",
        "outcome": "rejected",
        "reason": "data.passwordHash: passwords are never sent through ingest; users set theirs with "
        "`pantau user set-password`",
    }


def test_an_email_taken_by_another_user_is_rejected_alone(doors, ingest_engine):
    outcomes = doors.events(
        event("e-1", "user.upserted", at(0), id="u-1", email="ana@example.test", fullName="Ana", role="agent"),
        event("e-2", "user.upserted", at(0), id="u-2", email="ana@example.test", fullName="Another", role="agent"),
        event("e-3", "team.upserted", at(0), id="t-1", name="Sales"),
    ).json()["results"]

    assert [result["outcome"] for result in outcomes] == ["accepted", "rejected", "accepted"]
    assert outcomes[1]["reason"] == "data.email: another user already has this e-mail address"
    assert table(ingest_engine, IngestEvent, "id", order_by=IngestEvent.id) == [{"id": "e-1"}, {"id": "e-3"}]


def test_agent_status_ends_the_open_period_and_a_late_one_slots_into_the_timeline(doors, ingest_engine):
    doors.outcomes(
        event("e-u", "user.upserted", at(0), id="u-1", email="ana@example.test", fullName="Ana", role="agent"),
        event("e-online", "agent.status", at(0), agentId="u-1", status="online"),
        event("e-offline", "agent.status", at(60), agentId="u-1", status="offline"),
    )

    doors.outcomes(event("e-away", "agent.status", at(30), agentId="u-1", status="away"))

    periods = table(
        ingest_engine, AgentActivityLog, "status", "started_at", "ended_at", order_by=AgentActivityLog.started_at
    )
    assert periods == [
        {"status": "online", "started_at": UTC0, "ended_at": utc_at(30)},
        {"status": "away", "started_at": utc_at(30), "ended_at": utc_at(60)},
        {"status": "offline", "started_at": utc_at(60), "ended_at": None},
    ]
