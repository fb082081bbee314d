"""The summary as an XLSX workbook for scheduled reports: a sheet of figures (value, previous, change, trend), a sheet
of every agent's row, and an "About" sheet (range, compared period, time zone, scope, generated at, definitions).
Numbers stay numbers; text a spreadsheet would run as a formula (= + - @, a tab) is neutralised."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from pantau.dashboard.schemas import Comparison
from pantau.reports.figures import SUMMARY_PARTS, SummaryFigures
from pantau.reports.pdf import scope_words
from pantau.reports.words import DEFINITIONS, word
from pantau.web.i18n import Language

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    """Text that would start a formula gets a leading apostrophe; numbers and None pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _figure_rows(figures: SummaryFigures, language: Language, parts: Sequence[str]) -> list[list[object]]:
    def compared(key: str, figure: Comparison) -> list[object]:
        trend = word(language, f"trend.{figure.trend}")
        return [word(language, key), figure.value, figure.previous, figure.change, trend]

    def plain(key: str, value: object) -> list[object]:
        return [word(language, key), value, None, None, None]

    rows: list[list[object]] = []
    if "kpi" in parts:
        kpi = figures.kpi
        rows += [
            compared("kpi.activeConversations", kpi.active_conversations),
            compared("kpi.avgResponseTime", kpi.avg_response_time),
            compared("kpi.whatsappDeliveryRate", kpi.whatsapp_delivery_rate),
            compared("kpi.openTickets", kpi.open_tickets),
            compared("kpi.messagesToday", kpi.messages_today),
        ]
    if "conversations" in parts:
        conversations = figures.conversations
        rows += [
            compared("conversations", conversations.totals),
            plain("resolved", conversations.resolved_vs_open.resolved),
            plain("open", conversations.resolved_vs_open.open),
            plain("resolutionRate", conversations.resolved_vs_open.percentage),
            plain("slaCompliance", conversations.sla_compliance.percentage),
        ]
    if "whatsapp" in parts and figures.whatsapp is not None:
        funnel = figures.whatsapp.message_funnel
        rows += [
            plain("whatsapp.deliveryRate", funnel.delivery_rate),
            plain("whatsapp.readRate", funnel.read_rate),
            plain("whatsapp.queue", figures.whatsapp.queue_metrics.depth),
        ]
    if "automation" in parts and figures.automation is not None:
        automation = figures.automation
        rows += [
            plain("automation.botShare", automation.chatbot_vs_human.percentage),
            plain("automation.autoReply", automation.auto_reply_success.percentage),
            plain("automation.escalation", automation.escalation_rate.percentage),
            plain("automation.dropOff", automation.drop_off_rate.percentage),
            plain("automation.timeSaved", automation.time_saved.hours),
        ]
    if "business" in parts and figures.business is not None:
        business = figures.business
        leads = business.leads_generated
        rows += [
            compared(
                "business.leads",
                Comparison(value=leads.total, previous=leads.previous, change=leads.change, trend=leads.trend),
            ),
            plain("business.won", leads.won),
            plain("business.revenue", business.revenue_attributed.amount),
            plain("business.ticketsResolved", business.tickets_resolved.in_range),
            plain("business.cost", business.cost_per_conversation.amount),
            plain("business.repeat", business.repeat_customer_rate.rate),
        ]
    return rows


def render_workbook(
    figures: SummaryFigures, language: Language, generated_at: datetime, parts: Sequence[str] = SUMMARY_PARTS
) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = word(language, "title")[:31]
    summary.append([word(language, key) for key in ("figure", "value", "previous", "change", "trend")])
    for row in _figure_rows(figures, language, parts):
        summary.append([safe_text(cell) for cell in row])

    if "agents" in parts:
        agents = workbook.create_sheet(word(language, "agent.name")[:31])
        columns = (
            "agent.rank",
            "agent.name",
            "agent.chats",
            "agent.resolutionRate",
            "agent.avgResponse",
            "agent.score",
        )
        agents.append([word(language, key) for key in columns])
        for agent in sorted(figures.agents.agent_metrics, key=lambda row: row.rank):
            agents.append(
                [
                    agent.rank,
                    safe_text(agent.agent_name),
                    agent.chats_handled,
                    agent.resolution_rate,
                    agent.avg_response_time,
                    agent.productivity_score,
                ]
            )

    window, zone = figures.window, figures.window.zone
    about = workbook.create_sheet("About")

    def span(start: datetime, end: datetime) -> str:
        return f"{start.astimezone(zone):%Y-%m-%d %H:%M} – {end.astimezone(zone):%Y-%m-%d %H:%M}"

    for label, value in (
        (word(language, "range"), span(window.start, window.effective_end)),
        (word(language, "compared"), span(window.previous_start, window.previous_end)),
        ("TIMEZONE", zone.key),
        (word(language, "scope"), scope_words(language, figures)),
        (word(language, "generated"), generated_at.astimezone(zone).isoformat(timespec="seconds")),
    ):
        about.append([label, safe_text(value)])
    about.append([])
    about.append([word(language, "definitions.title")])
    for key, definition in DEFINITIONS:
        about.append([word(language, key), definition[language]])

    for sheet in workbook.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 38
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
