"""Now, as Pantau sees it: one place that reads the time, so the tests can pin it (a test that plants data at
"now" and asks for "today" must not fail across midnight in TIMEZONE)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)
