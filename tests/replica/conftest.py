"""A real PostgreSQL streaming replica for the tests, started by them.

The machine's own server (PANTAU_TEST_POSTGRES_URL) takes no replication connections unless its pg_hba.conf says
so, and the tests never edit a machine's configuration: they start a primary of their own (`initdb` into a temporary
directory, its pg_hba.conf allowing replication over its unix socket), copy it with `pg_basebackup -R` into a second
directory and start that as a hot standby on another port. Both use the machine's PostgreSQL binaries
(/usr/lib/postgresql/<version>/bin); PostgreSQL refuses to run as root, so as root the commands run as the
`postgres` user (`runuser -u postgres --`), which is given the temporary directory. Without the binaries the tests
are skipped, naming what is missing.

`replica_pair` lives for the session: both servers are stopped and their directories removed at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from pantau.core.database import make_engine
from pantau.migrations.runner import upgrade

BINARIES = ("initdb", "pg_ctl", "pg_basebackup")
WAIT_SECONDS = 120


def _binaries() -> Path | None:
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all(Path(directory, name).exists() for name in BINARIES):
            return Path(directory)
    found = [shutil.which(name) for name in BINARIES]
    if all(found):
        return Path(found[0]).parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ReplicaPair:
    """A primary and its streaming replica, each a `postgres` process on a port of its own."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="pantau-replica-"))
        self.root.chmod(0o755)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.primary_dir = self.root / "primary"
        self.replica_dir = self.root / "replica"
        self.primary_port = _free_port()
        self.replica_port = _free_port()
        self.database = "pantau"
        self.primary_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.primary_port}/{self.database}"
        self.replica_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.replica_port}/{self.database}"

    def _run(self, *command: str) -> None:
        full = [str(self.binaries / command[0]), *command[1:]]
        if self.as_root:
            full = ["runuser", "-u", "postgres", "--", *full]
        result = subprocess.run(full, capture_output=True, text=True, timeout=WAIT_SECONDS, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")

    def _options(self, port: int) -> str:
        return f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (self.primary_dir / "pg_hba.conf").open("a") as hba:
            hba.write("local replication all trust\nhost replication all 127.0.0.1/32 trust\n")
        self.start_server(self.primary_dir, self.primary_port)
        self._run(
            "pg_basebackup", "-h", str(self.root), "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(self.replica_dir), "-R", "-X", "stream",
        )  # fmt: skip
        self.start_server(self.replica_dir, self.replica_port)

    def start_server(self, directory: Path, port: int) -> None:
        log = self.root / f"{directory.name}.log"
        self._run("pg_ctl", "-D", str(directory), "-l", str(log), "-o", self._options(port), "-w", "start")

    def stop_replica(self) -> None:
        self._run("pg_ctl", "-D", str(self.replica_dir), "-m", "fast", "-w", "stop")

    def start_replica(self) -> None:
        self.start_server(self.replica_dir, self.replica_port)

    def close(self) -> None:
        for directory in (self.replica_dir, self.primary_dir):
            if (directory / "postmaster.pid").exists():
                try:
                    self._run("pg_ctl", "-D", str(directory), "-m", "immediate", "-w", "stop")
                except RuntimeError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)


def wait_for_replay(primary: Engine, replica: Engine) -> None:
    """Return once the replica has replayed everything the primary has written so far."""
    with primary.connect() as connection:
        written = connection.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with replica.connect() as connection:
            caught_up = connection.execute(
                text("SELECT pg_last_wal_replay_lsn() >= CAST(:written AS pg_lsn)"), {"written": written}
            ).scalar_one()
        if caught_up:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the replica never replayed the primary's WAL")
        time.sleep(0.02)


def set_replay(replica: Engine, paused: bool) -> None:
    with replica.connect() as connection:
        connection.execute(text("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"))
        connection.commit()


@pytest.fixture(scope="session")
def replica_pair() -> Iterator[ReplicaPair]:
    binaries = _binaries()
    if binaries is None:
        pytest.skip(f"PostgreSQL's {', '.join(BINARIES)} are needed (e.g. /usr/lib/postgresql/15/bin)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root needs runuser to start PostgreSQL as the postgres user")
    pair = ReplicaPair(binaries)
    try:
        pair.start()
        admin = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{pair.primary_port}/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{pair.database}"'))
        admin.dispose()
        primary = make_engine(pair.primary_url)
        upgrade(primary)
        primary.dispose()
        yield pair
    finally:
        pair.close()
