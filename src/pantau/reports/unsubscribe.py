"""Signed one-click unsubscribe links (RFC 8058): a token naming a schedule and an address, with an HMAC-SHA256 of
both keyed with SECRET_KEY. Only Pantau can make one; a changed schedule id or address no longer matches."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

from pantau.core.config import Settings

_PURPOSE = b"pantau report unsubscribe\0"


class InvalidUnsubscribeToken(ValueError):
    pass


@dataclass(frozen=True)
class Unsubscription:
    schedule_id: int
    address: str


def _signature(settings: Settings, payload: bytes) -> str:
    digest = hmac.new(settings.secret_key.encode(), _PURPOSE + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def unsubscribe_token(settings: Settings, schedule_id: int, address: str) -> str:
    payload = f"{schedule_id}:{address}".encode()
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{encoded}.{_signature(settings, payload)}"


def unsubscribe_url(settings: Settings, schedule_id: int, address: str) -> str:
    token = unsubscribe_token(settings, schedule_id, address)
    return f"{settings.public_url}/api/reports/unsubscribe?token={quote(token)}"


def read_unsubscribe_token(settings: Settings, token: str) -> Unsubscription:
    """The schedule and address the token names; InvalidUnsubscribeToken unless Pantau signed exactly these."""
    encoded, dot, signature = token.partition(".")
    if not dot:
        raise InvalidUnsubscribeToken("token: not an unsubscribe token")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        raise InvalidUnsubscribeToken("token: not an unsubscribe token") from None
    if not hmac.compare_digest(_signature(settings, payload), signature):
        raise InvalidUnsubscribeToken("token: the signature does not match; use the link from the mail as it is")
    schedule_id, _, address = payload.decode("utf-8", "replace").partition(":")
    if not schedule_id.isdigit() or not address:
        raise InvalidUnsubscribeToken("token: not an unsubscribe token")
    return Unsubscription(int(schedule_id), address)
