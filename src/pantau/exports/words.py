"""The words of the section exports: a title for every key of the sections' JSON, in English and Indonesian, used
for column headers, figure names and sheet names. A figure inside an object is named by its path's titles
("Resolved vs open · Resolved").

Where the page has a word for the same figure, the title is the page's word, read from its dictionaries
(`PAGE_WORDS`), so the files and the page cannot drift apart; `TITLES` holds the rest. Enumerated values (a
first-response bucket, an agent's status, a workload, ...) are written as the page labels them (`VALUE_WORDS`), and
sheets have short names of their own where a title would not fit Excel's 31 characters (`SHEET_TITLES`)."""

from __future__ import annotations

from typing import Literal

from pantau.web.i18n import dictionary

Language = Literal["id", "en"]

# key: (English, Indonesian)
TITLES: dict[str, tuple[str, str]] = {
    "active": ("Active", "Aktif"),
    "activeConversations": ("Active conversations", "Percakapan aktif"),
    "activeSessions": ("WhatsApp sessions", "Sesi WhatsApp"),
    "activeTime": ("Time online (s)", "Waktu online (dtk)"),
    "agentId": ("Agent id", "Id agen"),
    "agentMetrics": ("Agents", "Agen"),
    "agentName": ("Agent", "Agen"),
    "amount": ("Amount", "Jumlah"),
    "autoReplySuccess": ("Auto-reply success", "Keberhasilan balasan otomatis"),
    "businessTime": ("In business hours", "Dalam jam kerja"),
    "avgHandlingTime": ("Average handling time (s)", "Rata-rata waktu penanganan (dtk)"),
    "avgQueueWaitSeconds": ("Average queue wait (s)", "Rata-rata tunggu antrean (dtk)"),
    "avgResponseTime": ("Average response time (s)", "Rata-rata waktu respons (dtk)"),
    "avgResponseTimeOverTime": ("Response time over time", "Waktu respons dari waktu ke waktu"),
    "avgSeconds": ("Average response time (s)", "Rata-rata waktu respons (dtk)"),
    "avgWaitTime": ("Wait time", "Waktu tunggu"),
    "away": ("Away", "Away"),
    "balanced": ("Balanced", "Seimbang"),
    "basisWeeks": ("Weeks of history", "Minggu riwayat"),
    "belowThreshold": ("Below threshold", "Di bawah ambang"),
    "botOnly": ("Bot-only", "Hanya bot"),
    "broadcastId": ("Broadcast id", "Id siaran"),
    "broadcastName": ("Broadcast", "Broadcast"),
    "broadcastSuccessRate": ("Broadcast success", "Keberhasilan broadcast"),
    "broadcasts": ("Broadcasts", "Broadcast"),
    "bucket": ("Bucket", "Kelompok"),
    "byPriority": ("By priority", "Menurut prioritas"),
    "byStatus": ("By status", "Menurut status"),
    "campaignConversion": ("Campaign conversion", "Konversi kampanye"),
    "campaignId": ("Campaign id", "Id kampanye"),
    "campaignName": ("Campaign", "Kampanye"),
    "change": ("Change (%)", "Perubahan (%)"),
    "chatbot": ("Chatbot", "Chatbot"),
    "chatbotVsHuman": ("Chatbot vs human", "Chatbot vs manusia"),
    "chatsHandled": ("Chats handled", "Chat ditangani"),
    "compliant": ("Compliant", "Sesuai"),
    "conversations": ("Conversations", "Percakapan"),
    "conversationsPerAgent": ("Conversations per agent", "Percakapan per agen"),
    "conversionRate": ("Conversion rate (%)", "Tingkat konversi (%)"),
    "converted": ("Converted", "Terkonversi"),
    "costPerConversation": ("Cost per conversation", "Biaya per percakapan"),
    "count": ("Count", "Jumlah"),
    "csat": ("CSAT", "CSAT"),
    "csatComparison": ("CSAT by handling", "CSAT menurut penanganan"),
    "currency": ("Currency", "Mata uang"),
    "customerLifetimeValue": ("Customer lifetime value", "Nilai seumur hidup pelanggan"),
    "customers": ("Customers", "Pelanggan"),
    "dayOfWeek": ("Day of week", "Hari dalam minggu"),
    "delivered": ("Delivered", "Terkirim ke perangkat"),
    "deliveryAlert": ("Delivery alert", "Peringatan pengiriman"),
    "deliveryRate": ("Delivery rate (%)", "Tingkat pengiriman (%)"),
    "depth": ("Queue depth", "Panjang antrean"),
    "displayName": ("Display name", "Nama tampilan"),
    "dropOffRate": ("Drop-off", "Putus di tengah"),
    "dropped": ("Dropped", "Putus"),
    "end": ("End", "Akhir"),
    "error": ("Error", "Galat"),
    "errorCode": ("Error code", "Kode galat"),
    "escalated": ("Escalated", "Dieskalasi"),
    "escalationRate": ("Escalation rate", "Tingkat eskalasi"),
    "estimatedCost": ("Estimated cost saved", "Perkiraan biaya dihemat"),
    "expectedCount": ("Expected count", "Perkiraan jumlah"),
    "failed": ("Failed", "Gagal"),
    "failedMessages": ("Failed messages", "Pesan gagal"),
    "failureReasons": ("Failure reasons", "Penyebab kegagalan"),
    "figure": ("Figure", "Angka"),
    "figures": ("Figures", "Angka"),
    "firstResponseDistribution": ("First response distribution", "Sebaran respons pertama"),
    "formatted": ("h:mm:ss", "j:mm:dd"),
    "handlingTime": ("Handling time", "Waktu penanganan"),
    "heatmap": ("Heatmap", "Peta panas"),
    "high": ("High", "Tinggi"),
    "hour": ("Hour", "Jam"),
    "hours": ("Hours saved", "Jam dihemat"),
    "human": ("Human", "Manusia"),
    "humanOnly": ("Human-only", "Hanya manusia"),
    "hybrid": ("Hybrid", "Hibrida"),
    "id": ("Id", "Id"),
    "idleTime": ("Time away (s)", "Waktu away (dtk)"),
    "inbound": ("Inbound per conversation", "Masuk per percakapan"),
    "inboundMessages": ("Inbound messages", "Pesan masuk"),
    "inRange": ("In the range", "Dalam rentang"),
    "incomingChatsPerHour": ("Incoming chats", "Chat masuk"),
    "intent": ("Intent", "Intent"),
    "lastSeen": ("Last seen", "Terakhir terlihat"),
    "leadsGenerated": ("Leads", "Prospek"),
    "low": ("Low", "Rendah"),
    "median": ("Median (s)", "Median (dtk)"),
    "medium": ("Medium", "Sedang"),
    "messageFunnel": ("Message funnel", "Corong pesan"),
    "messagesPerConversation": ("Messages per conversation", "Pesan per percakapan"),
    "messagesSent": ("Messages sent", "Pesan dikirim"),
    "messagesToday": ("Messages today", "Pesan hari ini"),
    "minutesPerConversation": ("Minutes per conversation", "Menit per percakapan"),
    "month": ("Month", "Bulan"),
    "name": ("Name", "Nama"),
    "new": ("New", "Baru"),
    "newVsReturning": ("New vs returning", "Baru vs kembali"),
    "nextPeakForecast": ("Next peak forecast", "Perkiraan puncak berikutnya"),
    "nonCompliant": ("Non-compliant", "Tidak sesuai"),
    "offPeak": ("Off-peak wait (s)", "Tunggu di luar jam sibuk (dtk)"),
    "offline": ("Offline", "Offline"),
    "oldestQueuedSeconds": ("Oldest queued (s)", "Antrean tertua (dtk)"),
    "online": ("Online", "Online"),
    "open": ("Open", "Terbuka"),
    "openLoad": ("Open conversations", "Percakapan terbuka"),
    "openTickets": ("Open tickets", "Tiket terbuka"),
    "outbound": ("Outbound per conversation", "Keluar per percakapan"),
    "outboundMessages": ("Outbound messages", "Pesan keluar"),
    "overloaded": ("Overloaded", "Kelebihan beban"),
    "p90": ("90th percentile (s)", "Persentil ke-90 (dtk)"),
    "peak": ("Peak-hour wait (s)", "Tunggu di jam sibuk (dtk)"),
    "peakHour": ("Peak hour", "Jam tersibuk"),
    "peakHours": ("Peak hours", "Jam sibuk"),
    "pending": ("Pending", "Tertunda"),
    "percentage": ("Percentage", "Persentase"),
    "percentageReturning": ("Returning (%)", "Kembali (%)"),
    "phoneNumber": ("Phone number", "Nomor telepon"),
    "previous": ("Previous", "Sebelumnya"),
    "processingRate": ("Processing rate (per minute)", "Laju pemrosesan (per menit)"),
    "productivityScore": ("Productivity score", "Skor produktivitas"),
    "qualityRating": ("Quality rating", "Peringkat kualitas"),
    "queueMetrics": ("Queue", "Antrean"),
    "queued": ("Queued", "Dalam antrean"),
    "rank": ("Rank", "Peringkat"),
    "rate": ("Rate (%)", "Tingkat (%)"),
    "read": ("Read", "Dibaca"),
    "readRate": ("Read rate (%)", "Tingkat dibaca (%)"),
    "recipient": ("Recipient", "Penerima"),
    "repeatCustomerRate": ("Repeat customers", "Pelanggan berulang"),
    "repeatCustomers": ("Came back", "Datang kembali"),
    "replied": ("Replied", "Dibalas"),
    "resolutionRate": ("Resolution rate (%)", "Tingkat penyelesaian (%)"),
    "resolved": ("Resolved", "Selesai"),
    "resolvedVsOpen": ("Resolved vs open", "Selesai vs terbuka"),
    "responded": ("Responded", "Merespons"),
    "returning": ("Returning", "Kembali"),
    "revenueAttributed": ("Revenue attributed", "Pendapatan yang diatribusikan"),
    "savings": ("Savings", "Penghematan"),
    "sent": ("Sent", "Dikirim"),
    "sessionId": ("Session id", "Id sesi"),
    "slaCompliance": ("SLA compliance", "Kepatuhan SLA"),
    "slaStatus": ("SLA status", "Status SLA"),
    "slaTargetSeconds": ("SLA target (s)", "Target SLA (dtk)"),
    "start": ("Start", "Awal"),
    "status": ("Status", "Status"),
    "statusDuration": ("Time in status (s)", "Lama di status (dtk)"),
    "statusSummary": ("Status summary", "Ringkasan status"),
    "successRate": ("Success rate (%)", "Tingkat keberhasilan (%)"),
    "successful": ("Successful", "Berhasil"),
    "targetSeconds": ("Target (s)", "Target (dtk)"),
    "teamId": ("Team id", "Id tim"),
    "threshold": ("Threshold (%)", "Ambang (%)"),
    "ticketsResolved": ("Tickets resolved", "Tiket diselesaikan"),
    "timeSaved": ("Time saved", "Waktu dihemat"),
    "timestamp": ("Time", "Waktu"),
    "today": ("Today", "Hari ini"),
    "topIntents": ("Top intents", "Intent teratas"),
    "total": ("Total", "Total"),
    "totalCost": ("Total cost", "Total biaya"),
    "totals": ("Conversations", "Percakapan"),
    "trend": ("Trend", "Tren"),
    "underutilized": ("Underutilised", "Kurang dimanfaatkan"),
    "urgent": ("Urgent", "Mendesak"),
    "value": ("Value", "Nilai"),
    "week": ("This week", "Minggu ini"),
    "whatsappDeliveryRate": ("WhatsApp delivery rate (%)", "Tingkat pengiriman WhatsApp (%)"),
    "won": ("Won", "Berhasil (won)"),
    "wonLeads": ("Won leads", "Prospek berhasil"),
    "workload": ("Workload", "Beban kerja"),
    "workloadDistribution": ("Workload distribution", "Sebaran beban kerja"),
    # The About sheet (range, compared period, scope and generated are the reports' words).
    "about": ("About", "Tentang"),
    "section": ("Section", "Bagian"),
    "timezone": ("Time zone", "Zona waktu"),
    "filters": ("Filters", "Filter"),
    "noFilter": ("none", "tidak ada"),
    "snapshots": ("Snapshots", "Snapshot"),
    "definitions": ("Definitions", "Definisi"),
    # The column beside an enumerated value holding its identifier.
    "code": ("code", "kode"),
}

# The page's dictionary key for a figure the page names: by `parent.key` (the key inside the object or list it
# belongs to, which wins) or by the key alone wherever it appears.
PAGE_WORDS: dict[str, str] = {
    # conversation-effectiveness
    "conversationsPerAgent": "ce.perAgent",
    "slaCompliance": "ce.slaCompliance",
    "compliant": "ce.compliant",
    "nonCompliant": "ce.nonCompliant",
    "slaCompliance.pending": "ce.pending",
    "resolvedVsOpen": "ce.resolvedVsOpen",
    "resolvedVsOpen.resolved": "ce.resolved",
    "resolvedVsOpen.open": "ce.open",
    "firstResponseDistribution": "ce.distribution",
    "handlingTime": "ce.handling",
    "handlingTime.avgSeconds": "ce.avgHandling",
    "handlingTime.count": "ce.handled",
    "messagesPerConversation": "ce.messages",
    "messagesPerConversation.inbound": "ce.inboundPerConversation",
    "messagesPerConversation.outbound": "ce.outboundPerConversation",
    "messagesPerConversation.inboundMessages": "ce.inboundMessages",
    "messagesPerConversation.outboundMessages": "ce.outboundMessages",
    # kpi
    "activeConversations": "kpi.activeConversations",
    "openTickets": "kpi.openTickets",
    "messagesToday": "kpi.messagesToday",
    "byStatus.open": "status.open",
    "byStatus.pending": "status.pending",
    "byPriority.urgent": "priority.urgent",
    "byPriority.high": "priority.high",
    "byPriority.medium": "priority.medium",
    "byPriority.low": "priority.low",
    # whatsapp-performance
    "messageFunnel": "wa.funnel",
    "queued": "wa.queued",
    "sent": "wa.sent",
    "delivered": "wa.delivered",
    "read": "wa.read",
    "failed": "wa.failed",
    "replied": "wa.replied",
    "broadcastSuccessRate": "wa.broadcastSuccess",
    "broadcastSuccessRate.pending": "wa.pending",
    "broadcasts": "wa.broadcasts",
    "broadcasts.name": "column.broadcast",
    "broadcasts.total": "wa.messages",
    "failureReasons.count": "wa.messages",
    "activeSessions.messagesSent": "wa.messagesSent",
    "broadcastName": "column.broadcast",
    "failedMessages": "wa.failedMessages",
    "failureReasons": "wa.failureReasons",
    "activeSessions": "wa.sessions",
    "queueMetrics": "wa.queue",
    # customer-load
    "newVsReturning": "cl.newVsReturning",
    "peakHours": "cl.peakHours",
    "basisWeeks": "cl.basisWeeks",
    # agent-productivity
    "agentMetrics": "ap.agents",
    "statusSummary.online": "agentStatus.online",
    "statusSummary.away": "agentStatus.away",
    "statusSummary.offline": "agentStatus.offline",
    "workloadDistribution.balanced": "workload.balanced",
    "workloadDistribution.overloaded": "workload.overloaded",
    "workloadDistribution.underutilized": "workload.underutilized",
    "queueMetrics.depth": "wa.depth",
    # customer-load
    "incomingChatsPerHour": "cl.incoming",
    "peakHour": "cl.peakHour",
    "newVsReturning.new": "cl.new",
    "newVsReturning.returning": "cl.returning",
    "heatmap": "cl.heatmap",
    "nextPeakForecast": "cl.forecast",
    "nextPeakForecast.expectedCount": "cl.expected",
    # automation-impact
    "chatbotVsHuman": "ai.split",
    "chatbotVsHuman.chatbot": "ai.chatbot",
    "chatbotVsHuman.hybrid": "ai.hybrid",
    "chatbotVsHuman.human": "ai.human",
    "autoReplySuccess.successful": "ai.successful",
    "dropOffRate": "ai.dropOff",
    "dropOffRate.dropped": "ai.dropped",
    "timeSaved": "ai.timeSaved",
    "timeSaved.hours": "ai.hours",
    "timeSaved.estimatedCost": "ai.estimatedCost",
    "timeSaved.minutesPerConversation": "ai.minutesPerConversation",
    "csatComparison": "ai.csat",
    "csatComparison.botOnly": "ai.chatbot",
    "csatComparison.hybrid": "ai.hybrid",
    "csatComparison.humanOnly": "ai.human",
    "topIntents": "ai.intents",
    # business-impact
    "leadsGenerated": "bi.leads",
    "leadsGenerated.won": "bi.won",
    "ticketsResolved": "bi.tickets",
    "revenueAttributed": "bi.revenue",
    "revenueAttributed.wonLeads": "bi.wonLeads",
    "costPerConversation": "bi.cost",
    "costPerConversation.savings": "bi.savings",
    "repeatCustomerRate": "bi.repeat",
    "repeatCustomerRate.customers": "bi.customers",
    "repeatCustomerRate.repeatCustomers": "bi.repeatCustomers",
    "campaignConversion": "bi.campaigns",
    "campaignConversion.responded": "bi.responded",
    "campaignConversion.converted": "bi.converted",
    "customerLifetimeValue": "bi.clv",
    "totalCost": "bi.totalCost",
}

# Enumerated values, by the path of the figure or list column holding them (list items without an index): the
# page's dictionary prefix that labels them (`frt.unanswered`, `agentStatus.offline`). `trend` is every comparing
# figure's trend.
VALUE_WORDS: dict[str, str] = {
    "firstResponseDistribution.bucket": "frt",
    "conversationsPerAgent.belowThreshold": "belowThreshold",
    "agentMetrics.status": "agentStatus",
    "agentMetrics.workload": "workload",
    "activeSessions.status": "session",
    "activeSessions.qualityRating": "quality",
    "avgResponseTime.slaStatus": "sla",
    "whatsappDeliveryRate.status": "delivery",
    "trend": "trend",
}

# Short names for sheets whose table's title would not fit Excel's 31 characters (the table's path: English,
# Indonesian).
SHEET_TITLES: dict[str, tuple[str, str]] = {
    "avgResponseTimeOverTime": ("Response time over time", "Respons dari waktu ke waktu"),
    "avgWaitTime.peakHours": ("Peak hours", "Jam sibuk"),
    "firstResponseDistribution": ("First responses", "Sebaran respons pertama"),
}

# Keys whose numbers are seconds: each gets a formatted (h:mm:ss) column beside it.
DURATION_KEYS = frozenset(
    {
        "activeTime",
        "avgHandlingTime",
        "avgQueueWaitSeconds",
        "avgResponseTime",
        "avgSeconds",
        "businessTime",  # a comparing figure's business time (the KPI's average response time)
        "idleTime",
        "median",
        "offPeak",
        "oldestQueuedSeconds",
        "p90",
        "peak",
        "slaTargetSeconds",
        "statusDuration",
        "targetSeconds",
    }
)


def title(language: Language, key: str, parent: str | None = None) -> str:
    """The key's title: the page's word for it (inside `parent` first), else its own; a key without one reads as
    itself (tests/exports/test_words.py keeps them all titled)."""
    for name in (f"{parent}.{key}" if parent else None, key):
        if name in PAGE_WORDS:
            return dictionary(language)[PAGE_WORDS[name]]
    english, indonesian = TITLES.get(key, (key, key))
    return indonesian if language == "id" else english


def path_title(language: Language, path: str) -> str:
    keys = path.split(".")
    return " · ".join(title(language, key, keys[index - 1] if index else None) for index, key in enumerate(keys))


def column_title(language: Language, table: str, key: str) -> str:
    """A list column's title: the key inside its list (`broadcasts.name` is the page's "Broadcast")."""
    return title(language, key, table.rsplit(".", 1)[-1])


def code_title(language: Language, heading: str) -> str:
    return f"{heading} ({title(language, 'code')})"


def value_word(language: Language, path: str, value: object) -> object:
    """An enumerated value as the page labels it (the value itself when the page has no word for it); any other
    value as it is."""
    prefix = VALUE_WORDS.get(path)
    if prefix is None or value is None:
        return value
    name = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
    return dictionary(language).get(f"{prefix}.{name}", value)


def sheet_title(language: Language, table: str) -> str:
    """The sheet's name for a table: its short name where it has one, else its title."""
    if table in SHEET_TITLES:
        english, indonesian = SHEET_TITLES[table]
        return indonesian if language == "id" else english
    return path_title(language, table)


def formatted_title(language: Language, key: str) -> str:
    return f"{title(language, key)} ({title(language, 'formatted')})"
