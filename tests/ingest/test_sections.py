"""Data that arrives through the doors is what the sections count: exact figures after the webhook and the events
API, on SQLite and PostgreSQL.

`now` is 10:30 on 2026-03-04 (Jakarta): whatsapp-performance covers the last 24 h, conversation-effectiveness today.
"""

from __future__ import annotations

import pytest

from pantau.dashboard import conversation_effectiveness, whatsapp_performance
from tests.ingest.payloads import event, failed_status, inbound, messages_change, status, statuses_change, webhook
from tests.support.builders import local
from tests.support.sections import run_section

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits

NOW = local("2026-03-04 10:30")
BUCKETS = ["<1m", "1-5m", "5-15m", "15-60m", "1-4h", ">4h", "unanswered"]


def at(clock: str):
    return local(f"2026-03-04 {clock}")


def people_and_contacts(doors) -> None:
    doors.outcomes(
        event("e-team", "team.upserted", at("00:00"), id="t-1", name="Care"),
        event(
            "e-ana",
            "user.upserted",
            at("00:00"),
            id="ana",
            email="ana@example.test",
            fullName="Ana",
            role="agent",
            teamId="t-1",
        ),
        event("e-k1", "contact.upserted", at("00:00"), id="k-1", phoneNumber="+6281200000001"),
        event("e-k2", "contact.upserted", at("00:00"), id="k-2", phoneNumber="+6281200000002"),
    )


def test_the_delivery_funnel_is_exact_after_statuses_arrive_through_the_webhook(doors, ingest_engine):
    people_and_contacts(doors)
    doors.outcomes(event("e-c1", "conversation.opened", at("08:00"), id="c-1", contactId="k-1", teamId="t-1"))
    for n in range(1, 6):
        doors.outcomes(
            event(
                f"e-m{n}",
                "message.created",
                at(f"08:0{n}"),
                id=f"m-{n}",
                conversationId="c-1",
                direction="outbound",
                senderType="agent",
                senderId="ana",
                whatsappMessageId=f"wamid.M{n}",
                status="queued",
            )
        )
    read, delivered, sent = (
        status("wamid.M1", kind, at=at(clock))
        for kind, clock in (("read", "08:05"), ("delivered", "08:03"), ("sent", "08:02"))
    )
    # m1 read (its statuses in reverse, the read twice), m2 delivered, m3 sent, m4 failed after sent, m5 still queued.
    doors.webhook(webhook(statuses_change(read, delivered)))
    doors.webhook(webhook(statuses_change(sent, read)))
    doors.webhook(
        webhook(
            statuses_change(status("wamid.M2", "sent", at=at("08:03")), status("wamid.M2", "delivered", at=at("08:04")))
        )
    )
    doors.webhook(webhook(statuses_change(status("wamid.M3", "sent", at=at("08:04")))))
    doors.webhook(
        webhook(statuses_change(status("wamid.M4", "sent", at=at("08:05")), failed_status("wamid.M4", at=at("08:06"))))
    )

    with ingest_engine.connect() as connection:
        result = run_section(whatsapp_performance.compute, connection, now=NOW, default="24h")

    assert result["messageFunnel"] == {
        "queued": 1,
        "sent": 3,
        "delivered": 2,
        "read": 1,
        "failed": 1,
        "deliveryRate": 50.0,
        "readRate": 50.0,
    }
    assert result["failureReasons"] == [{"errorCode": 131047, "error": "Re-engagement message", "count": 1}]


def test_first_response_times_are_exact_after_conversations_arrive_through_both_doors(doors, ingest_engine):
    people_and_contacts(doors)
    doors.outcomes(
        # Answered in 240 s.
        event("e-c1", "conversation.opened", at("09:00"), id="c-1", contactId="k-1", assignedTo="ana"),
        event(
            "e-c1-in",
            "message.created",
            at("09:00"),
            id="c1-in",
            conversationId="c-1",
            direction="inbound",
            senderType="customer",
        ),
        event(
            "e-c1-out",
            "message.created",
            at("09:04"),
            id="c1-out",
            conversationId="c-1",
            direction="outbound",
            senderType="agent",
            senderId="ana",
        ),
        # The bot answers at once and hands over at 09:12; the agent replies at 09:20: 480 s from the hand-off.
        event(
            "e-c2", "conversation.opened", at("09:10"), id="c-2", contactId="k-2", assignedTo="ana", handledByBot=True
        ),
        event(
            "e-c2-in",
            "message.created",
            at("09:10"),
            id="c2-in",
            conversationId="c-2",
            direction="inbound",
            senderType="customer",
        ),
        event(
            "e-c2-bot",
            "message.created",
            at("09:10"),
            id="c2-bot",
            conversationId="c-2",
            direction="outbound",
            senderType="bot",
            isAutoReply=True,
        ),
        event("e-c2-esc", "conversation.escalated", at("09:12"), conversationId="c-2"),
        event(
            "e-c2-out",
            "message.created",
            at("09:20"),
            id="c2-out",
            conversationId="c-2",
            direction="outbound",
            senderType="agent",
            senderId="ana",
        ),
    )
    # A new customer writes on WhatsApp at 10:00 and is still waiting at 10:30.
    doors.webhook(webhook(messages_change(inbound("wamid.NEW", at=at("10:00")), wa_id="6281299999999")))

    with ingest_engine.connect() as connection:
        result = run_section(conversation_effectiveness.compute, connection, now=NOW)

    [ana] = result["conversationsPerAgent"]
    assert (ana["agentId"], ana["count"], ana["avgResponseTime"], ana["slaCompliance"]) == ("ana", 2, 360.0, 50.0)
    assert result["slaCompliance"] == {
        "percentage": 33.3,
        "compliant": 1,
        "nonCompliant": 2,
        "pending": 0,
        "targetSeconds": 300,
    }
    counts = {bucket["bucket"]: bucket["count"] for bucket in result["firstResponseDistribution"]}
    assert counts == {"<1m": 0, "1-5m": 1, "5-15m": 1, "15-60m": 0, "1-4h": 0, ">4h": 0, "unanswered": 1}
    assert result["totals"]["value"] == 3
