"""`pantau import TABLE FILE.csv`: upsert by id, each row checked like the events API, rejects with line numbers."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pantau.ingest.csv_import import ImportRefused, import_csv
from pantau.models import Contact, Conversation, Message, Team, User
from pantau.models.crm import Lead
from tests.ingest.conftest import table
from tests.test_cli import run_pantau

pytestmark = pytest.mark.commits

AT = "2026-03-02T09:00:00+07:00"
AT_UTC = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def write_csv(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def rejects(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


@pytest.fixture
def history(tmp_path, ingest_engine):
    """Teams, users, contacts and conversations imported, as a business's history would start."""
    for name, text in (
        ("teams", "id,name\nt-1,Sales\nt-2,Support\n"),
        (
            "users",
            "id,email,full_name,role,team_id,created_at\n"
            f"u-1,ani@shop.test,Ani,agent,t-1,{AT}\n"
            f"u-2,budi@shop.test,Budi,supervisor,t-2,{AT}\n",
        ),
        ("contacts", f'id,phone_number,name,tags,created_at\nc-1,+62811,Citra,"[""vip""]",{AT}\nc-2,,,,{AT}\n'),
        (
            "conversations",
            "id,contact_id,team_id,assigned_to,status,created_at,resolved_at,csat_score,handled_by_bot\n"
            f"v-1,c-1,t-1,u-1,resolved,{AT},2026-03-02T10:30:00+07:00,5,\n"
            f"v-2,c-2,t-2,,open,{AT},,,true\n",
        ),
    ):
        summary = import_csv(ingest_engine, name, write_csv(tmp_path, f"{name}.csv", text))
        assert summary.rejected == 0, rejects(summary.rejects_path)
    return tmp_path


def test_rows_are_inserted_with_their_types_and_defaults(history, ingest_engine):
    assert table(ingest_engine, Team) == [{"id": "t-1", "name": "Sales"}, {"id": "t-2", "name": "Support"}]
    assert table(ingest_engine, User, "id", "role", "team_id", "is_active", "password_hash", "created_at") == [
        {"id": "u-1", "role": "agent", "team_id": "t-1", "is_active": True, "password_hash": None,
         "created_at": AT_UTC},
        {"id": "u-2", "role": "supervisor", "team_id": "t-2", "is_active": True, "password_hash": None,
         "created_at": AT_UTC},
    ]  # fmt: skip
    assert table(ingest_engine, Contact) == [
        {"id": "c-1", "phone_number": "+62811", "name": "Citra", "tags": ["vip"], "created_at": AT_UTC},
        {"id": "c-2", "phone_number": None, "name": None, "tags": None, "created_at": AT_UTC},
    ]
    conversations = table(
        ingest_engine, Conversation, "id", "status", "resolved_at", "csat_score", "handled_by_bot", "assigned_to"
    )
    assert conversations == [
        {"id": "v-1", "status": "resolved", "resolved_at": datetime(2026, 3, 2, 3, 30, tzinfo=UTC), "csat_score": 5,
         "handled_by_bot": False, "assigned_to": "u-1"},
        {"id": "v-2", "status": "open", "resolved_at": None, "csat_score": None, "handled_by_bot": True,
         "assigned_to": None},
    ]  # fmt: skip


def test_importing_the_same_file_again_changes_nothing(history, ingest_engine):
    before = table(ingest_engine, Conversation)
    summary = import_csv(ingest_engine, "conversations", history / "conversations.csv")
    assert (summary.rows, summary.written, summary.unchanged, summary.rejected) == (2, 0, 2, 0)
    assert table(ingest_engine, Conversation) == before


def test_a_known_id_takes_the_files_values_and_keeps_the_columns_the_file_lacks(history, ingest_engine):
    path = write_csv(
        history, "later.csv", f"id,contact_id,status,created_at\nv-2,c-2,resolved,{AT}\nv-3,c-1,open,{AT}\n"
    )
    summary = import_csv(ingest_engine, "conversations", path)
    assert (summary.written, summary.unchanged) == (2, 0)
    assert table(ingest_engine, Conversation, "id", "status", "team_id", "handled_by_bot") == [
        {"id": "v-1", "status": "resolved", "team_id": "t-1", "handled_by_bot": False},
        {"id": "v-2", "status": "resolved", "team_id": "t-2", "handled_by_bot": True},
        {"id": "v-3", "status": "open", "team_id": None, "handled_by_bot": False},
    ]


def test_files_of_the_same_table_with_other_columns_import_one_after_another(history, ingest_engine):
    narrow = write_csv(
        history, "narrow.csv", f"id,email,full_name,role,created_at\nu-3,citra@shop.test,Citra,agent,{AT}\n"
    )
    wide = write_csv(history, "wide.csv", "id,email,full_name,role,created_at,team_id,is_active\n"
                     f"u-3,citra@shop.test,Citra Dewi,agent,{AT},t-1,false\n")  # fmt: skip

    assert import_csv(ingest_engine, "users", narrow).written == 1
    assert import_csv(ingest_engine, "users", wide).written == 1
    assert import_csv(ingest_engine, "users", narrow).written == 1
    assert table(ingest_engine, User, "id", "full_name", "team_id", "is_active")[-1] == {
        "id": "u-3", "full_name": "Citra", "team_id": "t-1", "is_active": False
    }  # fmt: skip


def test_each_bad_row_is_rejected_with_its_line_and_a_reason_naming_the_column(history, ingest_engine):
    long_id = "m" * 101
    path = write_csv(
        history,
        "messages.csv",
        "id,conversation_id,direction,sender_type,sender_id,whatsapp_message_id,created_at,status,error_title\n"
        f"m-1,v-1,inbound,customer,,wamid.1,{AT},,\n"
        f"m-2,v-1,outbound,agent,u-1,wamid.2,{AT},sideways,\n"
        f'm-3,v-1,outbound,agent,u-1,wamid.3,{AT},failed,"two\nlines"\n'
        f"m-4,v-1,outbound,agent,u-1,wamid.4,2026-03-02 09:00:00,sent,\n"
        f"{long_id},v-1,outbound,agent,u-1,wamid.5,{AT},sent,\n"
        f"m-6,v-9,inbound,customer,,wamid.6,{AT},,\n"
        f"m-7,v-2,outbound,customer,,wamid.7,{AT},,\n"
        f"m-8,v-2,outbound,bot,,wamid.1,{AT},sent,\n"
        f"m-9,v-2,outbound,bot,,,{AT}\n"
        f"m-10,v-2,outbound,bot,,,,sent,\n",
    )
    summary = import_csv(ingest_engine, "messages", path)
    assert (summary.rows, summary.written, summary.rejected) == (10, 2, 8)
    assert summary.rejects_path == history / "messages.rejects.csv"
    reasons = {int(row[0]): row[1] for row in rejects(summary.rejects_path)[1:]}
    assert reasons == {
        3: "status: Input should be 'queued', 'sent', 'delivered', 'read' or 'failed'",
        6: f"created_at: the time has no offset; write it like {AT} (or with Z for UTC)",
        7: "id: String should have at most 100 characters",
        8: "conversation_id: no conversation 'v-9' (import conversations first)",
        9: "direction: a customer's message is inbound",
        10: "whatsapp_message_id: another message already has this WhatsApp message id",
        11: "row: 7 cells where the header has 9",
        12: "created_at: required",
    }
    assert rejects(summary.rejects_path)[0] == [
        "line", "reason", "id", "conversation_id", "direction", "sender_type", "sender_id", "whatsapp_message_id",
        "created_at", "status", "error_title",
    ]  # fmt: skip
    assert [row["id"] for row in table(ingest_engine, Message)] == ["m-1", "m-3"]
    assert table(ingest_engine, Message, "error_title")[1] == {"error_title": "two\nlines"}


def test_a_csat_of_6_and_a_lead_value_with_three_decimals_are_rejected(history, ingest_engine):
    ratings = write_csv(history, "rated.csv", f"id,contact_id,status,created_at,csat_score\nv-1,c-1,resolved,{AT},6\n")
    summary = import_csv(ingest_engine, "conversations", ratings)
    assert rejects(summary.rejects_path)[1][:2] == ["2", "csat_score: Input should be less than or equal to 5"]
    assert table(ingest_engine, Conversation, "csat_score")[0] == {"csat_score": 5}

    leads = write_csv(
        history, "leads.csv", f"id,status,value,created_at\nl-1,won,1250000.50,{AT}\nl-2,won,1.505,{AT}\n"
    )
    summary = import_csv(ingest_engine, "leads", leads)
    assert summary.rejected == 1
    assert rejects(summary.rejects_path)[1][0] == "3"
    assert rejects(summary.rejects_path)[1][1].startswith("value: ")
    assert table(ingest_engine, Lead, "id", "value") == [{"id": "l-1", "value": Decimal("1250000.50")}]


def test_the_last_line_of_an_id_wins(history, ingest_engine):
    path = write_csv(history, "teams2.csv", "id,name\nt-3,Old name\nt-3,New name\n")
    import_csv(ingest_engine, "teams", path)
    assert table(ingest_engine, Team)[-1] == {"id": "t-3", "name": "New name"}


def test_a_dry_run_checks_every_row_and_writes_nothing(history, ingest_engine):
    path = write_csv(history, "dry.csv", "id,name\nt-1,Renamed\nt-4,Field sales\nt-5,\n")
    summary = import_csv(ingest_engine, "teams", path, dry_run=True, rejects_path=history / "dry-rejects.csv")
    assert (summary.rows, summary.written, summary.rejected) == (3, 0, 1)
    assert rejects(history / "dry-rejects.csv")[1][:2] == ["4", "name: required"]
    assert table(ingest_engine, Team) == [{"id": "t-1", "name": "Sales"}, {"id": "t-2", "name": "Support"}]


@pytest.mark.parametrize(
    ("table_name", "text", "reason"),
    [
        ("tables", "id\nx\n", "table 'tables': not a table Pantau imports"),
        ("teams", "id,name,colour\n", "column colour: not a column of teams; its columns are id, name"),
        ("teams", "id\n", "column name: required in a file of teams"),
        ("teams", "id,name,name\n", "column name: given more than once in the header"),
        ("users", "id,email,full_name,role,created_at,password_hash\n", "column password_hash: passwords are never"),
        ("teams", "", "empty; the first line must be the header"),
    ],
)
def test_a_file_that_does_not_fit_its_table_is_refused_whole(tmp_path, ingest_engine, table_name, text, reason):
    path = write_csv(tmp_path, "file.csv", text + "t-1,Sales\n" if text else "")
    with pytest.raises(ImportRefused, match=None) as refused:
        import_csv(ingest_engine, table_name, path)
    assert reason in str(refused.value)
    assert table(ingest_engine, Team) == []


def test_rows_are_written_batch_by_batch_with_progress(tmp_path, ingest_engine):
    lines = "".join(f"t-{number:02d},Team {number}\n" for number in range(10))
    path = write_csv(tmp_path, "teams.csv", "id,name\n" + lines)
    reported = []
    summary = import_csv(ingest_engine, "teams", path, batch_rows=4, on_progress=reported.append)
    assert summary.written == 10
    # After each full batch, then once at the end.
    assert [progress.rows for progress in reported] == [4, 8, 10]
    assert reported[-1].bytes_read == path.stat().st_size
    assert len(table(ingest_engine, Team)) == 10


def test_the_command_prints_a_summary_and_exits_1_when_rows_were_rejected(history, ingest_engine, ingest_database_url):
    path = write_csv(history, "teams3.csv", "id,name\nt-1,Sales\nt-6,Partners\nt-7,\n")
    result = run_pantau("import", "teams", str(path), database_url=ingest_database_url)
    assert result.returncode == 1, result.stderr
    assert f"{path}: 3 rows read: 1 written (new or changed), 1 unchanged, 1 rejected" in result.stdout
    assert f"rejected rows, with their line and reason: {history / 'teams3.rejects.csv'}" in result.stdout
    assert rejects(history / "teams3.rejects.csv")[1] == ["4", "name: required", "t-7", ""]

    dry = run_pantau("import", "teams", str(path), "--dry-run", database_url=ingest_database_url)
    assert "3 rows read: 2 valid, 1 rejected; nothing written (--dry-run)" in dry.stdout

    missing = run_pantau("import", "teams", str(history / "nowhere.csv"), database_url=ingest_database_url)
    assert missing.returncode == 1
    assert "nowhere.csv: no such file" in missing.stderr
    assert "Traceback" not in missing.stderr + dry.stderr + result.stderr


def test_a_row_pointing_at_no_conversation_mid_chunk_is_rejected_with_its_line_and_the_rest_written(
    history, ingest_engine
):
    """Chunks of 3 rows, written while the next is read: line 6 (the middle of the second chunk) points at no
    conversation, line 7 fails its check; every other row is written, and the rejects file lists both in line order
    (the database's refusal found after the check's)."""
    lines = [f"m-{n},v-{1 + n % 2},inbound,customer,{AT}\n" for n in range(1, 10)]
    lines[4] = f"m-5,v-9,inbound,customer,{AT}\n"
    lines[5] = f"m-6,v-1,sideways,customer,{AT}\n"
    path = write_csv(history, "messages.csv", "id,conversation_id,direction,sender_type,created_at\n" + "".join(lines))
    reported = []
    summary = import_csv(ingest_engine, "messages", path, batch_rows=3, on_progress=reported.append)

    assert (summary.rows, summary.written, summary.rejected) == (9, 7, 2)
    assert [row[:3] for row in rejects(summary.rejects_path)[1:]] == [
        ["6", "conversation_id: no conversation 'v-9' (import conversations first)", "m-5"],
        ["7", "direction: Input should be 'inbound' or 'outbound'", "m-6"],
    ]
    assert [(row["id"], row["conversation_id"]) for row in table(ingest_engine, Message)] == [
        ("m-1", "v-2"), ("m-2", "v-1"), ("m-3", "v-2"), ("m-4", "v-1"), ("m-7", "v-2"), ("m-8", "v-1"),
        ("m-9", "v-2"),
    ]  # fmt: skip
    assert [(progress.rows, progress.rejected) for progress in reported] == [(3, 0), (6, 2), (9, 2), (9, 2)]

    again = import_csv(ingest_engine, "messages", path, batch_rows=3)
    assert (again.written, again.unchanged, again.rejected) == (0, 7, 2)
