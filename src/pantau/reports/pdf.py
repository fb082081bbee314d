"""The PDF executive summary (SPEC §8.3): A4, drawn by reportlab with no browser, DejaVu Sans embedded.

Every figure comes from `SummaryFigures`, i.e. the sections' own answers; this module only lays them out."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pantau.dashboard import conversation_effectiveness
from pantau.dashboard.automation_impact import AutomationImpactResponse
from pantau.dashboard.business_impact import BusinessImpactResponse
from pantau.dashboard.schemas import Comparison
from pantau.dashboard.whatsapp_performance import WhatsappPerformanceResponse
from pantau.reports.figures import MANAGEMENT_PARTS, SUMMARY_PARTS, SummaryFigures
from pantau.reports.words import DEFINITIONS, money, number, word
from pantau.web.i18n import Language

# Debian's fonts-dejavu-core (README: installing). TrueType, so reportlab embeds the glyphs it uses.
FONT_DIRECTORIES = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
ACCENT = colors.HexColor("#0b7a75")
RULE = colors.HexColor("#cbd2d9")
BAND = colors.HexColor("#f0f4f8")
CHART_COLOURS = (colors.HexColor("#0b7a75"), colors.HexColor("#e0a526"), colors.HexColor("#3e4c59"))

MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN


class FontMissing(RuntimeError):
    pass


@cache
def register_fonts() -> None:
    for directory in FONT_DIRECTORIES:
        regular, bold = directory / f"{FONT}.ttf", directory / f"{FONT_BOLD}.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont(FONT, str(regular)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
            return
    raise FontMissing(
        "the PDF summary needs the DejaVu Sans fonts (Debian package fonts-dejavu-core); looked in "
        + ", ".join(str(directory) for directory in FONT_DIRECTORIES)
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=MUTED),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=18, leading=22, textColor=ACCENT),
        "heading": ParagraphStyle(
            "heading", parent=base, fontName=FONT_BOLD, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4
        ),
        "term": ParagraphStyle("term", parent=base, fontName=FONT_BOLD, fontSize=8.5, leading=11),
        "definition": ParagraphStyle("definition", parent=base, fontSize=8.5, leading=11, leftIndent=8),
    }


def _table(rows: list[list[str]], widths: list[float], *, numeric_from: int = 1) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, 0), BAND),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _comparison_row(language: Language, label: str, figure: Comparison) -> list[str]:
    change = "" if figure.change is None else f"{number(language, figure.change)} %"
    return [
        word(language, label),
        number(language, figure.value),
        number(language, figure.previous),
        change,
        word(language, f"trend.{figure.trend}"),
    ]


def _comparison_table(language: Language, rows: list[list[str]]) -> Table:
    header = [word(language, key) for key in ("figure", "value", "previous", "change", "trend")]
    return _table([header, *rows], [CONTENT_WIDTH * share for share in (0.40, 0.15, 0.15, 0.15, 0.15)])


def _figure_table(language: Language, rows: list[tuple[str, str]]) -> Table:
    header = [word(language, "figure"), word(language, "value")]
    return _table(
        [header, *[[word(language, key), value] for key, value in rows]], [CONTENT_WIDTH * 0.62, CONTENT_WIDTH * 0.38]
    )


def _bar_chart(title: str, labels: list[str], values: list[float], *, label_every: int = 1) -> Drawing:
    drawing = Drawing(CONTENT_WIDTH, 62 * mm, initialFontName=FONT)
    drawing.add(String(0, 62 * mm - 10, title, fontName=FONT_BOLD, fontSize=9, fillColor=INK))
    chart = VerticalBarChart()
    chart.x, chart.y = 28, 22
    chart.width, chart.height = CONTENT_WIDTH - 40, 62 * mm - 44
    chart.data = [values or [0]]
    chart.bars[0].fillColor = CHART_COLOURS[0]
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([*values, 1]) * 1.1
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda value: f"{value:g}"
    chart.categoryAxis.categoryNames = [
        label if index % label_every == 0 else "" for index, label in enumerate(labels or [""])
    ]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 0 if label_every == 1 and len(labels) <= 8 else 30
    chart.categoryAxis.labels.boxAnchor = "n" if chart.categoryAxis.labels.angle == 0 else "ne"
    drawing.add(chart)
    return drawing


def _pie_chart(title: str, labels: list[str], values: list[int], language: Language) -> Drawing:
    drawing = Drawing(CONTENT_WIDTH, 52 * mm, initialFontName=FONT)
    drawing.add(String(0, 52 * mm - 10, title, fontName=FONT_BOLD, fontSize=9, fillColor=INK))
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 20, 8, 38 * mm, 38 * mm
    pie.data = values if sum(values) else [1]
    pie.labels = None
    for index in range(len(pie.data)):
        pie.slices[index].fillColor = CHART_COLOURS[index % len(CHART_COLOURS)] if sum(values) else RULE
        pie.slices[index].strokeColor = colors.white
    drawing.add(pie)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 38 * mm - index * 14
        drawing.add(String(48 * mm, y, "■", fontName=FONT, fontSize=10, fillColor=CHART_COLOURS[index]))
        legend = f"{label}: {number(language, value)}"
        drawing.add(String(48 * mm + 12, y, legend, fontName=FONT, fontSize=8.5, fillColor=INK))
    return drawing


def _time_label(timestamp: str, hourly: bool) -> str:
    moment = datetime.fromisoformat(timestamp)
    return moment.strftime("%H:%M") if hourly else moment.strftime("%d/%m")


def scope_words(language: Language, figures: SummaryFigures) -> str:
    if figures.scope.level == "all":
        return word(language, "scope.all")
    return word(language, f"scope.{figures.scope.level}", name=figures.scope_label)


def _heading(figures: SummaryFigures, language: Language, generated_at: datetime, styles) -> list:
    window = figures.window
    local = window.zone
    story: list = [
        Paragraph(f"Pantau · {word(language, 'title')}", styles["title"]),
        Spacer(1, 4),
        Paragraph(
            f"<b>{word(language, 'range')}:</b> {window.start.astimezone(local):%Y-%m-%d %H:%M} – "
            f"{window.effective_end.astimezone(local):%Y-%m-%d %H:%M} ({local.key}) · "
            f"<b>{word(language, 'compared')}:</b> {window.previous_start.astimezone(local):%Y-%m-%d %H:%M} – "
            f"{window.previous_end.astimezone(local):%Y-%m-%d %H:%M}",
            styles["body"],
        ),
        Paragraph(f"<b>{word(language, 'scope')}:</b> {_escape(scope_words(language, figures))}", styles["body"]),
        Paragraph(
            f"<b>{word(language, 'generated')}:</b> {generated_at.astimezone(local):%Y-%m-%d %H:%M:%S %z}",
            styles["body"],
        ),
    ]
    return story


def _kpi(figures: SummaryFigures, language: Language, styles) -> list:
    kpi = figures.kpi
    return [
        Paragraph(word(language, "kpi.title"), styles["heading"]),
        _comparison_table(
            language,
            [
                _comparison_row(language, "kpi.activeConversations", kpi.active_conversations),
                _comparison_row(language, "kpi.avgResponseTime", kpi.avg_response_time),
                _comparison_row(language, "kpi.whatsappDeliveryRate", kpi.whatsapp_delivery_rate),
                _comparison_row(language, "kpi.openTickets", kpi.open_tickets),
                _comparison_row(language, "kpi.messagesToday", kpi.messages_today),
            ],
        ),
    ]


def _conversations(figures: SummaryFigures, language: Language, styles) -> list:
    window = figures.window
    conversations = figures.conversations
    sla = conversations.sla_compliance
    story = [
        Paragraph(word(language, "range.title"), styles["heading"]),
        _comparison_table(language, [_comparison_row(language, "conversations", conversations.totals)]),
        Spacer(1, 4),
        _figure_table(
            language,
            [
                ("resolved", number(language, conversations.resolved_vs_open.resolved)),
                ("open", number(language, conversations.resolved_vs_open.open)),
                ("resolutionRate", number(language, conversations.resolved_vs_open.percentage)),
                ("slaCompliance", number(language, sla.percentage)),
                (
                    "slaCounts",
                    f"{number(language, sla.compliant)} / {number(language, sla.non_compliant)} / "
                    f"{number(language, sla.pending)}",
                ),
            ],
        ),
        Spacer(1, 6),
        _bar_chart(
            word(language, "chart.firstResponse"),
            [row.bucket for row in conversations.first_response_distribution],
            [row.count for row in conversations.first_response_distribution],
        ),
    ]
    over_time = conversations.avg_response_time_over_time
    hourly = window.granularity(conversation_effectiveness.HOURLY_UP_TO) == "hour"
    story.append(
        _bar_chart(
            word(language, "chart.volume"),
            [_time_label(bucket.timestamp, hourly) for bucket in over_time],
            [bucket.count for bucket in over_time],
            label_every=max(1, len(over_time) // 12),
        )
    )
    return story


def _story(figures: SummaryFigures, language: Language, generated_at: datetime, parts: Sequence[str]) -> list:
    styles = _styles()
    story = _heading(figures, language, generated_at, styles)
    drawn = {
        "kpi": lambda: _kpi(figures, language, styles),
        "conversations": lambda: _conversations(figures, language, styles),
        "agents": lambda: _agents(figures, language, styles),
        "whatsapp": lambda: _whatsapp(figures.whatsapp, language, styles),
        "automation": lambda: _automation(figures.automation, language, styles),
        "business": lambda: _business(figures.business, language, styles),
    }
    hidden = False
    for part in SUMMARY_PARTS:
        if part not in parts:
            continue
        if part in MANAGEMENT_PARTS and not figures.management:
            hidden = True
            continue
        story += drawn[part]()
    if hidden:
        story.append(Paragraph(word(language, "management.hidden"), styles["body"]))

    story.append(Paragraph(word(language, "definitions.title"), styles["heading"]))
    for key, definition in DEFINITIONS:
        story.append(
            KeepTogether(
                [Paragraph(word(language, key), styles["term"]), Paragraph(definition[language], styles["definition"])]
            )
        )
    return story


def _agents(figures: SummaryFigures, language: Language, styles: dict[str, ParagraphStyle]) -> list:
    ranked = sorted(figures.agents.agent_metrics, key=lambda agent: agent.rank)
    parts: list = [Paragraph(word(language, "agents.title"), styles["heading"])]
    if not ranked:
        return [*parts, Paragraph(word(language, "agents.none"), styles["body"])]
    top = ranked[:5]
    bottom = [agent for agent in ranked[-5:] if agent not in top]
    columns = ("agent.rank", "agent.name", "agent.chats", "agent.resolutionRate", "agent.avgResponse", "agent.score")
    header = [word(language, key) for key in columns]
    rows = [header]
    for label, group in (("agents.top", top), ("agents.bottom", bottom)):
        if not group:
            continue
        rows.append([word(language, label), "", "", "", "", ""])
        for agent in group:
            rows.append(
                [
                    str(agent.rank),
                    agent.agent_name,
                    number(language, agent.chats_handled),
                    number(language, agent.resolution_rate),
                    number(language, agent.avg_response_time),
                    number(language, agent.productivity_score),
                ]
            )
    table = _table(rows, [CONTENT_WIDTH * share for share in (0.06, 0.32, 0.12, 0.14, 0.24, 0.12)], numeric_from=2)
    style = [("FONT", (0, row), (-1, row), FONT_BOLD, 8.5) for row, cells in enumerate(rows) if cells[1] == ""]
    table.setStyle(TableStyle(style))
    return [*parts, table]


def _whatsapp(whatsapp: WhatsappPerformanceResponse, language: Language, styles) -> list:
    funnel = whatsapp.message_funnel
    connected = sum(1 for line in whatsapp.active_sessions if line.status == "connected")
    failure = max(whatsapp.failure_reasons, key=lambda reason: reason.count, default=None)
    failure_words = "–" if failure is None else f"{failure.error_code or ''} {failure.error or ''} ({failure.count})"
    return [
        Paragraph(word(language, "whatsapp.title"), styles["heading"]),
        _figure_table(
            language,
            [
                (
                    "whatsapp.funnel",
                    " / ".join(
                        number(language, count)
                        for count in (funnel.queued, funnel.sent, funnel.delivered, funnel.read, funnel.failed)
                    ),
                ),
                ("whatsapp.deliveryRate", number(language, funnel.delivery_rate)),
                ("whatsapp.readRate", number(language, funnel.read_rate)),
                ("whatsapp.sessions", f"{connected} / {len(whatsapp.active_sessions)}"),
                ("whatsapp.queue", number(language, whatsapp.queue_metrics.depth)),
                ("whatsapp.topFailure", _escape(failure_words.strip())),
            ],
        ),
    ]


def _automation(automation: AutomationImpactResponse, language: Language, styles) -> list:
    split = automation.chatbot_vs_human
    return [
        Paragraph(word(language, "automation.title"), styles["heading"]),
        _figure_table(
            language,
            [
                (
                    "automation.split",
                    f"{number(language, split.chatbot)} / {number(language, split.hybrid)} / "
                    f"{number(language, split.human)}",
                ),
                ("automation.botShare", number(language, split.percentage)),
                ("automation.autoReply", number(language, automation.auto_reply_success.percentage)),
                ("automation.escalation", number(language, automation.escalation_rate.percentage)),
                ("automation.dropOff", number(language, automation.drop_off_rate.percentage)),
                ("automation.timeSaved", number(language, automation.time_saved.hours)),
            ],
        ),
        _pie_chart(
            word(language, "chart.automation"),
            [word(language, key) for key in ("automation.botOnly", "automation.hybrid", "automation.humanOnly")],
            [split.chatbot, split.hybrid, split.human],
            language,
        ),
    ]


def _business(business: BusinessImpactResponse, language: Language, styles) -> list:
    leads = business.leads_generated
    cost = business.cost_per_conversation
    revenue = business.revenue_attributed
    return [
        Paragraph(word(language, "business.title"), styles["heading"]),
        _comparison_table(
            language,
            [
                _comparison_row(
                    language,
                    "business.leads",
                    Comparison(value=leads.total, previous=leads.previous, change=leads.change, trend=leads.trend),
                )
            ],
        ),
        Spacer(1, 4),
        _figure_table(
            language,
            [
                ("business.won", number(language, leads.won)),
                ("business.revenue", money(language, revenue.amount, revenue.currency)),
                ("business.ticketsResolved", number(language, business.tickets_resolved.in_range)),
                ("business.cost", money(language, cost.amount, cost.currency)),
                ("business.repeat", number(language, business.repeat_customer_rate.rate)),
            ],
        ),
    ]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _numbered_canvas(language: Language, footer: str) -> type[Canvas]:
    """A canvas that writes "Page n of N" and the footer once it knows N (every page is held until the end)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number_of_page, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self.setFont(FONT, 7.5)
                self.setFillColor(MUTED)
                self.drawString(MARGIN, 10 * mm, footer)
                self.drawRightString(
                    A4[0] - MARGIN, 10 * mm, word(language, "page", page=number_of_page, pages=len(self._pages))
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def render_summary(
    figures: SummaryFigures, language: Language, generated_at: datetime, parts: Sequence[str] = SUMMARY_PARTS
) -> bytes:
    """The PDF; `parts` picks the summary's parts (a schedule's sections), in their fixed order."""
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Pantau · {word(language, 'title')}",
        author="Pantau",
        lang=language,
        # Else every page starts in Helvetica, a font the file would name without embedding it.
        initialFontName=FONT,
        initialFontSize=9,
    )
    generated = generated_at.astimezone(figures.window.zone)
    footer = f"Pantau · {scope_words(language, figures)} · {generated:%Y-%m-%d %H:%M}"
    document.build(_story(figures, language, generated_at, parts), canvasmaker=_numbered_canvas(language, footer))
    return buffer.getvalue()
