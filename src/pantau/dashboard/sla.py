"""The first-response SLA (SPEC §3, §5.2): which conversations meet the target, breach it, or are still pending,
and the status colour of a response time. One definition for the whole organisation and for each agent."""

from __future__ import annotations

from datetime import datetime
from sqlalchemy import ColumnElement, Label, and_, literal, not_, or_
from sqlalchemy.sql import Subquery

from pantau.core import numbers
from pantau.core.sql import seconds_between
from pantau.dashboard.facts import count_where, response_seconds
from pantau.dashboard.schemas import Status


def unanswered_overdue(facts: Subquery, now: datetime, target_seconds: float) -> ColumnElement[bool]:
    """Unanswered and waiting longer than the target since s0: already breaching the SLA."""
    return and_(facts.c.unanswered == 1, seconds_between(literal(now, facts.c.s0.type), facts.c.s0) > target_seconds)


def sla_counts(facts: Subquery, now: datetime, target_seconds: float) -> list[Label[int]]:
    """compliant (FRT <= target), non_compliant (FRT > target, or unanswered longer than the target at `now`) and
    pending (unanswered, still within the target)."""
    frt = response_seconds(facts)
    overdue = unanswered_overdue(facts, now, target_seconds)
    return [
        count_where(frt <= target_seconds).label("compliant"),
        count_where(or_(frt > target_seconds, overdue)).label("non_compliant"),
        count_where(and_(facts.c.unanswered == 1, not_(overdue))).label("pending"),
    ]


def sla_percentage(compliant: int, non_compliant: int) -> float | None:
    """compliant / (compliant + non_compliant); pending conversations are not judged yet."""
    return numbers.percentage(compliant, compliant + non_compliant)


def sla_status(seconds: float | None, target: float) -> Status | None:
    """good <= target, warning <= 1.5 x target, critical above; none without a figure."""
    if seconds is None:
        return None
    if seconds <= target:
        return "good"
    return "warning" if seconds <= 1.5 * target else "critical"
