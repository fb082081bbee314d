"""Group commit: bodies that arrive while others are being written are written together, in one journal commit and
one apply commit for the group instead of two commits each.

A request hands its body to the gate and waits for its own outcome. The first to find the gate free takes every
body waiting (up to `max_group`, its own among them) and writes them on a worker thread; the bodies that arrive
meanwhile wait, and the next request to get the gate takes all of them at once. Each request is answered only after
the commit that made its body's outcome durable: a group's outcomes are handed out after its apply commit.

One gate per event loop (a test client may run each request on a loop of its own).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


@dataclass
class _Gate(Generic[Item, Outcome]):
    slots: asyncio.Semaphore
    waiting: list[tuple[Item, asyncio.Future[Outcome]]] = field(default_factory=list)


class GroupCommit(Generic[Item, Outcome]):
    """`write(items)` writes a group (on a worker thread) and returns one outcome per item, in order; `after` is
    called on the event loop with a group's outcomes once they are all known."""

    def __init__(
        self,
        write: Callable[[list[Item]], list[Outcome]],
        *,
        max_group: int,
        in_flight: int = 1,
        after: Callable[[list[Outcome]], None] | None = None,
    ) -> None:
        self._write = write
        self._after = after
        self._max_group = max_group
        self._in_flight = in_flight
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gate[Item, Outcome]] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> _Gate[Item, Outcome]:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = _Gate(asyncio.Semaphore(self._in_flight))
        return gate

    async def submit(self, item: Item) -> Outcome:
        """The item's outcome, once the group it was written with is committed; the exception `write` raised, if it
        raised one for the whole group."""
        gate = self._gate()
        mine: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        entry = (item, mine)
        gate.waiting.append(entry)
        try:
            async with gate.slots:
                # Until a group takes this item: another group in flight may have taken it meanwhile.
                while entry in gate.waiting:
                    group = gate.waiting[: self._max_group]
                    del gate.waiting[: self._max_group]
                    # Shielded: should this request be cancelled (its client gone), the group is still written and
                    # every other request in it answered.
                    await asyncio.shield(asyncio.ensure_future(self._write_group(group)))
        except asyncio.CancelledError:
            if entry in gate.waiting:
                # Not taken into a group yet: nothing of it was written.
                gate.waiting.remove(entry)
            raise
        return await asyncio.shield(mine)

    async def _write_group(self, group: list[tuple[Item, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await run_in_threadpool(self._write, [item for item, _ in group])
        except Exception as exc:
            for _, waiting in group:
                if not waiting.done():
                    waiting.set_exception(exc)
            return
        for (_, waiting), outcome in zip(group, outcomes, strict=True):
            if not waiting.done():
                waiting.set_result(outcome)
        if self._after is not None:
            self._after(outcomes)
