"""Progress of a long command, on standard error (standard output stays for results and `--json`).

On a terminal: a rich bar with what is being done, the count, the time spent and an estimate of the time left. Not on
a terminal (a log, a CI run, a pipe): plain lines without control characters, one when the work starts, one each
time another tenth of it is done or `PLAIN_EVERY_SECONDS` have passed since the last line, and one at the end.

Ctrl-C: wrap the work in `stopped_cleanly`, which ends the bar, says what was done and exits with
`EXIT_INTERRUPTED`. Each command keeps its own work whole on interruption (a backfill's week, a replayed entry and the
demo load are each one transaction).

    with Progress("backfill", total=len(weeks), unit="weeks") as progress, stopped_cleanly(progress, advice):
        backfill(..., on_week_done=lambda _: progress.advance())
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from pantau.cli.output import EXIT_INTERRUPTED

PLAIN_EVERY_SECONDS = 15.0


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """One piece of work of `total` steps of `unit` (a total of None: counted, no estimate). `stage` starts the next
    piece of the same command (a bench's backfill, then its sections)."""

    def __init__(
        self,
        what: str,
        total: int | None = None,
        unit: str = "steps",
        *,
        stream: TextIO | None = None,
        every_seconds: float = PLAIN_EVERY_SECONDS,
    ):
        self.stream = stream or sys.stderr
        self.every_seconds = every_seconds
        self.interactive = self.stream.isatty()
        self.what, self.total, self.unit = what, total, unit
        self.completed = 0
        self.note = ""
        self._started = time.monotonic()
        self._last_line = self._started
        self._last_tenth = -1
        self._reported = -1
        self._never_counted = total is None  # a command whose stages come later
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

    # The bar, or the plain lines.

    def __enter__(self) -> Progress:
        if self.interactive:
            self._bar = RichProgress(
                TextColumn("[bold]{task.description}[/bold]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"),
                TimeElapsedColumn(),
                TextColumn("elapsed,"),
                TimeRemainingColumn(),
                TextColumn("left"),
                TextColumn("{task.fields[note]}"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.what, total=self.total, unit=self.unit, note="")
        elif self.total is not None:
            self._line()  # (work whose size is not known yet says so with its first count)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self.stop()
        elif exc_info[0] is None and self.completed != self._reported:
            self._line(final=True)

    def stop(self) -> None:
        """End the bar (on a terminal), leaving it drawn as it stands."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def stage(self, what: str, total: int | None = None, unit: str = "steps") -> None:
        """Start the next piece of work: a new bar on a terminal, a new line of its own otherwise."""
        if not self.interactive and 0 <= self._reported != self.completed:
            self._line(final=True)
        self.what, self.total, self.unit = what, total, unit
        self.completed, self.note = 0, ""
        self._started = self._last_line = time.monotonic()
        self._last_tenth = -1
        if self._bar is not None:
            if self._never_counted:
                # The command's own bar, before its first stage: nothing to keep.
                self._bar.remove_task(self._bar_task())
            self._task = self._bar.add_task(what, total=total, unit=unit, note="")
        else:
            self._line()
        self._never_counted = False

    def _bar_task(self) -> TaskID:
        assert self._task is not None, "the bar's task is added with the bar"
        return self._task

    def advance(self, steps: int = 1, note: str | None = None) -> None:
        self.update(self.completed + steps, note)

    def update(self, completed: int, note: str | None = None) -> None:
        self._never_counted = False
        self.completed = completed
        if note is not None:
            self.note = note
        if self._bar is not None:
            self._bar.update(self._bar_task(), completed=completed, note=self.note)
            return
        now = time.monotonic()
        tenth = int(10 * completed / self.total) if self.total else -1
        if tenth > self._last_tenth or now - self._last_line >= self.every_seconds:
            self._line()

    def report(self, stage: str, done: int, total: int | None) -> None:
        """A callback for code that names its stages: `(stage, done, total)`, a new stage when the name changes (its
        name says what is counted: "backfill weeks")."""
        if stage != self.what:
            self.stage(stage, total, "")
        elif total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.update(self._bar_task(), total=total)
        self.update(done)

    # What was done, for the last line and the interruption message.

    def done(self) -> str:
        counted = str(self.completed) if self.total is None else f"{self.completed} of {self.total}"
        return f"{counted} {self.unit}".rstrip()

    def _line(self, *, final: bool = False) -> None:
        now = time.monotonic()
        elapsed = now - self._started
        parts = [f"{self.what}: {self.completed}"]
        if self.total is not None:
            parts[0] += f"/{self.total}"
        if self.unit:
            parts[0] += f" {self.unit}"
        if self.total:
            parts[0] += f" ({100 * self.completed // self.total}%)"
        parts.append(f"{_duration(elapsed)} elapsed")
        if not final and self.total and 0 < self.completed < self.total:
            parts.append(f"about {_duration(elapsed * (self.total - self.completed) / self.completed)} left")
        if self.note:
            parts.append(self.note)
        self.stream.write(", ".join(parts) + "\n")
        self.stream.flush()
        self._last_line = now
        self._reported = self.completed
        if self.total:
            self._last_tenth = int(10 * self.completed / self.total)


@contextmanager
def stopped_cleanly(progress: Progress, outcome: Callable[[], str]) -> Iterator[None]:
    """On Ctrl-C (SIGINT): end the bar, say what was done (`outcome()`, e.g. "3 of 10 weeks rebuilt; the week in
    progress was rolled back") and exit with `EXIT_INTERRUPTED` instead of a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        progress.stop()
        typer.echo(f"interrupted: {outcome()}", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
