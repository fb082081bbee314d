"""`GET /api/dashboard/conversation-effectiveness/conversations/export`: the conversations behind one figure as CSV or
XLSX, with the per-conversation export's columns: exactly the rows the drill-down lists, in the caller's scope, phone
numbers masked but for owners, audited, refused as the list is. On SQLite and PostgreSQL, on the planted organisation
of the HTTP tests plus the three conversations of `planted`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pantau.models import AuditLogEntry
from tests.api.organisation import FAILING_CUSTOMER_PHONE, FAILING_CUSTOMER_PHONE_MASKED
from tests.api.responses import assert_refused
from tests.drilldown.test_conversation_effectiveness import SECTION, cases, planted  # noqa: F401 - fixture
from tests.exports.files import csv_rows, sheet_rows, workbook

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

EXPORT = f"/api/dashboard/{SECTION}/conversations/export"


def export(client, org, role: str, **parameters):
    return client.get(EXPORT, params={"dateRange": "today", **parameters}, headers=org.bearer(role))


@pytest.mark.parametrize("role", ["owner", "supervisor A", "agent"])
def test_each_figures_file_holds_exactly_the_conversations_its_list_holds(client, planted, role):  # noqa: F811
    for figure, bucket, expected in cases(role):
        parameters = {"figure": figure, **({} if bucket is None else {"bucket": bucket})}
        response = export(client, planted, role, **parameters)
        assert response.status_code == 200, response.text
        header, *rows = csv_rows(response)
        assert header[0] == "Id percakapan"
        assert [row[0] for row in rows] == expected, (figure, bucket)


def test_the_workbook_holds_the_rows_of_the_csv(client, planted):  # noqa: F811
    parameters = {"figure": "slaCompliance.nonCompliant", "lang": "en"}
    header, *rows = csv_rows(export(client, planted, "owner", **parameters))
    response = export(client, planted, "owner", format="xlsx", **parameters)
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="pantau-{SECTION}-slaCompliance.nonCompliant-today-'
    )
    book_header, *book_rows = sheet_rows(workbook(response).worksheets[0])
    assert book_header == header
    assert (
        [row[0] for row in book_rows]
        == [row[0] for row in rows]
        == [
            "ani-waiting",
            "b-waiting",
            "orphan",
            "a-campaign",
            "arif-slow",
        ]
    )


def test_a_bucket_names_the_file_in_file_safe_words(client, planted):  # noqa: F811
    response = export(client, planted, "owner", figure="firstResponseDistribution", bucket="<1m")
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="pantau-{SECTION}-firstResponseDistribution-1m-today-'
    )
    header, *rows = csv_rows(response)
    assert [row[0] for row in rows] == ["ani-quick"]


def test_phone_numbers_are_whole_for_owners_and_masked_for_the_rest(client, planted):  # noqa: F811
    parameters = {"figure": "conversationsPerAgent", "bucket": "arif"}
    owner = export(client, planted, "owner", **parameters).text
    supervisor = export(client, planted, "supervisor A", **parameters).text
    assert FAILING_CUSTOMER_PHONE in owner.replace("'", "")
    assert FAILING_CUSTOMER_PHONE not in supervisor.replace("'", "")
    assert FAILING_CUSTOMER_PHONE_MASKED in supervisor.replace("'", "")


@pytest.mark.parametrize(
    ("parameters", "status", "error", "named"),
    [
        ({}, 400, "invalid_parameter", "figure"),
        ({"figure": "totals.previous"}, 400, "invalid_parameter", "figure"),
        ({"figure": "firstResponseDistribution", "bucket": "2-3m"}, 400, "invalid_parameter", "bucket"),
        ({"figure": "totals.value", "format": "pdf"}, 400, "invalid_parameter", "format"),
        ({"figure": "totals.value", "dateRange": "fortnight"}, 400, "invalid_parameter", "dateRange"),
        ({"figure": "conversationsPerAgent", "bucket": "arif"}, 403, "forbidden", "bucket"),
    ],
)
def test_bad_input_is_refused_as_the_list_refuses_it(http_client, planted, parameters, status, error, named):  # noqa: F811
    assert_refused(export(http_client, planted, "agent", **parameters), status, error, named)


def test_every_download_is_written_to_the_audit_log_and_a_refusal_is_not(client, planted, connection):  # noqa: F811
    export(client, planted, "supervisor A", figure="resolvedVsOpen.open", format="xlsx")
    export(client, planted, "supervisor A", figure="nothing")
    audit_log = AuditLogEntry.__table__
    entries = connection.execute(
        select(audit_log.c.user_id, audit_log.c.action, audit_log.c.parameters).where(
            audit_log.c.action.like("export:%")
        )
    ).all()
    assert [(entry.user_id, entry.action) for entry in entries] == [("sari", f"export:{SECTION}:conversations")]
    assert entries[0].parameters["figure"] == "resolvedVsOpen.open"
