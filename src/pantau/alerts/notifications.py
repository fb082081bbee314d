"""Telling people that a rule fired or resolved: a short e-mail in both languages over the SMTP settings, and a webhook
POST whose JSON body is signed with ALERT_WEBHOOK_SECRET (`X-Pantau-Signature: sha256=<hex HMAC-SHA256 of the raw
body>`), in Pantau's shape or Slack's ({"text": ...}), tried again on a connection error or a 5xx.

Each returns the outcome the event records ("sent ...", "failed: ...", "not sent: ..."). Neither the SMTP password nor
the webhook secret ever appears in an outcome or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

import httpx2

from pantau.core.config import Settings
from pantau.core.windows import iso_local
from pantau.models.enums import AlertComparison, AlertEventKind, AlertMetric
from pantau.reports.mail import MAIL_POLICY, DeliveryFailed, send_messages

log = logging.getLogger("pantau.alerts")

SIGNATURE_HEADER = "X-Pantau-Signature"
WEBHOOK_ATTEMPTS = 3
WEBHOOK_TIMEOUT_SECONDS = 10
# Seconds before the second and the third attempt.
WEBHOOK_BACKOFF_SECONDS = (1.0, 3.0)

METRIC_WORDS = {
    AlertMetric.delivery_rate: ("WhatsApp delivery rate (%)", "Tingkat pengiriman WhatsApp (%)"),
    AlertMetric.sla_compliance: ("SLA compliance (%)", "Kepatuhan SLA (%)"),
    AlertMetric.queue_depth: ("Messages queued", "Pesan dalam antrean"),
    AlertMetric.longest_wait_seconds: ("Longest customer wait (s)", "Tunggu pelanggan terlama (dtk)"),
    AlertMetric.failed_messages: ("Failed messages", "Pesan gagal"),
    AlertMetric.session_disconnected: ("WhatsApp numbers disconnected", "Nomor WhatsApp terputus"),
    AlertMetric.session_quality: (
        "Lowest WhatsApp quality (3 green, 1 red)",
        "Kualitas WhatsApp terendah (3 hijau, 1 merah)",
    ),
    AlertMetric.agents_online: ("Agents online", "Agen daring"),
}
KIND_WORDS = {
    AlertEventKind.fired: ("Alert firing", "Peringatan aktif"),
    AlertEventKind.resolved: ("Alert resolved", "Peringatan selesai"),
}
COMPARISON_WORDS = {AlertComparison.below: ("below", "di bawah"), AlertComparison.above: ("above", "di atas")}


@dataclass(frozen=True)
class Notice:
    """What a notification says: which rule, what happened, the value, when."""

    rule_id: int
    metric: AlertMetric
    team_id: str | None
    comparison: AlertComparison
    threshold: float
    window_seconds: int
    for_seconds: int
    kind: AlertEventKind
    value: float | None
    at: datetime

    def line(self, language: int, settings: Settings) -> str:
        """One sentence; language 0 is English, 1 Indonesian."""
        scope = (
            ("organisation", "organisasi")[language]
            if self.team_id is None
            else f"{('team', 'tim')[language]} {self.team_id}"
        )
        value = ("no data", "tidak ada data")[language] if self.value is None else f"{self.value:g}"
        return (
            f"{KIND_WORDS[self.kind][language]}: {METRIC_WORDS[self.metric][language]} = {value} "
            f"({COMPARISON_WORDS[self.comparison][language]} {self.threshold:g}; {scope}; "
            f"{iso_local(self.at.replace(microsecond=0), settings.zone)})"
        )

    def payload(self, settings: Settings) -> dict:
        return {
            "event": self.kind.value,
            "ruleId": self.rule_id,
            "metric": self.metric.value,
            "teamId": self.team_id,
            "comparison": self.comparison.value,
            "threshold": self.threshold,
            "windowSeconds": self.window_seconds,
            "forSeconds": self.for_seconds,
            "value": self.value,
            "at": iso_local(self.at.replace(microsecond=0), settings.zone),
            "text": self.line(0, settings),
        }


def send_email(settings: Settings, notice: Notice, recipients: list[str]) -> str | None:
    """Mail each recipient; the outcome, or None when the rule mails nobody."""
    if not recipients:
        return None
    if not settings.smtp_configured:
        return "not sent: SMTP_HOST is not set"
    english, indonesian = notice.line(0, settings), notice.line(1, settings)
    messages = []
    for recipient in recipients:
        message = EmailMessage(policy=MAIL_POLICY)
        message["Subject"] = f"[Pantau] {english}"[:250]
        message["From"] = settings.smtp_from
        message["To"] = recipient
        message["Message-ID"] = make_msgid(domain=parseaddr(settings.smtp_from)[1].rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(f"{english}\n\n{indonesian}\n\nPantau: {settings.public_url}/ (rule {notice.rule_id})\n")
        messages.append(message)
    sent: list[str] = []
    try:
        send_messages(settings, messages, sent.append)
    except DeliveryFailed as exc:
        return f"failed after {len(sent)} of {len(recipients)}: {exc}"[:1000]
    return f"sent to {len(sent)}"


def signature(secret: str, body: bytes) -> str:
    """The value of X-Pantau-Signature for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(settings: Settings, notice: Notice, slack: bool) -> bytes:
    content = {"text": notice.line(0, settings)} if slack else notice.payload(settings)
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def send_webhook(
    settings: Settings,
    notice: Notice,
    url: str | None,
    slack: bool,
    *,
    pause=time.sleep,
) -> str | None:
    """POST the signed body; up to WEBHOOK_ATTEMPTS tries on a connection error or a 5xx. The outcome, or None when
    the rule has no webhook."""
    if url is None:
        return None
    secret = settings.alert_webhook_secret.get_secret_value()
    if not secret:
        return "not sent: ALERT_WEBHOOK_SECRET is not set"
    body = webhook_body(settings, notice, slack)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body)}
    problem = ""
    for attempt in range(WEBHOOK_ATTEMPTS):
        if attempt:
            pause(WEBHOOK_BACKOFF_SECONDS[attempt - 1])
        try:
            with httpx2.Client(timeout=WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False) as client:
                response = client.post(url, content=body, headers=headers)
        except httpx2.TransportError as exc:
            problem = type(exc).__name__
            log.warning("alert webhook for rule %s: attempt %s failed (%s)", notice.rule_id, attempt + 1, problem)
            continue
        if response.status_code < 300:
            return f"sent: HTTP {response.status_code}" + (f" after {attempt + 1} attempts" if attempt else "")
        problem = f"HTTP {response.status_code}"
        if response.status_code < 500:
            return f"failed: {problem} (not retried)"
        log.warning("alert webhook for rule %s: attempt %s answered %s", notice.rule_id, attempt + 1, problem)
    return f"failed after {WEBHOOK_ATTEMPTS} attempts: {problem}"
