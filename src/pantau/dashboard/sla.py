"""The first-response SLA (SPEC §3, §5.2): the status colour of a response time. When an unanswered conversation
already breaches the SLA is a fact (`metrics.facts.unanswered_overdue`); the compliant / non-compliant / pending
counts are parts (`metrics.parts`)."""

from __future__ import annotations

from pantau.dashboard.schemas import Status


def sla_status(seconds: float | None, target: float) -> Status | None:
    """good <= target, warning <= 1.5 x target, critical above; none without a figure."""
    if seconds is None:
        return None
    if seconds <= target:
        return "good"
    return "warning" if seconds <= 1.5 * target else "critical"
