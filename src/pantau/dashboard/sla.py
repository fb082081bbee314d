"""The first-response SLA (SPEC §3, §5.2): when an unanswered conversation already breaches it, and the status colour
of a response time. The compliant / non-compliant / pending counts are parts (`dashboard.parts`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, literal
from sqlalchemy.sql import Subquery

from pantau.core.sql import seconds_between
from pantau.dashboard.schemas import Status


def unanswered_overdue(facts: Subquery, now: datetime, target_seconds: float) -> ColumnElement[bool]:
    """Unanswered and waiting longer than the target since s0: already breaching the SLA."""
    return and_(facts.c.unanswered == 1, seconds_between(literal(now, facts.c.s0.type), facts.c.s0) > target_seconds)


def sla_status(seconds: float | None, target: float) -> Status | None:
    """good <= target, warning <= 1.5 x target, critical above; none without a figure."""
    if seconds is None:
        return None
    if seconds <= target:
        return "good"
    return "warning" if seconds <= 1.5 * target else "critical"
