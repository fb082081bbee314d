"""Progress of long commands: a bar on a terminal, plain lines in a log, and Ctrl-C that stops cleanly, leaving every
snapshot bucket as it was before the backfill or as the backfill makes it, never torn."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text

from pantau.aggregation.jobs import backfill
from pantau.cli.progress import Progress
from pantau.ingest import journal
from pantau.models import AnalyticsSnapshot
from pantau.models.enums import IngestSource
from tests.conftest import make_settings
from tests.support.builders import Dataset
from tests.support.cli import pantau_env, pause_at_line, run_pantau
from tests.support.databases import engine_for

ZONE = ZoneInfo("Asia/Jakarta")
FIRST, LAST = date(2026, 1, 5), date(2026, 2, 1)  # four local weeks, Monday to Sunday
WEEKS = [datetime(2026, 1, 5, tzinfo=ZONE) + timedelta(weeks=week) for week in range(4)]
PLAIN_LINE = re.compile(r"^backfill: (\d)/4 weeks \((\d+)%\), \d+ s elapsed(, about \d+ s left)?, week of [-\d]+$")
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _conversations(data: Dataset, hour: int) -> None:
    """One resolved conversation in each of the four weeks, on its Tuesday at `hour` local time; committed."""
    for week in WEEKS:
        created = (week + timedelta(days=1, hours=hour)).astimezone(UTC)
        data.make_conversation(created, status="resolved", resolved_at=created + timedelta(minutes=20))
    data.connection.commit()


def test_plain_progress_lines_every_tenth_and_nothing_else():
    stream = io.StringIO()
    with Progress("export", total=20, unit="rows", stream=stream, every_seconds=float("inf")) as progress:
        for _ in range(20):
            progress.advance()
    lines = stream.getvalue().splitlines()
    counts = [int(re.match(r"export: (\d+)/20 rows", line).group(1)) for line in lines]
    assert counts == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    assert not CONTROL.search(stream.getvalue().replace("\n", ""))
    assert progress.done() == "20 of 20 rows"


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_backfill_without_a_terminal_writes_plain_lines(dialect, tmp_path, migrated_url):
    engine = engine_for(migrated_url)
    with engine.connect() as connection:
        _conversations(Dataset(connection), hour=10)
    engine.dispose()

    result = run_pantau(
        "aggregate", "backfill", "--from", str(FIRST), "--to", str(LAST), database_url=migrated_url, cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert not CONTROL.search(result.stderr.replace("\n", ""))
    lines = result.stderr.splitlines()
    assert [PLAIN_LINE.match(line).group(1) for line in lines[1:]] == ["1", "2", "3", "4"]
    assert lines[0] == "backfill: 0/4 weeks (0%), 0 s elapsed"
    assert result.stdout.startswith(f"backfill {FIRST}..{LAST}: 4 weeks, ")


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_backfill_on_a_terminal_draws_a_bar(dialect, tmp_path, migrated_url):
    engine = engine_for(migrated_url)
    with engine.connect() as connection:
        _conversations(Dataset(connection), hour=10)
    engine.dispose()
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "pantau", "aggregate", "backfill", "--from", str(FIRST), "--to", str(LAST)],
        env=pantau_env(migrated_url, {"COLUMNS": "120", "TERM": "xterm-256color"}),
        cwd=tmp_path,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    received = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: every process holding it has ended
            break
        if not chunk:
            break
        received += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    shown = received.decode()
    assert "\x1b[" in shown  # drawn and redrawn in place
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert re.search(r"backfill .*━.* 4/4 weeks", plain)
    assert "week of 2026-01-26" in plain
    assert f"backfill {FIRST}..{LAST}: 4 weeks, " in plain


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_ingest_replay_without_a_terminal_counts_the_entries(dialect, tmp_path, migrated_url):
    engine = engine_for(migrated_url)
    for _ in range(3):
        journal.record(engine, source=IngestSource.events, body=b"{}", headers={}, received_at=datetime.now(UTC))
    engine.dispose()

    result = run_pantau("ingest", "replay", database_url=migrated_url, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    counts = [
        re.match(r"replay: (\d)/3 journal entries \(\d+%\)", line).group(1) for line in result.stderr.splitlines()
    ]
    assert counts == ["0", "1", "2", "3"]
    assert result.stdout.startswith("replayed 3 journal entries: ")


def _snapshots(engine: Engine) -> dict[tuple, tuple]:
    table = AnalyticsSnapshot.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                table.c.snapshot_type,
                table.c.snapshot_date,
                table.c.scope_type,
                table.c.scope_id,
                table.c.metrics,
                table.c.message_metrics,
                table.c.contact_metrics,
            )
        ).all()
    return {tuple(row[:4]): tuple(row[4:]) for row in rows}


def _week_of(key: tuple) -> int:
    moment = key[1]
    return next(index for index in reversed(range(4)) if moment >= WEEKS[index])


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_a_backfill_stopped_by_sigint_leaves_every_bucket_old_or_new(dialect, tmp_path, migrated_url):
    engine = engine_for(migrated_url)
    settings = make_settings(migrated_url)
    with engine.connect() as connection:
        data = Dataset(connection)
        _conversations(data, hour=10)
        backfill(engine, settings, FIRST, LAST)
        old = _snapshots(engine)
        _conversations(data, hour=15)  # every week changes

    # Hold the third week's organisation row: the backfill rebuilds weeks one and two, then waits in the third,
    # having rewritten its hours and days but not yet that week.
    with engine.connect() as holder:
        holder.begin()
        holder.execute(
            text(
                "SELECT id FROM analytics_snapshots WHERE snapshot_type = 'weekly' AND scope_type = 'org' "
                "AND snapshot_date = :week FOR UPDATE"
            ),
            {"week": WEEKS[2].astimezone(UTC)},
        ).one()
        process = subprocess.Popen(
            [sys.executable, "-m", "pantau", "aggregate", "backfill", "--from", str(FIRST), "--to", str(LAST)],
            # A backfill that does not stop is asked for its threads' stacks (SIGABRT), for the failure to show.
            env=pantau_env(migrated_url, {"PYTHONFAULTHANDLER": "1"}),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_until_a_statement_waits_for_a_lock(engine, process)
            process.send_signal(signal.SIGINT)
            try:
                stdout, stderr = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGABRT)
                raise AssertionError(f"the backfill did not stop on SIGINT:\n{process.communicate()[1]}") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        holder.rollback()

    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == (
        "interrupted: 2 of 4 weeks rebuilt; the week in progress was rolled back, its snapshots are as before. "
        "Run the same backfill again to finish."
    )
    assert stdout == ""
    interrupted = _snapshots(engine)
    backfill(engine, settings, FIRST, LAST)
    new = _snapshots(engine)
    engine.dispose()

    for key in old.keys() | new.keys() | interrupted.keys():
        assert interrupted.get(key) in (old.get(key), new.get(key)), key
    by_week = {week: {key for key in old.keys() | new.keys() if _week_of(key) == week} for week in range(4)}
    for week in (0, 1):
        assert {key: interrupted.get(key) for key in by_week[week]} == {key: new.get(key) for key in by_week[week]}
    for week in (2, 3):
        assert {key: interrupted.get(key) for key in by_week[week]} == {key: old.get(key) for key in by_week[week]}
        assert any(old.get(key) != new.get(key) for key in by_week[week])


def _wait_until_a_statement_waits_for_a_lock(engine: Engine, process: subprocess.Popen) -> None:
    """Until a connection of the backfill waits for a row lock (the condition itself, looked up in PostgreSQL)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 120
    with engine.connect() as watcher:
        while watcher.execute(query).scalar_one() == 0:
            watcher.rollback()
            if process.poll() is not None:
                raise AssertionError(f"the backfill ended before it waited: {process.communicate()}")
            if time.monotonic() > deadline:
                raise AssertionError("the backfill never waited for the held row")
            time.sleep(0.05)


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_demo_load_stopped_by_sigint_keeps_nothing(dialect, tmp_path, migrated_url):
    # The process waits after writing that the third day is done, so the interruption lands mid-load every time.
    process = subprocess.Popen(
        [sys.executable, "-m", "pantau", "demo", "--size", "S"],
        env=pause_at_line(tmp_path, "demo S: 3/8 days", pantau_env(migrated_url)),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stderr:  # plain lines: the third day has been written, five remain
            lines.append(line)
            if line.startswith("demo S: 3/8 days"):
                process.send_signal(signal.SIGINT)
                break
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 130, "".join(lines) + stderr
    assert re.fullmatch(
        r"interrupted: stopped after 3 of 8 days; the load is one transaction, so nothing of it was kept "
        r"\(the database is as it was\)\n",
        stderr,
    )
    assert stdout == ""
    engine = engine_for(migrated_url)
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("users", "contacts", "conversations", "messages")
        }
    engine.dispose()
    assert counts == {"users": 0, "contacts": 0, "conversations": 0, "messages": 0}


def test_stages_each_get_their_own_plain_lines():
    stream = io.StringIO()
    with Progress("bench", unit="", stream=stream, every_seconds=float("inf")) as progress:
        for done in range(3):
            progress.report("hourly runs", done, 2)
        progress.report("sections measured", 0, 1)
        progress.report("sections measured", 1, 1)
    assert [line.split(",")[0] for line in stream.getvalue().splitlines()] == [
        "hourly runs: 0/2 (0%)",
        "hourly runs: 1/2 (50%)",
        "hourly runs: 2/2 (100%)",
        "sections measured: 0/1 (0%)",
        "sections measured: 1/1 (100%)",
    ]
    assert progress.done() == "1 of 1"
