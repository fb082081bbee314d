"""The read router without a running replica: a replica that does not answer is left aside, and what is logged about
it never carries its password."""

from __future__ import annotations

import logging
import socket

from sqlalchemy import event

from pantau.core.database import make_engine
from pantau.core.replica import ReadRouter, lsn_number
from tests.support.databases import POSTGRES_ADMIN_URL


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wal_positions_compare_as_numbers():
    assert lsn_number("0/16B3748") == 0x16B3748
    assert lsn_number("1/0") == 1 << 32
    assert lsn_number("1/0") > lsn_number("0/FFFFFFFF")


def test_an_unreachable_replica_sends_reads_to_the_primary_and_the_warning_hides_its_password(caplog):
    primary = make_engine("sqlite://")
    replica = make_engine(f"postgresql+psycopg://pantau:s3cret-pw@127.0.0.1:{_dead_port()}/pantau")
    router = ReadRouter(primary, replica, max_lag_seconds=5, check_seconds=60)
    try:
        with caplog.at_level(logging.WARNING, logger="pantau.database"):
            assert router.read_engine() is primary
            # The verdict is kept: the second read neither asks the replica again nor warns again.
            assert router.read_engine() is primary
    finally:
        router.dispose()
        primary.dispose()
    messages = [record.getMessage() for record in caplog.records if record.name == "pantau.database"]
    assert len(messages) == 1, messages
    assert "127.0.0.1" in messages[0] and "did not answer" in messages[0]
    assert "s3cret-pw" not in messages[0]


def test_a_server_not_in_recovery_is_not_a_replica_and_the_verdict_is_kept_between_checks(caplog):
    """The test's own PostgreSQL, a primary, named as the replica: its lag cannot be known, so reads go to the
    primary; it is asked once per DATABASE_READ_CHECK_SECONDS, not once per read."""
    primary = make_engine("sqlite://")
    not_a_replica = make_engine(POSTGRES_ADMIN_URL)
    statements: list[str] = []
    event.listen(not_a_replica, "before_cursor_execute", lambda *args: statements.append(args[2]))
    router = ReadRouter(primary, not_a_replica, max_lag_seconds=5, check_seconds=3600)
    try:
        with caplog.at_level(logging.WARNING, logger="pantau.database"):
            for _ in range(5):
                assert router.read_engine() is primary
    finally:
        router.dispose()
        primary.dispose()
    assert [s for s in statements if "pg_is_in_recovery" in s] == [
        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
    ]
    messages = [record.getMessage() for record in caplog.records if record.name == "pantau.database"]
    assert len(messages) == 1 and "is not in recovery" in messages[0], messages
