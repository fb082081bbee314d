"""Bodies as the doors receive them: WhatsApp Cloud API webhooks in the shapes Meta documents (messages, statuses
with conversation, pricing and errors, phone_number_quality_update, account_update), signed with the app secret, and
events API batches.

    body = webhook(messages_change(inbound("wamid.A", at=local("2026-03-02 09:00"))))
    client.post(WEBHOOK, content=body, headers=signed(body))
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

APP_SECRET = "3f1c6b0e9d2a4c8e7b5f1a2d3c4e5f60"
VERIFY_TOKEN = "pantau-verify-6c0f2b"
WEBHOOK = "/api/ingest/whatsapp"
EVENTS = "/api/ingest/events"

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "6281100000000"
CUSTOMER_WA_ID = "6281234567890"


def unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}


def webhook(*changes: dict) -> bytes:
    """The envelope Meta posts: one entry of the business account, its changes."""
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": list(changes)}]}
    ).encode()


def _metadata() -> dict:
    return {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": PHONE_NUMBER_ID}


def messages_change(*messages: dict, name: str = "Sari Wulandari", wa_id: str = CUSTOMER_WA_ID) -> dict:
    return {
        "value": {
            "messaging_product": "whatsapp",
            "metadata": _metadata(),
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": list(messages),
        },
        "field": "messages",
    }


def inbound(wamid: str, *, at: datetime, wa_id: str = CUSTOMER_WA_ID, text: str = "Halo, pesanan saya?") -> dict:
    return {"from": wa_id, "id": wamid, "timestamp": unix(at), "text": {"body": text}, "type": "text"}


def interactive_reply(wamid: str, *, at: datetime, wa_id: str = CUSTOMER_WA_ID) -> dict:
    return {
        "context": {"from": DISPLAY_PHONE_NUMBER, "id": "wamid.HBgLNjI4MTEwMDAwMDAwFQIAERgSQzg4QjBBRTVBQjI1OUI0"},
        "from": wa_id,
        "id": wamid,
        "timestamp": unix(at),
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": "track-order", "title": "Lacak pesanan"}},
    }


def statuses_change(*statuses: dict) -> dict:
    return {
        "value": {"messaging_product": "whatsapp", "metadata": _metadata(), "statuses": list(statuses)},
        "field": "messages",
    }


def status(
    wamid: str,
    kind: str,
    *,
    at: datetime,
    recipient: str = CUSTOMER_WA_ID,
    category: str = "utility",
    billable: bool = True,
) -> dict:
    """A sent, delivered or read status with its conversation and pricing, as Meta sends them."""
    body = {"id": wamid, "status": kind, "timestamp": unix(at), "recipient_id": recipient}
    body["conversation"] = {"id": "c2f4b0b3d1e5f6a7b8c9d0e1f2a3b4c5", "origin": {"type": category}}
    if kind == "sent":
        body["conversation"]["expiration_timestamp"] = unix(at)
    body["pricing"] = {"billable": billable, "pricing_model": "CBP", "category": category}
    return body


def failed_status(wamid: str, *, at: datetime, code: int = 131047, title: str = "Re-engagement message") -> dict:
    return {
        "id": wamid,
        "status": "failed",
        "timestamp": unix(at),
        "recipient_id": CUSTOMER_WA_ID,
        "errors": [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": "Message failed to send because more than 24 hours have passed."},
            }
        ],
    }


def quality_update_change(*, event: str, limit: str) -> dict:
    return {
        "value": {
            "display_phone_number": DISPLAY_PHONE_NUMBER,
            "event": event,
            "current_limit": limit,
            "max_daily_conversations_per_business": limit,
        },
        "field": "phone_number_quality_update",
    }


def account_update_change(*, event: str) -> dict:
    return {"value": {"phone_number": DISPLAY_PHONE_NUMBER, "event": event}, "field": "account_update"}


def event(event_id: str, event_type: str, occurred_at: datetime | str, **data) -> dict:
    moment = occurred_at if isinstance(occurred_at, str) else occurred_at.isoformat()
    return {"id": event_id, "type": event_type, "occurredAt": moment, "data": data}


def batch(*events: dict) -> dict:
    return {"events": list(events)}
