"""How a change reaches every server process: in-process without Redis, through Redis pub/sub with it.

`publish` may be called from any thread (a request's worker thread, the event loop, a job); listeners are called
with each change, on the publishing thread (in-process) or on the bus's listener thread (Redis), and must hand the
change to their own loop themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pantau.realtime.changes import Change

log = logging.getLogger("pantau.realtime")

Listener = Callable[[Change], None]


class LocalBus:
    """One process: what is published here reaches this process's listeners, and nobody else."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._guard = threading.Lock()

    @property
    def degraded(self) -> bool:
        """True while changes from other processes may be missed (never, for one process)."""
        return False

    def listen(self, listener: Listener) -> None:
        with self._guard:
            self._listeners.append(listener)

    def publish(self, change: Change) -> None:
        self._deliver(change)

    def _deliver(self, change: Change) -> None:
        with self._guard:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                log.exception("a realtime listener failed on a change")

    def close(self) -> None:
        with self._guard:
            self._listeners.clear()
