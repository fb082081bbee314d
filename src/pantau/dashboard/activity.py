"""Agent status logs clipped to a window: the time an agent spent online or away inside a range (SPEC §5.5 activeTime
and idleTime, §5.7 agent cost). A log counts from max(its start, window start) to min(its end, window end, now); a
log still open runs to that limit; a window that starts after now holds no time at all."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, literal, or_

from pantau.core.sql import seconds_between
from pantau.core.windows import Window
from pantau.models import AgentActivityLog

activity_logs = AgentActivityLog.__table__


def _limit(window: Window):
    return max(window.start, window.effective_end)


def overlaps(window: Window) -> ColumnElement[bool]:
    """The logs with some time inside the window."""
    logs = activity_logs.c
    return and_(logs.started_at < _limit(window), or_(logs.ended_at.is_(None), logs.ended_at > window.start))


def seconds_inside(window: Window) -> ColumnElement[float]:
    """Seconds of a log inside the window (meaningful for the logs `overlaps` keeps)."""
    logs = activity_logs.c
    moment = logs.started_at.type
    until = _limit(window)
    clipped_start = case((logs.started_at > window.start, logs.started_at), else_=literal(window.start, moment))
    clipped_end = case(
        (and_(logs.ended_at.is_not(None), logs.ended_at < until), logs.ended_at), else_=literal(until, moment)
    )
    return seconds_between(clipped_end, clipped_start)
