"""`GET /api/export/conversations`: one row per conversation of the cohort, in the caller's scope, with the facts the
metrics count from; phone numbers masked for all but owners and admins; formulas inert; bad input refused; every
download audited. On SQLite and PostgreSQL, on the planted organisation of the HTTP tests (3 minutes between its
events)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pantau.models import AuditLogEntry
from tests.api.organisation import (
    FAILING_CUSTOMER_PHONE,
    FAILING_CUSTOMER_PHONE_MASKED,
    SESSION_PHONE,
    SESSION_PHONE_MASKED,
    TEAM_A,
)
from tests.api.responses import assert_refused
from tests.exports.files import csv_rows, sheet_rows, workbook

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

ALL = [
    "ani-answered",
    "ani-waiting",
    "arif-answered",
    "a-bot-only",
    "arif-escalated",
    "b-for-ani",
    "budi-answered",
    "b-waiting",
    "b-bot-only",
    "orphan",
    "nina-answered",
    "a-campaign",
]
TEAM_A_ROWS = [
    "ani-answered",
    "ani-waiting",
    "arif-answered",
    "a-bot-only",
    "arif-escalated",
    "b-for-ani",
    "a-campaign",
]
ANI_ROWS = ["ani-answered", "ani-waiting", "b-for-ani"]


def export(client, org, role: str, **parameters):
    """The export with `dateRange=today` unless other range parameters are given."""
    if "startDate" not in parameters:
        parameters = {"dateRange": "today", **parameters}
    return client.get("/api/export/conversations", params=parameters, headers=org.bearer(role))


def rows_by_id(client, org, role: str, **parameters) -> dict[str, dict[str, str]]:
    header, *rows = csv_rows(export(client, org, role, lang="en", **parameters))
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", ALL), ("admin", ALL), ("supervisor A", TEAM_A_ROWS), ("manager", TEAM_A_ROWS), ("agent", ANI_ROWS)],
)
def test_each_caller_gets_the_conversations_of_their_scope_oldest_first(client, org, role, expected):
    header, *rows = csv_rows(export(client, org, role))
    assert [row[0] for row in rows] == expected


def test_filters_narrow_the_rows_as_on_the_dashboard(client, org):
    assert list(rows_by_id(client, org, "owner", teamId=TEAM_A)) == TEAM_A_ROWS
    assert list(rows_by_id(client, org, "supervisor A", agentId="arif")) == ["arif-answered", "arif-escalated"]


def test_a_row_holds_the_facts_the_metrics_count_from(client, org):
    rows = rows_by_id(client, org, "owner")
    answered = rows["ani-answered"]
    assert answered["Team"] == "Alpha" and answered["Agent"] == "Ani" and answered["Status"] == "resolved"
    assert answered["Created"] == "2026-03-04T10:03:00+07:00"
    assert answered["First response"] == "2026-03-04T10:06:00+07:00"
    assert answered["First response time (s)"] == "180.0"
    assert answered["Resolved"] == "2026-03-04T10:12:00+07:00"
    assert answered["Handling time (s)"] == "540.0"
    assert (answered["Messages in"], answered["Messages out"]) == ("1", "2")
    assert (answered["Bot-engaged"], answered["Bot-only"], answered["Human-only"]) == ("false", "false", "true")

    escalated = rows["arif-escalated"]
    # The human clock starts at the escalation (10:39); Arif answers at 10:42.
    assert escalated["Escalated"] == "2026-03-04T10:39:00+07:00"
    assert escalated["First response time (s)"] == "180.0"
    assert (escalated["Bot-engaged"], escalated["Escalated to a human"], escalated["Bot-only"]) == (
        "true",
        "true",
        "false",
    )
    bot_only = rows["a-bot-only"]
    assert (bot_only["Bot-only"], bot_only["Needs a human"], bot_only["First response time (s)"]) == (
        "true",
        "false",
        "",
    )
    assert rows["ani-waiting"]["Unanswered"] == "true"
    campaign = rows["a-campaign"]
    assert (campaign["Broadcast id"], campaign["Broadcast"]) == ("bc-promo", "Promo Ramadan")


def test_phone_numbers_are_whole_for_owners_and_masked_for_the_rest(client, org):
    # A cell starting with + is neutralised like any formula-looking text: the apostrophe keeps it text.
    owner = rows_by_id(client, org, "owner")["arif-escalated"]
    assert owner["Contact phone"] == "'" + FAILING_CUSTOMER_PHONE
    assert owner["WhatsApp session number"] == "'" + SESSION_PHONE
    supervisor = rows_by_id(client, org, "supervisor A")["arif-escalated"]
    assert supervisor["Contact phone"] == "'" + FAILING_CUSTOMER_PHONE_MASKED
    assert supervisor["WhatsApp session number"] == "'" + SESSION_PHONE_MASKED
    assert FAILING_CUSTOMER_PHONE not in export(client, org, "supervisor A").text


def test_phone_numbers_in_the_workbook_are_text_cells_without_an_apostrophe(client, org):
    sheet = workbook(export(client, org, "owner", format="xlsx", lang="en")).worksheets[0]
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    (row,) = [row for row in rows if row[0] == "arif-escalated"]
    phone = dict(zip(header, row, strict=True))["Contact phone"]
    assert phone == FAILING_CUSTOMER_PHONE


def test_a_formula_looking_contact_name_comes_out_inert(client, org, data):
    contact = data.make_contact(name='=HYPERLINK("http://evil.example","open")')
    data.make_conversation(org.timeline.at(35), contact=contact, team=TEAM_A, id="formula")
    assert rows_by_id(client, org, "owner")["formula"]["Contact"] == '\'=HYPERLINK("http://evil.example","open")'
    book = workbook(export(client, org, "owner", format="xlsx"))
    sheet = book.worksheets[0]
    (cell,) = [row[2] for row in sheet.iter_rows(min_row=2) if row[0].value == "formula"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","open")'


def test_the_workbook_holds_the_same_rows_as_the_csv(client, org):
    header, *rows = csv_rows(export(client, org, "supervisor A", lang="id"))
    sheet = workbook(export(client, org, "supervisor A", lang="id", format="xlsx")).worksheets[0]
    book_header, *book_rows = sheet_rows(sheet)
    assert book_header == header
    assert header[:3] == ["Id percakapan", "Id kontak", "Kontak"]
    assert [row[0] for row in book_rows] == TEAM_A_ROWS
    answered = dict(zip(header, book_rows[0], strict=True))
    assert answered["Waktu respons pertama (dtk)"] == 180
    assert answered["Waktu penanganan (dtk)"] == 540
    assert answered["Pesan keluar"] == 2
    assert answered["Hanya manusia"] is True
    # The page's word for a broadcast.
    assert header[-4:-2] == ["Id siaran", "Siaran"]


def test_an_empty_cohort_is_a_header_alone(client, org):
    header, *rows = csv_rows(export(client, org, "owner", startDate="2025-01-01", endDate="2025-01-31"))
    assert header[0] == "Id percakapan" and rows == []


@pytest.mark.parametrize(
    ("parameters", "status", "error", "named"),
    [
        ({"format": "pdf"}, 400, "invalid_parameter", "format"),
        ({"lang": "fr"}, 400, "invalid_parameter", "lang"),
        ({"dateRange": "fortnight"}, 400, "invalid_parameter", "dateRange"),
        ({"startDate": "2026-03-05", "endDate": "2026-03-01"}, 400, "invalid_parameter", "startDate"),
        ({"teamId": "team-b"}, 403, "forbidden", "teamId"),
        ({"agentId": "budi"}, 403, "forbidden", "agentId"),
    ],
)
def test_bad_parameters_are_refused_naming_them(http_client, org, parameters, status, error, named):
    response = export(http_client, org, "supervisor A", **parameters)
    assert_refused(response, status, error, named)


def test_every_download_is_written_to_the_audit_log(client, org, connection):
    csv_rows(export(client, org, "supervisor A", teamId=TEAM_A))
    audit_log = AuditLogEntry.__table__
    entries = connection.execute(
        select(audit_log.c.user_id, audit_log.c.action, audit_log.c.parameters).where(
            audit_log.c.action == "export:conversations"
        )
    ).all()
    assert [tuple(entry) for entry in entries] == [
        ("sari", "export:conversations", {"dateRange": "today", "teamId": TEAM_A})
    ]


def test_the_rows_add_up_to_the_sections_figures(client, org):
    rows = rows_by_id(client, org, "owner").values()
    conversations = org.read(client, "owner", "conversation-effectiveness").json()
    automation = org.read(client, "owner", "automation-impact", dateRange="today").json()
    kpi = org.read(client, "owner", "kpi").json()
    assert len(rows) == conversations["totals"]["value"] == 12
    assert sum(row["Resolved"] != "" for row in rows) == conversations["resolvedVsOpen"]["resolved"] == 3
    assert sum(row["Bot-only"] == "true" for row in rows) == automation["chatbotVsHuman"]["chatbot"] == 2
    assert sum(row["Escalated to a human"] == "true" for row in rows) == automation["escalationRate"]["escalated"]
    response_times = [float(row["First response time (s)"]) for row in rows if row["First response time (s)"]]
    assert sum(response_times) / len(response_times) == kpi["avgResponseTime"]["value"] == 180.0
