"""The per-conversation CSV, byte for byte, on a small hand-built organisation (SQLite and PostgreSQL): local times in
Asia/Jakarta (a conversation at local midnight, instants with and without microseconds), durations rounded half away
from zero (90.25 s is 90.3, not the 90.2 of rounding half to even), a formula-looking contact name and phone numbers
made inert, a name holding a comma and quotes quoted, flags as JSON writes them, empty cells for what is not there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.organisation import TEAM_A
from tests.exports.files import workbook

# Requests here write (a token's last use, audit entries): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits

# 2026-03-04T00:00:00+07:00: the first instant of the pinned day in Jakarta.
MIDNIGHT = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)

HEADER = (
    "Conversation id,Contact id,Contact,Contact phone,WhatsApp session id,WhatsApp session number,Team id,Team,"
    "Agent id,Agent,Status,Created,First customer message,Escalated,First response,First response time (s),Resolved,"
    "Handling time (s),Handled by bot,Bot-engaged,Escalated to a human,Bot-only,Human-only,Needs a human,Unanswered,"
    "Intent,CSAT,Broadcast id,Broadcast,Messages in,Messages out"
)
EXPECTED = (
    "\ufeff"
    + HEADER
    + "\r\n"
    + "at-midnight,c-formula,'=SUM(A1:A9),'+6281234567890,wa-line,'+6221555000,team-a,Alpha,ani,Ani,resolved,"
    "2026-03-04T00:00:00+07:00,2026-03-04T00:00:00+07:00,,2026-03-04T00:01:30.250000+07:00,90.3,"
    "2026-03-04T00:20:00.050000+07:00,1200.1,false,false,false,false,true,true,false,order_status,5,,,1,1\r\n"
    + 'by-the-bot,c-quoted,"Toko ""Maju"", Jakarta",\'+6281299988877,,,,,,,open,2026-03-04T10:00:00.123456+07:00,'
    "2026-03-04T10:00:00.123456+07:00,,,,,,true,true,false,true,false,false,false,,,,,1,0\r\n"
)


def plant(data) -> None:
    line = data.make_whatsapp_session(phone="+6221555000", id="wa-line")
    formula = data.make_contact(name="=SUM(A1:A9)", phone="+6281234567890", id="c-formula")
    midnight = data.make_conversation(
        MIDNIGHT,
        contact=formula,
        team=TEAM_A,
        assigned_to="ani",
        status="resolved",
        resolved_at=MIDNIGHT + timedelta(seconds=1200, microseconds=50_000),
        intent="order_status",
        csat_score=5,
        whatsapp_session=line,
        id="at-midnight",
    )
    data.make_message(midnight, MIDNIGHT + timedelta(seconds=90, microseconds=250_000), sender="agent", sender_id="ani")
    quoted = data.make_contact(name='Toko "Maju", Jakarta', phone="+6281299988877", id="c-quoted")
    data.make_conversation(
        datetime(2026, 3, 4, 3, 0, 0, 123_456, tzinfo=UTC), contact=quoted, handled_by_bot=True, id="by-the-bot"
    )


def export(client, people, file_format: str):
    parameters = {"dateRange": "today", "lang": "en", "format": file_format}
    return client.get("/api/export/conversations", params=parameters, headers=people.bearer("owner"))


def test_the_csv_file_is_exactly_this_text(client, people, data):
    plant(data)
    response = export(client, people, "csv")
    assert response.status_code == 200, response.text
    assert response.content.decode("utf-8") == EXPECTED


def test_the_workbook_holds_the_same_cells_typed(client, people, data):
    plant(data)
    (sheet,) = workbook(export(client, people, "xlsx")).worksheets
    assert sheet.title == "Conversations"
    header, midnight, bot = list(sheet.iter_rows())
    assert [cell.value for cell in header] == HEADER.split(",")
    assert all(cell.font.b and cell.data_type == "s" for cell in header)
    assert [cell.value for cell in midnight] == [
        "at-midnight", "c-formula", "=SUM(A1:A9)", "+6281234567890", "wa-line", "+6221555000", "team-a", "Alpha",
        "ani", "Ani", "resolved", "2026-03-04T00:00:00+07:00", "2026-03-04T00:00:00+07:00", None,
        "2026-03-04T00:01:30.250000+07:00", 90.3, "2026-03-04T00:20:00.050000+07:00", 1200.1, False, False, False,
        False, True, True, False, "order_status", 5, None, None, 1, 1,
    ]  # fmt: skip
    assert [cell.data_type for cell in midnight[:3]] == ["s", "s", "s"]  # the formula-looking name is text
    # Numbers as numbers, flags as booleans.
    assert [midnight[index].data_type for index in (15, 17, 18, 26, 29)] == ["n", "n", "b", "n", "n"]
    assert [cell.value for cell in bot][:4] == ["by-the-bot", "c-quoted", 'Toko "Maju", Jakarta', "+6281299988877"]
    assert [cell.value for cell in bot][18:25] == [True, True, False, True, False, False, False]
