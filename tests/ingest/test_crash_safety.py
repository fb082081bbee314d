"""Nothing lost: a real `pantau serve` killed with SIGKILL while it applies a large batch; after
`pantau ingest replay` every row of the batch is there exactly once, and the sender's retry changes nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import pytest
from sqlalchemy import Engine, func, select, text

from pantau.models import Contact, Conversation, IngestEvent, IngestJournalEntry, Message, ParkedItem, Team
from pantau.models.enums import TokenPermission
from tests.ingest.conftest import issue, journal
from tests.ingest.payloads import EVENTS, batch, event
from tests.support.builders import local
from tests.test_cli import run_pantau

pytestmark = pytest.mark.commits

AT = local("2026-03-02 09:00")
CONVERSATIONS = 180
MESSAGES_EACH = 3
LOCKED_TEAM = "t-locked"
# Contacts of no conversation, filling the batch up to 1,000 events.
EXTRA_CONTACTS = 1000 - 1 - CONVERSATIONS * (MESSAGES_EACH + 2)


def large_batch() -> dict:
    """1,000 events: messages first (each parked, waiting for its conversation), then the contacts and the
    conversations that release them, and last a team renamed."""
    messages = [
        event(
            f"e-m-{n}-{k}",
            "message.created",
            AT,
            id=f"m-{n}-{k}",
            conversationId=f"c-{n}",
            direction="inbound",
            senderType="customer",
        )
        for n in range(CONVERSATIONS)
        for k in range(MESSAGES_EACH)
    ]
    contacts = [event(f"e-k-{n}", "contact.upserted", AT, id=f"k-{n}") for n in range(CONVERSATIONS)]
    conversations = [
        event(f"e-c-{n}", "conversation.opened", AT, id=f"c-{n}", contactId=f"k-{n}") for n in range(CONVERSATIONS)
    ]
    extra = [event(f"e-k-extra-{n}", "contact.upserted", AT, id=f"k-extra-{n}") for n in range(EXTRA_CONTACTS)]
    renamed = event("e-team", "team.upserted", AT, id=LOCKED_TEAM, name="Renamed")
    return batch(*messages, *contacts, *conversations, *extra, renamed)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "SECRET_KEY"}}
    env["DATABASE_URL"] = database_url
    return env


@contextmanager
def pantau_serve(database_url: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`pantau serve` in a process of its own; yields it and its base URL once it says it is listening."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pantau", "serve", "--port", str(port)],
        env=server_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in process.stdout:
            if "Pantau is listening" in line:
                break
        else:
            raise RuntimeError("pantau serve stopped before listening")
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        process.stdout.close()


def count(engine: Engine, model) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def ids(engine: Engine, model) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(select(model.id)).scalars())


def wait_until(condition, what: str) -> None:
    """Poll a real condition (the database's state), giving up after a minute."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting until {what}")
        time.sleep(0.002)


def journaled(engine: Engine) -> bool:
    return count(engine, IngestJournalEntry) > 0


@contextmanager
def team_row_held(engine: Engine) -> Iterator[None]:
    """PostgreSQL: the locked team's row held FOR UPDATE, so the batch's last event waits for it mid-transaction."""
    with engine.connect() as connection, connection.begin():
        connection.execute(select(Team).where(Team.id == LOCKED_TEAM).with_for_update())
        yield


def waiting_on_the_team(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE teams%'"
                )
            ).scalar_one()
        )


def test_a_server_killed_while_applying_a_batch_loses_nothing_and_duplicates_nothing(
    ingest_engine, crm_user, ingest_database_url, dialect
):
    with ingest_engine.begin() as connection:
        connection.execute(Team.__table__.insert().values(id=LOCKED_TEAM, name="Before"))
    token = issue(ingest_engine, crm_user, TokenPermission.ingest)
    body = large_batch()
    headers = {"Authorization": f"Bearer {token}"}
    answers: list[object] = []

    def send(base_url: str) -> None:
        try:
            answers.append(httpx2.post(base_url + EVENTS, json=body, headers=headers, timeout=120))
        except httpx2.TransportError as exc:
            answers.append(exc)

    with pantau_serve(ingest_database_url) as (server, base_url):
        sender = threading.Thread(target=send, args=(base_url,))
        if dialect == "postgresql":
            # Deterministic: the transaction has applied 999 events and waits on the team's row when it is killed.
            with team_row_held(ingest_engine):
                sender.start()
                wait_until(lambda: waiting_on_the_team(ingest_engine), "the batch waits on the team's row")
                os.kill(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
        else:
            # SQLite has no row lock to hold: the kill follows the journal's commit, while the 1,000 events apply.
            sender.start()
            wait_until(lambda: journaled(ingest_engine), "the batch is journaled")
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        sender.join(timeout=60)

    assert isinstance(answers[0], httpx2.TransportError), "the sender got no answer"
    assert [entry["state"] for entry in journal(ingest_engine)] == ["received"]
    assert count(ingest_engine, Message) == 0 and count(ingest_engine, IngestEvent) == 0

    replayed = run_pantau("ingest", "replay", database_url=ingest_database_url)
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 1 journal entries: 1 applied, 0 duplicate, 0 failed" in replayed.stdout

    expected_messages = sorted(f"m-{n}-{k}" for n in range(CONVERSATIONS) for k in range(MESSAGES_EACH))
    assert ids(ingest_engine, Message) == expected_messages
    assert ids(ingest_engine, Conversation) == sorted(f"c-{n}" for n in range(CONVERSATIONS))
    assert count(ingest_engine, Contact) == CONVERSATIONS + EXTRA_CONTACTS
    assert count(ingest_engine, ParkedItem) == 0
    assert count(ingest_engine, IngestEvent) == 1000
    with ingest_engine.connect() as connection:
        assert connection.execute(select(Team.name).where(Team.id == LOCKED_TEAM)).scalar_one() == "Renamed"

    # The sender never got an answer, so it sends the batch again: every event is a duplicate, nothing changes.
    with pantau_serve(ingest_database_url) as (_server, base_url):
        retry = httpx2.post(base_url + EVENTS, json=body, headers=headers, timeout=120)
    assert retry.status_code == 200, retry.text
    assert {result["outcome"] for result in retry.json()["results"]} == {"duplicate"}
    assert ids(ingest_engine, Message) == expected_messages
    assert [entry["state"] for entry in journal(ingest_engine)] == ["applied", "duplicate"]
