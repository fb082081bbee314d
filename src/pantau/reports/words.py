"""The summary's words in Indonesian and English, and how numbers are written in each."""

from __future__ import annotations

from datetime import datetime

from pantau.web.i18n import Language

WORDS: dict[str, dict[Language, str]] = {
    "title": {"en": "Executive summary", "id": "Ringkasan eksekutif"},
    "range": {"en": "Range", "id": "Rentang"},
    "compared": {"en": "Compared with", "id": "Dibandingkan dengan"},
    "scope": {"en": "Scope", "id": "Cakupan"},
    "scope.all": {"en": "The whole organisation", "id": "Seluruh organisasi"},
    "scope.team": {"en": "Team: {name}", "id": "Tim: {name}"},
    "scope.own": {"en": "Own conversations of {name}", "id": "Percakapan milik {name}"},
    "generated": {"en": "Generated", "id": "Dibuat"},
    "page": {"en": "Page {page} of {pages}", "id": "Halaman {page} dari {pages}"},
    "no_data": {"en": "no data", "id": "tidak ada data"},
    "figure": {"en": "Figure", "id": "Angka"},
    "value": {"en": "Value", "id": "Nilai"},
    "previous": {"en": "Previous", "id": "Sebelumnya"},
    "change": {"en": "Change", "id": "Perubahan"},
    "trend": {"en": "Trend", "id": "Tren"},
    "trend.up": {"en": "up", "id": "naik"},
    "trend.down": {"en": "down", "id": "turun"},
    "trend.stable": {"en": "stable", "id": "stabil"},
    "kpi.title": {"en": "Today at a glance", "id": "Hari ini sekilas"},
    "kpi.activeConversations": {"en": "Active conversations", "id": "Percakapan aktif"},
    "kpi.avgResponseTime": {"en": "Average first response (s)", "id": "Rata-rata respons pertama (dtk)"},
    "kpi.whatsappDeliveryRate": {"en": "WhatsApp delivery rate (%)", "id": "Tingkat terkirim WhatsApp (%)"},
    "kpi.openTickets": {"en": "Open tickets", "id": "Tiket terbuka"},
    "kpi.messagesToday": {"en": "Messages today", "id": "Pesan hari ini"},
    "range.title": {"en": "Conversations in the range", "id": "Percakapan dalam rentang"},
    "conversations": {"en": "Conversations", "id": "Percakapan"},
    "resolved": {"en": "Resolved", "id": "Selesai"},
    "open": {"en": "Not resolved", "id": "Belum selesai"},
    "resolutionRate": {"en": "Resolution rate (%)", "id": "Tingkat penyelesaian (%)"},
    "slaCompliance": {"en": "SLA compliance (%)", "id": "Kepatuhan SLA (%)"},
    "slaCounts": {
        "en": "Within target / over / waiting",
        "id": "Dalam target / melewati / menunggu",
    },
    "chart.firstResponse": {"en": "First response times (conversations)", "id": "Waktu respons pertama (percakapan)"},
    "chart.volume": {"en": "Conversations over time", "id": "Percakapan dari waktu ke waktu"},
    "chart.automation": {"en": "Bot, hybrid and human conversations", "id": "Percakapan bot, hibrida dan manusia"},
    "agents.title": {"en": "Top and bottom agents", "id": "Agen teratas dan terbawah"},
    "agents.top": {"en": "Top", "id": "Teratas"},
    "agents.bottom": {"en": "Bottom", "id": "Terbawah"},
    "agents.none": {"en": "No agents in this scope.", "id": "Tidak ada agen dalam cakupan ini."},
    "agent.rank": {"en": "#", "id": "#"},
    "agent.name": {"en": "Agent", "id": "Agen"},
    "agent.chats": {"en": "Chats", "id": "Obrolan"},
    "agent.resolutionRate": {"en": "Resolved (%)", "id": "Selesai (%)"},
    "agent.avgResponse": {"en": "First response (s)", "id": "Respons pertama (dtk)"},
    "agent.score": {"en": "Score", "id": "Skor"},
    "whatsapp.title": {"en": "WhatsApp health", "id": "Kesehatan WhatsApp"},
    "whatsapp.funnel": {
        "en": "Queued / sent / delivered / read / failed",
        "id": "Antre / terkirim / diterima / dibaca / gagal",
    },
    "whatsapp.deliveryRate": {"en": "Delivery rate (%)", "id": "Tingkat terkirim (%)"},
    "whatsapp.readRate": {"en": "Read rate (%)", "id": "Tingkat dibaca (%)"},
    "whatsapp.sessions": {"en": "Numbers connected / total", "id": "Nomor tersambung / total"},
    "whatsapp.queue": {"en": "Queue depth", "id": "Antrean"},
    "whatsapp.topFailure": {"en": "Most frequent failure", "id": "Kegagalan terbanyak"},
    "automation.title": {"en": "Automation", "id": "Otomasi"},
    "automation.split": {"en": "Bot only / hybrid / human only", "id": "Hanya bot / hibrida / hanya manusia"},
    "automation.botOnly": {"en": "Bot only", "id": "Hanya bot"},
    "automation.hybrid": {"en": "Bot, then an agent", "id": "Bot, lalu agen"},
    "automation.humanOnly": {"en": "Agents only", "id": "Hanya agen"},
    "automation.botShare": {"en": "Handled by the bot alone (%)", "id": "Ditangani bot saja (%)"},
    "automation.autoReply": {"en": "Auto-reply success (%)", "id": "Keberhasilan balasan otomatis (%)"},
    "automation.escalation": {"en": "Escalation rate (%)", "id": "Tingkat eskalasi (%)"},
    "automation.dropOff": {"en": "Drop-off rate (%)", "id": "Tingkat putus (%)"},
    "automation.timeSaved": {"en": "Agent time saved (h)", "id": "Waktu agen dihemat (jam)"},
    "business.title": {"en": "Business", "id": "Bisnis"},
    "business.leads": {"en": "Leads generated", "id": "Prospek dihasilkan"},
    "business.won": {"en": "Leads won", "id": "Prospek dimenangkan"},
    "business.revenue": {"en": "Revenue attributed", "id": "Pendapatan yang diatribusikan"},
    "business.ticketsResolved": {"en": "Tickets resolved", "id": "Tiket diselesaikan"},
    "business.cost": {"en": "Cost per conversation", "id": "Biaya per percakapan"},
    "business.repeat": {"en": "Repeat customers (%)", "id": "Pelanggan berulang (%)"},
    "management.hidden": {
        "en": "WhatsApp, automation and business figures are not part of this scope.",
        "id": "Angka WhatsApp, otomasi dan bisnis tidak termasuk cakupan ini.",
    },
    "definitions.title": {"en": "Definitions", "id": "Definisi"},
}

DEFINITIONS: list[tuple[str, dict[Language, str]]] = [
    (
        "kpi.activeConversations",
        {
            "en": "Conversations whose status is open or pending now, compared with 24 hours ago.",
            "id": "Percakapan berstatus open atau pending saat ini, dibandingkan dengan 24 jam lalu.",
        },
    ),
    (
        "kpi.avgResponseTime",
        {
            "en": "Mean time from the customer's first message (or the bot's hand-off) to the first agent reply, "
            "over today's conversations that need a human.",
            "id": "Rata-rata waktu dari pesan pertama pelanggan (atau serah terima bot) sampai balasan agen pertama, "
            "atas percakapan hari ini yang memerlukan manusia.",
        },
    ),
    (
        "kpi.whatsappDeliveryRate",
        {
            "en": "(delivered + read) / (sent + delivered + read + failed) of outbound messages.",
            "id": "(diterima + dibaca) / (terkirim + diterima + dibaca + gagal) dari pesan keluar.",
        },
    ),
    (
        "conversations",
        {
            "en": "Conversations created in the range; compared with the same span just before it.",
            "id": "Percakapan yang dibuat dalam rentang; dibandingkan dengan rentang yang sama tepat sebelumnya.",
        },
    ),
    (
        "slaCompliance",
        {
            "en": "Share of answered conversations whose first response was within the SLA target.",
            "id": "Porsi percakapan terjawab yang respons pertamanya dalam target SLA.",
        },
    ),
    (
        "agent.score",
        {
            "en": "Productivity score 0-100 from chats handled, resolution, response time and CSAT; rank 1 is best.",
            "id": "Skor produktivitas 0-100 dari obrolan, penyelesaian, waktu respons dan CSAT; peringkat 1 terbaik.",
        },
    ),
    (
        "automation.escalation",
        {
            "en": "Bot-engaged conversations that reached a human, over all bot-engaged conversations.",
            "id": "Percakapan dengan bot yang berlanjut ke manusia, dari semua percakapan dengan bot.",
        },
    ),
    (
        "business.revenue",
        {
            "en": "Sum of the value of leads won in the range.",
            "id": "Jumlah nilai prospek yang dimenangkan dalam rentang.",
        },
    ),
]


def word(language: Language, key: str, **values: object) -> str:
    return WORDS[key][language].format(**values)


def number(language: Language, value: float | int | None, decimals: int = 1) -> str:
    """A figure as people of the language write it: 1,234.5 in English, 1.234,5 in Indonesian; null is "no data"."""
    if value is None:
        return word(language, "no_data")
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.{decimals}f}"
    if language == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def money(language: Language, value: float | None, currency: str) -> str:
    return word(language, "no_data") if value is None else f"{currency} {number(language, value, 2)}"


def moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M %Z").strip()
