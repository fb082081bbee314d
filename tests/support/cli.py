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
