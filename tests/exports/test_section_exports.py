"""`GET /api/dashboard/<section>/export`: the section's tables as CSV (one table) or XLSX (a sheet per table and an
About sheet), read back with the csv module and openpyxl, hold exactly the figures of the section's JSON for the same
parameters and scope. Headers in the chosen language, durations beside their h:mm:ss, formulas inert, bad input
refused naming the parameter, every download audited. On SQLite and PostgreSQL, on the planted organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pantau.dashboard.router import SECTIONS
from pantau.exports.section_tables import list_items, table_names
from pantau.exports.words import VALUE_WORDS, code_title, column_title, sheet_title, title
from pantau.models import AuditLogEntry
from pantau.web.i18n import dictionary
from tests.api.organisation import FAILING_CUSTOMER_PHONE, TEAM_A
from tests.api.responses import assert_refused
from tests.exports.files import csv_rows, number, sheet_rows, workbook
from tests.support.sections import EVERY_SECTION as SECTION_NAMES
from tests.support.sections import MANAGEMENT_SECTIONS

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits


def export(client, org, role: str, section: str, **parameters):
    if section != "kpi" and "startDate" not in parameters:
        parameters = {"dateRange": "today", **parameters}
    return client.get(f"/api/dashboard/{section}/export", params=parameters, headers=org.bearer(role))


def at(document: dict, path: str):
    for key in path.split("."):
        document = document[key]
    return document


def compared_value(figure: dict):
    return next(figure[key] for key in ("value", "total", "rate") if key in figure)


def expected_figure(document: dict, path: str) -> tuple:
    """(value, previous, change) of the figure at `path` as the JSON has it."""
    figure = at(document, path)
    if isinstance(figure, dict):
        return compared_value(figure), figure["previous"], figure.get("change")
    return figure, None, None


@pytest.mark.parametrize("section", SECTION_NAMES)
def test_the_csv_figures_are_the_json_figures(client, org, section):
    document = org.read(client, "owner", section).json()
    header, *rows = csv_rows(export(client, org, "owner", section, lang="en"))
    assert header[:3] == ["Figure", "Name", "Value"]
    assert rows, section
    for path, _name, value, _formatted, previous, _previous_formatted, change, trend, value_code, trend_code in rows:
        expected = expected_figure(document, path)
        figure = at(document, path)
        assert trend_code == (figure.get("trend", "") if isinstance(figure, dict) else ""), path
        assert trend == (dictionary("en")[f"trend.{trend_code}"] if trend_code else ""), path
        if path in VALUE_WORDS:
            assert value_code == expected[0], path
            assert value == dictionary("en")[f"{VALUE_WORDS[path]}.{expected[0]}"], path
        elif isinstance(expected[0], str) or isinstance(expected[0], bool):
            assert value_code == "", path
            assert value == {True: "true", False: "false"}.get(expected[0], expected[0]), path
        else:
            assert number(value) == expected[0], path
        assert (number(previous), number(change)) == expected[1:], path


def test_the_conversation_effectiveness_figures_are_complete_and_exact(client, org):
    header, *rows = csv_rows(export(client, org, "supervisor A", "conversation-effectiveness", lang="en"))
    figures = {row[0]: row[2:5] for row in rows}
    assert figures == {
        # Answered within 5 minutes: ani-answered, arif-answered, arif-escalated, b-for-ani; still waiting well past
        # the target: ani-waiting, a-campaign.
        "slaCompliance.percentage": ["66.7", "", ""],
        "slaCompliance.compliant": ["4", "", ""],
        "slaCompliance.nonCompliant": ["2", "", ""],
        "slaCompliance.pending": ["0", "", ""],
        "slaCompliance.targetSeconds": ["300", "0:05:00", ""],
        "resolvedVsOpen.resolved": ["2", "", ""],
        "resolvedVsOpen.open": ["5", "", ""],
        "resolvedVsOpen.percentage": ["28.6", "", ""],
        "totals": ["7", "", "0"],
        # ani-answered: answered at step 2, resolved at step 4 (6 minutes); a-bot-only was resolved unanswered.
        "handlingTime.avgSeconds": ["360.0", "0:06:00", ""],
        "handlingTime.count": ["1", "", ""],
        # One customer message each; outbound: ani-answered 2, arif-escalated 2 (bot, agent), arif-answered,
        # a-bot-only, b-for-ani and a-campaign's broadcast 1 each, ani-waiting none: 8 / 7.
        "messagesPerConversation.inbound": ["1.0", "", ""],
        "messagesPerConversation.outbound": ["1.1", "", ""],
        "messagesPerConversation.inboundMessages": ["7", "", ""],
        "messagesPerConversation.outboundMessages": ["8", "", ""],
        "messagesPerConversation.conversations": ["7", "", ""],
    }


@pytest.mark.parametrize("section", SECTION_NAMES)
def test_every_table_of_the_workbook_holds_the_json_lists(client, org, section):
    document = org.read(client, "owner", section).json()
    book = workbook(export(client, org, "owner", section, format="xlsx", lang="en"))
    model = SECTIONS[section].response_model
    tables = list(list_items(model))
    assert len(book.worksheets) == 2 + len(tables)  # figures, each list, About
    assert book.worksheets[0].title == "Figures" and book.worksheets[-1].title == "About"
    for sheet, (path, item) in zip(book.worksheets[1:-1], tables, strict=True):
        entries = at(document, path)
        # Without business hours (as here) the items carry no `businessTime` object, and the table no column of it.
        keys = [
            field.alias or name
            for name, field in item.model_fields.items()
            if name != "business_time" or any("businessTime" in entry for entry in entries)
        ]
        assert all("businessTime" not in entry for entry in entries)
        header, *rows = sheet_rows(sheet)
        # An enumerated value's identifier is its code column; its word is the page's.
        columns = [
            code_title("en", column_title("en", path, key))
            if f"{path}.{key}" in VALUE_WORDS
            else column_title("en", path, key)
            for key in keys
        ]
        values = [[dict(zip(header, row, strict=True))[column] for column in columns] for row in rows]
        expected = [[entry[key] for key in keys] for entry in entries]
        assert values == expected, path


def test_a_table_is_picked_for_csv_and_durations_get_their_formatted_column(client, org):
    header, *rows = csv_rows(
        export(client, org, "owner", "conversation-effectiveness", table="conversationsPerAgent", lang="en")
    )
    assert header[:6] == [
        "Agent id",
        "Agent",
        "Team id",
        "Count",
        "Average response time (s)",
        "Average response time (s) (h:mm:ss)",
    ]
    assert [row[:6] for row in rows] == [
        ["ani", "Ani", "team-a", "3", "180.0", "0:03:00"],
        ["arif", "Arif", "team-a", "2", "180.0", "0:03:00"],
        ["budi", "Budi", "team-b", "1", "180.0", "0:03:00"],
        ["nina", "Nina", "", "1", "180.0", "0:03:00"],
        ["bayu", "Bayu", "team-b", "0", "", ""],
        ["maya", "Maya", "team-a", "0", "", ""],
        ["sari", "Sari", "team-a", "0", "", ""],
    ]


def test_headers_follow_the_language(client, org):
    header, *_ = csv_rows(export(client, org, "owner", "customer-load", table="heatmap", lang="id"))
    assert header == ["Hari dalam minggu", "Jam", "Jumlah"]
    header, *_ = csv_rows(export(client, org, "owner", "customer-load", table="heatmap", lang="en"))
    assert header == ["Day of week", "Hour", "Count"]


def test_the_about_sheet_says_what_the_numbers_cover(client, org):
    book = workbook(export(client, org, "supervisor A", "business-impact", format="xlsx", lang="en", teamId=TEAM_A))
    about = {row[0]: row[1] for row in sheet_rows(book["About"]) if row and row[0]}
    assert about["Section"] == "Business impact"
    assert about["Range"] == "2026-03-04 00:00 – 2026-03-04 12:00"
    assert about["Compared with"] == "2026-03-03 00:00 – 2026-03-03 12:00"
    assert about["Time zone"] == "Asia/Jakarta"
    assert about["Filters"] == f"teamId={TEAM_A}"
    assert about["Scope"] == "Team: Alpha"
    assert about["Generated"] == org.read(client, "supervisor A", "business-impact").json()["generatedAt"]
    assert "Definitions" in about
    assert any(name.startswith("Leads") for name in about)


def test_a_supervisors_export_holds_nothing_of_another_team(client, org):
    book = workbook(export(client, org, "supervisor A", "whatsapp-performance", format="xlsx", lang="en"))
    cells = {str(cell) for sheet in book.worksheets for row in sheet_rows(sheet) for cell in row}
    assert not any("131047" in cell or "Re-engagement" in cell for cell in cells)
    assert not any(FAILING_CUSTOMER_PHONE in cell for cell in cells)  # masked: +62812****678


def test_formula_looking_text_comes_out_inert(client, org, data):
    data.make_conversation(org.timeline.at(35), team=TEAM_A, handled_by_bot=True, intent="=1+2")
    header, *rows = csv_rows(export(client, org, "owner", "automation-impact", table="topIntents", lang="en"))
    assert rows[0][0] == "'=1+2"
    book = workbook(export(client, org, "owner", "automation-impact", format="xlsx", lang="en"))
    # In XLSX a text cell never runs: the text stays as it was, in a cell typed as text.
    cell = book["Top intents"]["A2"]
    assert (cell.value, cell.data_type) == ("=1+2", "s")


@pytest.mark.parametrize(
    ("section", "parameters", "status", "error", "named"),
    [
        ("conversation-effectiveness", {"format": "pdf"}, 400, "invalid_parameter", "format"),
        ("conversation-effectiveness", {"lang": "fr"}, 400, "invalid_parameter", "lang"),
        ("conversation-effectiveness", {"table": "nothing"}, 400, "invalid_parameter", "table"),
        ("conversation-effectiveness", {"table": "totals", "format": "csv"}, 400, "invalid_parameter", "table"),
        ("customer-load", {"table": "heatmap", "format": "xlsx"}, 400, "invalid_parameter", "table"),
        ("customer-load", {"dateRange": "fortnight"}, 400, "invalid_parameter", "dateRange"),
        ("agent-productivity", {"teamId": "team-b"}, 403, "forbidden", "teamId"),
        ("no-such-section", {}, 404, "unknown_section", "section"),
    ],
)
def test_bad_parameters_are_refused_naming_them(http_client, org, section, parameters, status, error, named):
    assert_refused(export(http_client, org, "supervisor A", section, **parameters), status, error, named)


@pytest.mark.parametrize("section", MANAGEMENT_SECTIONS)
def test_agents_cannot_export_the_management_sections(http_client, org, section):
    assert_refused(export(http_client, org, "agent", section), 403, "forbidden", section)


def test_every_download_is_written_to_the_audit_log(client, org, connection):
    workbook(export(client, org, "manager", "customer-load", format="xlsx"))
    audit_log = AuditLogEntry.__table__
    entries = connection.execute(
        select(audit_log.c.user_id, audit_log.c.action, audit_log.c.parameters).where(
            audit_log.c.action.like("export:%")
        )
    ).all()
    assert [tuple(entry) for entry in entries] == [
        ("maya", "export:customer-load", {"dateRange": "today", "format": "xlsx"})
    ]


def test_indonesian_headers_and_values_are_the_pages_words(client, org):
    words = dictionary("id")
    _header, *rows = csv_rows(export(client, org, "supervisor A", "conversation-effectiveness", lang="id"))
    names = {row[0]: row[1] for row in rows}
    assert names["slaCompliance.compliant"] == f"{words['ce.slaCompliance']} · {words['ce.compliant']}"
    assert names["slaCompliance.nonCompliant"] == "Kepatuhan SLA · Tidak patuh"
    assert names["slaCompliance.pending"] == "Kepatuhan SLA · Belum dinilai"
    header, *rows = csv_rows(
        export(client, org, "owner", "conversation-effectiveness", table="firstResponseDistribution", lang="id")
    )
    assert header == ["Kelompok", "Kelompok (kode)", "Jumlah"]
    assert [row[:2] for row in rows] == [[words[f"frt.{row[1]}"], row[1]] for row in rows]
    assert [row[1] for row in rows] == ["<1m", "1-5m", "5-15m", "15-60m", "1-4h", ">4h", "unanswered"]
    assert rows[-1][0] == "Belum dijawab"
    header, *rows = csv_rows(export(client, org, "owner", "whatsapp-performance", table="broadcasts", lang="id"))
    assert header[:3] == ["Id siaran", "Siaran", "Pesan"]
    header, *rows = csv_rows(export(client, org, "owner", "agent-productivity", table="agentMetrics", lang="id"))
    status = header.index("Status")
    assert header[status + 1] == "Status (kode)"
    assert rows and all(row[status] == words[f"agentStatus.{row[status + 1]}"] for row in rows)
    assert {row[status + 1] for row in rows} <= {"online", "away", "offline"}


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("section", SECTION_NAMES)
def test_every_sheet_has_its_full_short_name_unique_in_the_workbook(client, org, section, language):
    book = workbook(export(client, org, "owner", section, format="xlsx", lang=language))
    tables = table_names(SECTIONS[section].response_model)
    expected = [sheet_title(language, table) for table in tables] + [title(language, "about")]
    assert book.sheetnames == expected
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert len({name.casefold() for name in book.sheetnames}) == len(book.sheetnames)
