"""A report's mail: subject, a plain and an HTML body, the PDF attached when asked for, and the unsubscribe headers
(RFC 2369 List-Unsubscribe, RFC 8058 one-click); and sending mails over SMTP with STARTTLS (SMTP_* settings)."""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from html import escape

from pantau.core.config import Settings
from pantau.reports.figures import SUMMARY_PARTS, SummaryFigures
from pantau.reports.pdf import scope_words
from pantau.reports.words import number, word
from pantau.web.i18n import Language

MAIL_WORDS: dict[str, dict[Language, str]] = {
    "subject": {"en": "Pantau report {first} – {last}: {scope}", "id": "Laporan Pantau {first} – {last}: {scope}"},
    "attached.pdf": {"en": "The executive summary is attached as a PDF.", "id": "Ringkasan eksekutif terlampir (PDF)."},
    "attached.xlsx": {
        "en": "The summary's figures are attached as a workbook (XLSX).",
        "id": "Angka ringkasan terlampir sebagai buku kerja (XLSX).",
    },
    "unsubscribe": {
        "en": "You receive this report because {owner} scheduled it for you. Unsubscribe: {link}",
        "id": "Anda menerima laporan ini karena {owner} menjadwalkannya untuk Anda. Berhenti berlangganan: {link}",
    },
    "unsubscribe.link": {"en": "Unsubscribe", "id": "Berhenti berlangganan"},
}


@dataclass(frozen=True)
class Attachment:
    kind: str  # pdf or xlsx: the file's extension
    media_type: str
    content: bytes


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Header lines are not folded: a folded or encoded List-Unsubscribe URL is one no mail program can follow. (SMTP allows
# 998 characters a line; an unsubscribe URL is under 200.)
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


class DeliveryFailed(Exception):
    """The SMTP server refused or could not be reached; the message is what it said (never the password)."""


def _say(language: Language, key: str, **values: object) -> str:
    return MAIL_WORDS[key][language].format(**values)


def headline_figures(
    figures: SummaryFigures, language: Language, parts: Sequence[str] = SUMMARY_PARTS
) -> list[tuple[str, str]]:
    """The main figures of the chosen parts, as the PDF writes them, for the mail's body."""
    rows: list[tuple[str, str]] = []
    if "kpi" in parts:
        rows += [
            ("kpi.activeConversations", number(language, figures.kpi.active_conversations.value)),
            ("kpi.openTickets", number(language, figures.kpi.open_tickets.value)),
        ]
    if "conversations" in parts:
        conversations = figures.conversations
        rows += [
            ("conversations", number(language, conversations.totals.value)),
            ("resolved", number(language, conversations.resolved_vs_open.resolved)),
            ("resolutionRate", number(language, conversations.resolved_vs_open.percentage)),
            ("slaCompliance", number(language, conversations.sla_compliance.percentage)),
        ]
    ranked = sorted(figures.agents.agent_metrics, key=lambda agent: agent.rank)
    if "agents" in parts and ranked:
        rows.append(("agents.top", f"{ranked[0].agent_name} ({number(language, ranked[0].productivity_score)})"))
    if "whatsapp" in parts and figures.whatsapp is not None:
        rows.append(("whatsapp.deliveryRate", number(language, figures.whatsapp.message_funnel.delivery_rate)))
    if "automation" in parts and figures.automation is not None:
        rows += [
            ("automation.botShare", number(language, figures.automation.chatbot_vs_human.percentage)),
            ("automation.escalation", number(language, figures.automation.escalation_rate.percentage)),
        ]
    if "business" in parts and figures.business is not None:
        rows += [
            ("business.leads", number(language, figures.business.leads_generated.total)),
            ("business.won", number(language, figures.business.leads_generated.won)),
        ]
    return [(word(language, key), value) for key, value in rows]


def report_message(
    settings: Settings,
    *,
    figures: SummaryFigures,
    language: Language,
    dates: tuple[date, date],
    recipient: str,
    owner_name: str,
    unsubscribe_link: str,
    attachment: Attachment | None,
    parts: Sequence[str] = SUMMARY_PARTS,
) -> EmailMessage:
    first, last = (day.isoformat() for day in dates)
    scope = scope_words(language, figures)
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = _say(language, "subject", first=first, last=last, scope=scope)
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Message-ID"] = make_msgid(domain=parseaddr(settings.smtp_from)[1].rpartition("@")[2] or None)
    message["List-Unsubscribe"] = f"<{unsubscribe_link}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"

    rows = headline_figures(figures, language, parts)
    footer = _say(language, "unsubscribe", owner=owner_name, link=unsubscribe_link)
    plain = [f"Pantau · {word(language, 'title')}", f"{word(language, 'range')}: {first} – {last}", scope, ""]
    plain += [f"{label}: {value}" for label, value in rows]
    if attachment is not None:
        plain += ["", _say(language, f"attached.{attachment.kind}")]
    message.set_content("\n".join([*plain, "", footer]) + "\n")

    table = "".join(
        f'<tr><td style="padding:4px 12px 4px 0">{escape(label)}</td>'
        f'<td style="padding:4px 0;text-align:right"><b>{escape(value)}</b></td></tr>'
        for label, value in rows
    )
    attached = f"<p>{escape(_say(language, f'attached.{attachment.kind}'))}</p>" if attachment is not None else ""
    html = (
        f'<html><body style="font-family:sans-serif;color:#1f2933">'
        f'<h2 style="color:#0b7a75">Pantau · {escape(word(language, "title"))}</h2>'
        f"<p>{escape(word(language, 'range'))}: {first} – {last}<br>{escape(scope)}</p>"
        f"<table>{table}</table>{attached}"
        f'<p style="color:#616e7c;font-size:12px">'
        f"{escape(_say(language, 'unsubscribe', owner=owner_name, link=''))}"
        f'<a href="{escape(unsubscribe_link)}">{escape(_say(language, "unsubscribe.link"))}</a></p>'
        f"</body></html>"
    )
    message.add_alternative(html, subtype="html")
    if attachment is not None:
        maintype, subtype = attachment.media_type.split("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=f"pantau-summary-{first}-{last}.{attachment.kind}",
        )
    return message


def send_messages(settings: Settings, messages: list[EmailMessage], on_sent: Callable[[str], None]) -> None:
    """Send each message over one SMTP connection, calling `on_sent(recipient)` after each one the server accepted;
    DeliveryFailed at the first failure (the ones before it stay sent)."""
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            for message in messages:
                smtp.send_message(message)
                on_sent(message["To"])
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(_describe(exc)) from None


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"SMTP {exc.smtp_code}: {text}"[:900]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "SMTP: recipients refused: " + ", ".join(sorted(exc.recipients))[:800]
    return f"{type(exc).__name__}: {exc}"[:900]
