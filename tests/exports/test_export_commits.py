"""The exports through the app's own database sessions, with real commits (no test transaction around them): the
rows stream from a session that outlives the handler, and the audit entry is committed before they do."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pantau.models import AuditLogEntry
from tests.exports.files import csv_rows, sheet_rows, workbook

pytestmark = pytest.mark.commits


def test_the_conversations_stream_from_the_apps_own_session(client, org, connection):
    headers = org.bearer("supervisor A")
    header, *rows = csv_rows(client.get("/api/export/conversations", params={"dateRange": "today"}, headers=headers))
    assert len(rows) == 7
    sheet = workbook(
        client.get("/api/export/conversations", params={"dateRange": "today", "format": "xlsx"}, headers=headers)
    ).worksheets[0]
    assert len(sheet_rows(sheet)) == 1 + 7
    audit_log = AuditLogEntry.__table__
    actions = connection.execute(select(audit_log.c.user_id, audit_log.c.action).order_by(audit_log.c.id)).all()
    assert [tuple(action) for action in actions] == [("sari", "export:conversations")] * 2


def test_a_section_export_through_the_apps_own_session(client, org):
    header, *rows = csv_rows(
        client.get(
            "/api/dashboard/conversation-effectiveness/export",
            params={"dateRange": "today", "lang": "en"},
            headers=org.bearer("owner"),
        )
    )
    assert {row[0]: row[2] for row in rows}["totals"] == "12"
