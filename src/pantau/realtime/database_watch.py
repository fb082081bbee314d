"""On PostgreSQL, rows a CRM writes straight into the tables (not through ingest) reach the subscribers: the tables'
triggers (migration 0012) NOTIFY `pantau_changes` at commit, and each server process LISTENs on a connection of its
own. A notification says which table, not whose rows: it touches every scope (each topic is recomputed and pushed
only if its answer changed). Notifications arriving together are one change. When the connection drops, the
listener reconnects with back-off and, once back, announces one change for what it may have missed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

from pantau.realtime.changes import Change

log = logging.getLogger("pantau.realtime")

CHANNEL = "pantau_changes"
RECONNECT_MAX_SECONDS = 5.0


def libpq_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class DatabaseWatch:
    def __init__(self, url: URL, deliver: Callable[[Change], None]) -> None:
        self._conninfo = libpq_url(url)
        self._deliver = deliver
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pantau-realtime-db", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        backoff = 0.5
        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if not first:
                        self._deliver(Change.of("database"))
                    first = False
                    backoff = 0.5
                    while not self._stop.is_set():
                        tables = {n.payload for n in connection.notifies(timeout=1.0, stop_after=1000)}
                        if tables:
                            self._deliver(Change.of("database"))
            except psycopg.Error as exc:
                self.listening.clear()
                first = False
                log.warning("realtime: listening to the database failed (%s); trying again", exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)

    def close(self) -> None:
        self._stop.set()
