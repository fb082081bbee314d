"""The ingest journal (SPEC §8.1): bodies stored before they are applied, `pantau ingest replay|status|purge`, and
the scheduler's daily purge, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from pantau.aggregation.scheduler import build_scheduler, run_purge
from pantau.cli.main import app
from pantau.core.database import reset_cached_database
from pantau.ingest import journal as ingest_journal
from pantau.ingest import service
from pantau.models import Conversation, IngestEvent, IngestJournalEntry, Message, ParkedItem
from pantau.models.enums import IngestSource
from tests.conftest import make_settings
from tests.ingest.conftest import journal, table
from tests.ingest.payloads import batch, event, inbound, messages_change, status, statuses_change, webhook
from tests.support.builders import local

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits

T0 = local("2026-03-02 09:00")
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def cli(ingest_engine, ingest_database_url, monkeypatch) -> Iterator[Engine]:
    """`pantau ...` on the test's database, through DATABASE_URL as an operator sets it."""
    monkeypatch.setenv("DATABASE_URL", ingest_database_url)
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.delenv("REDIS_URL", raising=False)
    reset_cached_database()
    yield ingest_engine
    reset_cached_database()


def pantau(*args: str):
    return CliRunner().invoke(app, list(args))


def journaled_only(engine: Engine, body: bytes, *, received_at: datetime = NOW) -> int:
    """A body stored as the webhook stores it, then the process stopped before applying it."""
    return ingest_journal.record(
        engine,
        source=IngestSource.whatsapp,
        body=body,
        headers={"content-type": "application/json"},
        received_at=received_at,
    )


def test_replay_applies_a_journaled_but_unapplied_body_exactly_once(cli):
    entry_id = journaled_only(cli, webhook(messages_change(inbound("wamid.A", at=T0))))
    assert table(cli, Message) == []

    first = pantau("ingest", "replay")
    second = pantau("ingest", "replay")

    assert first.exit_code == 0, first.output
    assert first.stdout == "replayed 1 journal entries: 1 applied, 0 duplicate, 0 failed\n"
    assert second.stdout == "nothing to replay\n"
    assert len(table(cli, Message)) == 1 and len(table(cli, Conversation)) == 1
    assert table(cli, IngestJournalEntry, "id", "state", "attempts") == [
        {"id": entry_id, "state": "applied", "attempts": 1}
    ]


def test_an_entry_already_applied_is_not_applied_again(ingest_engine):
    entry_id = journaled_only(ingest_engine, webhook(messages_change(inbound("wamid.A", at=T0))))
    service.apply_entry(ingest_engine, entry_id, now=NOW)

    assert service.apply_entry(ingest_engine, entry_id, now=NOW) is None
    assert service.replay(ingest_engine, now=NOW).total == 0
    assert table(ingest_engine, IngestJournalEntry, "attempts") == [{"attempts": 1}]


def test_replay_failed_retries_the_entries_that_failed(cli):
    entry_id = journaled_only(cli, webhook(messages_change(inbound("wamid.A", at=T0))))
    ingest_journal.mark_failed(cli, entry_id, NOW, "applying failed: OperationalError")

    without = pantau("ingest", "replay")
    with_failed = pantau("ingest", "replay", "--failed")

    assert without.stdout == "nothing to replay\n"
    assert with_failed.stdout == "replayed 1 journal entries: 1 applied, 0 duplicate, 0 failed\n"
    assert table(cli, IngestJournalEntry, "state", "error") == [{"state": "applied", "error": None}]


def test_replay_since_leaves_older_entries_alone(cli):
    journaled_only(cli, webhook(messages_change(inbound("wamid.OLD", at=T0))), received_at=NOW - timedelta(days=2))
    journaled_only(cli, webhook(messages_change(inbound("wamid.NEW", at=T0))))

    result = pantau("ingest", "replay", "--since", "2026-03-02T00:00:00+00:00")

    assert result.stdout == "replayed 1 journal entries: 1 applied, 0 duplicate, 0 failed\n"
    assert [row["state"] for row in table(cli, IngestJournalEntry, "state")] == ["received", "applied"]
    assert table(cli, Message, "whatsapp_message_id") == [{"whatsapp_message_id": "wamid.NEW"}]


def test_replay_refuses_a_since_without_an_offset(cli):
    result = pantau("ingest", "replay", "--since", "2026-03-02T09:00")

    assert result.exit_code == 2
    assert "--since '2026-03-02T09:00' has no offset" in result.stderr


def test_status_counts_entries_and_lists_items_parked_over_a_week(cli):
    service.receive(cli, source=IngestSource.whatsapp, body=b"not json", headers={}, now=NOW)
    service.receive(
        cli,
        source=IngestSource.whatsapp,
        body=webhook(statuses_change(status("wamid.X", "read", at=T0))),
        headers={},
        now=NOW,
    )
    journaled_only(cli, webhook(messages_change(inbound("wamid.A", at=T0))))
    with cli.begin() as connection:
        connection.execute(update(ParkedItem.__table__).values(parked_at=datetime.now(UTC) - timedelta(days=8)))

    result = pantau("ingest", "status")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "journal entries: 1 received, 1 applied, 0 duplicate, 1 failed"
    assert lines[1].startswith("oldest not applied: entry 3, received 2026-03-02 03:00:00 UTC")
    assert lines[2] == "parked items: 1, of which 1 older than 7 days"
    assert lines[3].startswith("  whatsapp waiting for whatsapp_message wamid.X since ")
    assert lines[4] == "failed entries keep their error; `pantau ingest replay --failed` tries them again"


def test_purge_forgets_finished_entries_and_event_ids_past_the_retention(ingest_engine):
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    for received_at, event_id in ((old, "e-old"), (recent, "e-recent")):
        entry_id = ingest_journal.record(
            ingest_engine,
            source=IngestSource.events,
            headers={},
            received_at=received_at,
            body=json.dumps(batch(event(event_id, "team.upserted", T0, id=event_id, name="Team"))).encode(),
        )
        service.apply_entry(ingest_engine, entry_id, now=received_at)
    never_applied = journaled_only(ingest_engine, b"{}", received_at=old)

    purged = ingest_journal.purge(ingest_engine, NOW, 30)

    assert (purged.entries, purged.event_ids) == (1, 1)
    assert [(row["id"], row["state"]) for row in journal(ingest_engine)] == [
        (2, "applied"),
        (never_applied, "received"),
    ]
    assert table(ingest_engine, IngestEvent, "id") == [{"id": "e-recent"}]


def test_purge_keeps_the_ids_of_events_still_parked(doors, ingest_engine):
    doors.outcomes(event("e-parked", "conversation.resolved", T0, conversationId="c-9"))
    doors.outcomes(event("e-done", "team.upserted", T0, id="t-1", name="Sales"))

    purged = ingest_journal.purge(ingest_engine, datetime.now(UTC) + timedelta(days=31), 30)

    assert (purged.entries, purged.event_ids) == (2, 1)
    assert table(ingest_engine, IngestEvent, "id") == [{"id": "e-parked"}]


def test_the_scheduler_purges_the_journal_daily(ingest_engine, ingest_database_url):
    settings = make_settings(ingest_database_url, ingest_journal_days=1)
    journaled_only(ingest_engine, b"{}", received_at=datetime.now(UTC) - timedelta(days=3))
    ingest_journal.mark_failed(ingest_engine, 1, NOW, "invalid")
    runner = build_scheduler(ingest_engine, settings)

    job = runner.get_job("ingest-purge")
    run_purge(ingest_engine, settings)

    assert job.trigger.get_next_fire_time(None, local("2026-03-10 10:30")) == local("2026-03-11 03:30")
    assert journal(ingest_engine) == []
