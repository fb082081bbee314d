"""Running `pantau` as an operator does: a real process, in a directory of its own (no `.env` but the test's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Settings a developer's shell may hold that would change what a command under test sees.
_CLEARED = {
    "DATABASE_URL",
    "DATABASE_READ_URL",
    "REDIS_URL",
    "ENVIRONMENT",
    "SECRET_KEY",
    "CRON_SECRET",
    "METRICS_TOKEN",
    "SMTP_HOST",
    "SMTP_PORT",
    "TIMEZONE",
}


def pantau_env(database_url: str, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _CLEARED}
    env.update({"DATABASE_URL": database_url, **(extra_env or {})})
    return env


def run_pantau(
    *args: str, database_url: str, cwd: Path, extra_env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pantau", *args],
        env=pantau_env(database_url, extra_env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


_PAUSE_AT_LINE = '''\
"""Installed by the tests: the process stops after writing a line that starts with {prefix!r} to stderr, until a
signal arrives (SIGINT then raises KeyboardInterrupt right there, as Ctrl-C at that moment would)."""
import signal
import sys


class _PausingStream:
    def __init__(self, stream):
        self._stream = stream
        self._paused = False

    def write(self, text):
        written = self._stream.write(text)
        if not self._paused and any(line.startswith({prefix!r}) for line in text.splitlines()):
            self._paused = True
            self._stream.flush()
            signal.pause()
        return written

    def __getattr__(self, name):
        return getattr(self._stream, name)


sys.stderr = _PausingStream(sys.stderr)
'''


def pause_at_line(directory: Path, prefix: str, env: dict[str, str]) -> dict[str, str]:
    """`env` for a `pantau` that waits, after writing a stderr line starting with `prefix`, for a signal: a test can
    interrupt it at exactly that point however busy the machine is (no race between the process and the test)."""
    hook = directory / "pause-at-line"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_PAUSE_AT_LINE.format(prefix=prefix))
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))}
