"""The WhatsApp Cloud API webhook (SPEC §8.1): Meta's handshake, signed bodies, messages, statuses and number
updates, on SQLite and PostgreSQL, through real commits."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

import pytest
from fastapi.testclient import TestClient

from pantau.models import Contact, Conversation, Message, ParkedItem, WhatsappSession
from pantau.web.app import create_app
from tests.ingest.conftest import ingest_settings, journal, table
from tests.ingest.payloads import (
    APP_SECRET,
    CUSTOMER_WA_ID,
    DISPLAY_PHONE_NUMBER,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    WEBHOOK,
    account_update_change,
    event,
    failed_status,
    inbound,
    interactive_reply,
    messages_change,
    quality_update_change,
    signed,
    status,
    statuses_change,
    webhook,
)
from tests.support.builders import local

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits

T0 = local("2026-03-02 09:00")


def handshake(client: TestClient, token: str, mode: str = "subscribe"):
    return client.get(WEBHOOK, params={"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"})


def test_the_handshake_echoes_the_challenge_as_text_when_the_verify_token_matches(ingest_client):
    response = handshake(ingest_client, VERIFY_TOKEN)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "1158201444"


def test_the_handshake_is_refused_with_a_wrong_token_or_mode(ingest_client):
    wrong_token = handshake(ingest_client, "guessed")
    wrong_mode = handshake(ingest_client, VERIFY_TOKEN, mode="unsubscribe")

    assert (wrong_token.status_code, wrong_mode.status_code) == (403, 403)
    assert wrong_token.json()["error"] == "forbidden"
    assert VERIFY_TOKEN not in wrong_token.text


def test_without_configured_secrets_the_webhook_is_closed(ingest_engine, ingest_database_url):
    settings = ingest_settings(ingest_database_url, whatsapp_verify_token="", whatsapp_app_secret="")
    body = webhook(messages_change(inbound("wamid.A", at=T0)))
    with TestClient(create_app(settings=settings, engine=ingest_engine)) as client:
        verification = handshake(client, "")
        post = client.post(WEBHOOK, content=body, headers=signed(body, ""))

    assert (verification.status_code, post.status_code) == (503, 503)
    assert post.json()["error"] == "webhook_disabled"
    assert journal(ingest_engine) == []


def test_a_body_without_a_signature_is_refused_and_not_stored(ingest_client, ingest_engine):
    body = webhook(messages_change(inbound("wamid.A", at=T0)))

    response = ingest_client.post(WEBHOOK, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert journal(ingest_engine) == []
    assert table(ingest_engine, Message) == []


def test_a_body_with_a_wrong_signature_is_refused_and_not_stored(ingest_client, ingest_engine):
    body = webhook(messages_change(inbound("wamid.A", at=T0)))
    signed_by_someone_else = signed(body, "another-app-secret-0123456789abcdef")
    tampered = body.replace(b"Halo", b"HALO")

    forged = ingest_client.post(WEBHOOK, content=body, headers=signed_by_someone_else)
    altered = ingest_client.post(WEBHOOK, content=tampered, headers=signed(body))

    assert (forged.status_code, altered.status_code) == (401, 401)
    assert APP_SECRET not in forged.text
    assert journal(ingest_engine) == []
    assert table(ingest_engine, Message) == []


def test_a_body_over_the_limit_is_refused_while_it_is_read(ingest_engine, ingest_database_url):
    """413 whether the size is declared or the body streams in chunks with no Content-Length at all."""
    settings = ingest_settings(ingest_database_url, ingest_max_body_bytes=2048)
    body = webhook(messages_change(*[inbound(f"wamid.{n}", at=T0) for n in range(40)]))
    assert len(body) > 2048
    with TestClient(create_app(settings=settings, engine=ingest_engine)) as client:
        declared = client.post(WEBHOOK, content=body, headers=signed(body))
        streamed = client.post(
            WEBHOOK, content=(body[i : i + 512] for i in range(0, len(body), 512)), headers=signed(body)
        )

    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert "transfer-encoding" not in declared.request.headers
    assert streamed.request.headers["transfer-encoding"] == "chunked"
    assert streamed.json()["error"] == "body_too_large"
    assert journal(ingest_engine) == []


def test_a_signed_body_that_is_not_json_is_journaled_as_failed_and_answered_200(doors, ingest_engine):
    response = doors.webhook(b"<xml>not json</xml>")

    assert response.status_code == 200
    assert response.json() == {"state": "failed"}
    assert journal(ingest_engine) == [
        {"id": 1, "source": "whatsapp", "state": "failed", "error": "the body is not JSON", "summary": None}
    ]


def test_a_signed_body_that_is_not_the_envelope_is_journaled_as_failed(doors, ingest_engine):
    response = doors.webhook(b'{"object": "page", "entry": []}')

    assert response.status_code == 200
    [entry] = journal(ingest_engine)
    assert entry["state"] == "failed"
    assert entry["error"].startswith("not a WhatsApp Business Account webhook: object:")


def test_an_inbound_message_creates_the_session_the_contact_the_conversation_and_the_message(doors, ingest_engine):
    response = doors.webhook(webhook(messages_change(inbound("wamid.A", at=T0))))

    assert response.json() == {"state": "applied"}
    [session] = table(ingest_engine, WhatsappSession)
    assert session == {
        "id": PHONE_NUMBER_ID,
        "phone_number": "+" + DISPLAY_PHONE_NUMBER,
        "display_name": None,
        "status": "connected",
        "quality_rating": None,
        "messaging_limit": None,
        "last_seen_at": T0.astimezone(UTC),
    }
    [contact] = table(ingest_engine, Contact, "id", "phone_number", "name", "created_at")
    assert contact["phone_number"] == "+" + CUSTOMER_WA_ID
    assert contact["name"] == "Sari Wulandari"
    [conversation] = table(ingest_engine, Conversation, "contact_id", "whatsapp_session_id", "status", "created_at")
    assert conversation == {
        "contact_id": contact["id"],
        "whatsapp_session_id": PHONE_NUMBER_ID,
        "status": "open",
        "created_at": T0.astimezone(UTC),
    }
    [message] = table(ingest_engine, Message, "direction", "sender_type", "whatsapp_message_id", "created_at", "status")
    assert message == {
        "direction": "inbound",
        "sender_type": "customer",
        "whatsapp_message_id": "wamid.A",
        "created_at": T0.astimezone(UTC),
        "status": None,
    }
    assert journal(ingest_engine)[0]["summary"] == {"accepted": 1}


def test_the_same_body_twice_changes_nothing(doors, ingest_engine):
    body = webhook(messages_change(inbound("wamid.A", at=T0), interactive_reply("wamid.B", at=T0 + timedelta(1))))
    doors.webhook(body)
    before = [table(ingest_engine, model) for model in (WhatsappSession, Contact, Conversation, Message)]

    again = doors.webhook(body)

    assert again.json() == {"state": "duplicate"}
    assert [table(ingest_engine, model) for model in (WhatsappSession, Contact, Conversation, Message)] == before
    assert [entry["state"] for entry in journal(ingest_engine)] == ["applied", "duplicate"]


def test_a_contact_s_messages_share_its_open_conversation_until_it_is_resolved(doors, ingest_engine):
    doors.webhook(webhook(messages_change(inbound("wamid.A", at=T0))))
    doors.webhook(webhook(messages_change(inbound("wamid.B", at=T0 + timedelta(minutes=2)))))
    [first] = table(ingest_engine, Conversation, "id")
    doors.events(event("e-1", "conversation.resolved", T0 + timedelta(minutes=30), conversationId=first["id"]))

    doors.webhook(webhook(messages_change(inbound("wamid.C", at=T0 + timedelta(hours=3)))))

    conversations = table(ingest_engine, Conversation, "id", "status", "created_at", order_by=Conversation.created_at)
    assert [(row["status"], row["created_at"]) for row in conversations] == [
        ("resolved", T0.astimezone(UTC)),
        ("open", (T0 + timedelta(hours=3)).astimezone(UTC)),
    ]
    messages = table(ingest_engine, Message, "whatsapp_message_id", "conversation_id", order_by=Message.created_at)
    assert [row["conversation_id"] for row in messages] == [first["id"], first["id"], conversations[1]["id"]]
    assert len(table(ingest_engine, Contact)) == 1


def test_a_message_sent_again_after_its_conversation_was_resolved_opens_nothing(doors, ingest_engine):
    """Meta retries a body for days: the retry must not open a new conversation for a message already stored."""
    body = webhook(messages_change(inbound("wamid.A", at=T0)))
    doors.webhook(body)
    [conversation] = table(ingest_engine, Conversation, "id")
    doors.events(event("e-1", "conversation.resolved", T0 + timedelta(minutes=30), conversationId=conversation["id"]))

    retried = doors.webhook(body)

    assert retried.json() == {"state": "duplicate"}
    assert table(ingest_engine, Conversation, "id", "status") == [{"id": conversation["id"], "status": "resolved"}]
    assert len(table(ingest_engine, Message)) == 1


def outbound_message(doors, wamid: str) -> None:
    """An agent's reply created by the CRM through the events API, its WhatsApp id known."""
    doors.events(
        event("e-contact", "contact.upserted", T0, id="k-1", phoneNumber="+" + CUSTOMER_WA_ID),
        event("e-conv", "conversation.opened", T0, id="c-1", contactId="k-1"),
        event(
            f"e-{wamid}",
            "message.created",
            T0 + timedelta(minutes=1),
            id=f"m-{wamid}",
            conversationId="c-1",
            direction="outbound",
            senderType="agent",
            whatsappMessageId=wamid,
            status="queued",
        ),
    )


def delivery(engine) -> list[dict]:
    return table(
        engine,
        Message,
        "status",
        "sent_at",
        "delivered_at",
        "read_at",
        "failed_at",
        "error_code",
        "error_title",
        "pricing_category",
        "billable",
    )


def test_statuses_out_of_order_and_repeated_never_move_a_message_backwards(doors, ingest_engine):
    outbound_message(doors, "wamid.OUT")
    sent, delivered, read = (T0 + timedelta(minutes=2, seconds=s) for s in (0, 5, 30))

    doors.webhook(webhook(statuses_change(status("wamid.OUT", "read", at=read))))
    doors.webhook(webhook(statuses_change(status("wamid.OUT", "delivered", at=delivered))))
    doors.webhook(webhook(statuses_change(status("wamid.OUT", "sent", at=sent))))
    repeated = doors.webhook(webhook(statuses_change(status("wamid.OUT", "read", at=read + timedelta(minutes=9)))))

    assert repeated.json() == {"state": "duplicate"}
    assert delivery(ingest_engine) == [
        {
            "status": "read",
            "sent_at": sent.astimezone(UTC),
            "delivered_at": delivered.astimezone(UTC),
            "read_at": read.astimezone(UTC),
            "failed_at": None,
            "error_code": None,
            "error_title": None,
            "pricing_category": "utility",
            "billable": True,
        }
    ]


def test_a_repeated_status_keeps_its_first_time_even_when_it_brings_new_pricing(doors, ingest_engine):
    outbound_message(doors, "wamid.OUT")
    read = T0 + timedelta(minutes=2)
    doors.webhook(webhook(statuses_change(status("wamid.OUT", "read", at=read, category="utility"))))

    doors.webhook(
        webhook(statuses_change(status("wamid.OUT", "read", at=read + timedelta(hours=1), category="marketing")))
    )

    [row] = delivery(ingest_engine)
    assert (row["read_at"], row["pricing_category"]) == (read.astimezone(UTC), "marketing")


def test_a_failed_status_records_the_error_and_ranks_below_delivered(doors, ingest_engine):
    outbound_message(doors, "wamid.OUT")
    failed_at = T0 + timedelta(minutes=3)

    doors.webhook(webhook(statuses_change(status("wamid.OUT", "sent", at=T0 + timedelta(minutes=2)))))
    doors.webhook(webhook(statuses_change(failed_status("wamid.OUT", at=failed_at))))

    [row] = delivery(ingest_engine)
    assert (row["status"], row["failed_at"]) == ("failed", failed_at.astimezone(UTC))
    assert (row["error_code"], row["error_title"]) == (131047, "Re-engagement message")

    doors.webhook(webhook(statuses_change(status("wamid.OUT", "delivered", at=T0 + timedelta(minutes=4)))))

    assert delivery(ingest_engine)[0]["status"] == "delivered"


def test_a_status_for_an_unknown_message_is_parked_and_applied_when_the_message_arrives(doors, ingest_engine):
    read = T0 + timedelta(minutes=2)

    parked = doors.webhook(webhook(statuses_change(status("wamid.LATE", "read", at=read))))

    assert parked.json() == {"state": "applied"}
    assert table(ingest_engine, ParkedItem, "waiting_kind", "waiting_id", "source") == [
        {"waiting_kind": "whatsapp_message", "waiting_id": "wamid.LATE", "source": "whatsapp"}
    ]
    assert journal(ingest_engine)[0]["summary"] == {"parked": 1}

    outbound_message(doors, "wamid.LATE")

    assert table(ingest_engine, ParkedItem) == []
    [row] = delivery(ingest_engine)
    assert (row["status"], row["read_at"]) == ("read", read.astimezone(UTC))
    assert journal(ingest_engine)[1]["summary"] == {"accepted": 3, "released": 1}


def test_a_quality_update_sets_the_number_s_messaging_limit_and_flags_its_quality(doors, ingest_engine):
    doors.webhook(webhook(messages_change(inbound("wamid.A", at=T0))))

    doors.webhook(webhook(quality_update_change(event="FLAGGED", limit="TIER_10K")))

    assert table(ingest_engine, WhatsappSession, "quality_rating", "messaging_limit") == [
        {"quality_rating": "RED", "messaging_limit": 10_000}
    ]

    doors.webhook(webhook(quality_update_change(event="UNFLAGGED", limit="TIER_100K")))

    assert table(ingest_engine, WhatsappSession, "quality_rating", "messaging_limit") == [
        {"quality_rating": "UNKNOWN", "messaging_limit": 100_000}
    ]


def test_an_account_update_disconnects_and_reconnects_the_number(doors, ingest_engine):
    doors.webhook(webhook(messages_change(inbound("wamid.A", at=T0))))

    doors.webhook(webhook(account_update_change(event="ACCOUNT_OFFBOARDED")))
    offboarded = table(ingest_engine, WhatsappSession, "status")
    doors.webhook(webhook(account_update_change(event="ACCOUNT_RECONNECTED")))

    assert offboarded == [{"status": "disconnected"}]
    assert table(ingest_engine, WhatsappSession, "status") == [{"status": "connected"}]


def test_other_fields_are_journaled_and_ignored(doors, ingest_engine):
    change = {
        "value": {"event": "APPROVED", "message_template_name": "promo_v1"},
        "field": "message_template_status_update",
    }

    response = doors.webhook(webhook(change))

    assert response.json() == {"state": "applied"}
    assert journal(ingest_engine)[0]["summary"] == {"ignored": 1}


def test_the_access_log_never_shows_the_verify_token(caplog):
    """uvicorn logs each request's path with its query; Meta's handshake carries the verify token there."""
    path = f"{WEBHOOK}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"

    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET", path, "1.1", 200)

    assert VERIFY_TOKEN not in caplog.text
    assert "hub.verify_token=***&hub.challenge=1158201444" in caplog.text
