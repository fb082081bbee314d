"""The figure an alert rule watches, over its window ending now, in its scope (docs/alerts.md).

Each one is read through the same code as the dashboard figure it names, so an alert and the page never disagree:

- `delivery_rate`: WhatsApp performance's `messageFunnel.deliveryRate` over the outbound messages created in the
  window, delivered / (sent + failed), in percent;
- `sla_compliance`: conversation effectiveness's `slaCompliance.percentage` over the cohort created in the window;
- `failed_messages`: the funnel's `failed`, outbound messages created in the window that failed;
- `queue_depth`: `queueMetrics.depth`, outbound messages queued now (organisation-wide: every team shares the queue);
- `longest_wait_seconds`: among the window's cohort, the longest a customer who still waits for a first human answer
  (SPEC §3 "unanswered") has waited since the human clock started (s0), in seconds with one decimal;
- `session_disconnected`: WhatsApp numbers whose status is `disconnected` now (organisation-wide);
- `session_quality`: the worst quality rating among the WhatsApp numbers, GREEN = 3, YELLOW = 2, RED = 1 (numbers
  rated UNKNOWN or not at all are left out);
- `agents_online`: agents, supervisors and managers in scope with an `online` status period open now; only inside
  business hours (SPEC §8.5) when the business set them, and never on a holiday.

None is "no data" (no message in the window, no conversation judged against the SLA, nobody waiting, no rated
number, outside business hours): a rule never breaches on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import people_in_scope
from pantau.core import numbers
from pantau.core.business_time import WEEKDAYS, minutes
from pantau.core.config import Settings
from pantau.dashboard.whatsapp_performance import message_funnel, queued_now
from pantau.metrics.facts import cohort_facts
from pantau.metrics.parts_source import PartsSource
from pantau.models import AgentActivityLog, User, WhatsappSession
from pantau.models.enums import AlertMetric, Role

activity_logs = AgentActivityLog.__table__
sessions = WhatsappSession.__table__
users = User.__table__

QUALITY_SCORES = {"GREEN": 3, "YELLOW": 2, "RED": 1}

# Figures of the whole organisation's infrastructure: a rule on them cannot be narrowed to a team.
ORGANISATION_ONLY = frozenset({AlertMetric.queue_depth, AlertMetric.session_disconnected, AlertMetric.session_quality})
# Figures taken at `now`: the rule's window does not change them.
POINT_IN_TIME = ORGANISATION_ONLY | {AlertMetric.agents_online}
PERCENTAGES = frozenset({AlertMetric.delivery_rate, AlertMetric.sla_compliance})


@dataclass(frozen=True)
class Measuring:
    """What one measurement needs: the connection, the settings in force, the rule's scope and window, `now`."""

    connection: Connection
    settings: Settings
    scope: Scope
    start: datetime
    now: datetime

    def parts(self) -> PartsSource:
        return PartsSource(self.connection, self.scope, self.settings, self.now)


def rule_scope(team_id: str | None) -> Scope:
    """The scope a rule's figure is computed in: the organisation's, or the team's as its supervisor sees it."""
    if team_id is None:
        return Scope(level="all", role=Role.owner, user_id="")
    return Scope(level="team", role=Role.supervisor, user_id="", team_ids=(team_id,))


def _delivery_rate(m: Measuring) -> float | None:
    return message_funnel(m.parts().message_parts(m.start, m.now)).delivery_rate


def _failed_messages(m: Measuring) -> float:
    return float(message_funnel(m.parts().message_parts(m.start, m.now)).failed)


def _sla_compliance(m: Measuring) -> float | None:
    return m.parts().total(m.start, m.now).sla_compliance


def _queue_depth(m: Measuring) -> float:
    depth, _oldest = queued_now(m.connection, m.now)
    return float(depth)


def _longest_wait_seconds(m: Measuring) -> float | None:
    facts = cohort_facts(m.scope, m.start, m.now)
    earliest: datetime | None = m.connection.execute(
        select(func.min(facts.c.s0)).where(facts.c.unanswered == 1, facts.c.s0 <= m.now)
    ).scalar_one()
    return None if earliest is None else numbers.round1((m.now - earliest).total_seconds())


def _session_disconnected(m: Measuring) -> float:
    return float(
        m.connection.execute(
            select(func.count()).select_from(sessions).where(sessions.c.status == "disconnected")
        ).scalar_one()
    )


def _session_quality(m: Measuring) -> float | None:
    ratings: Iterable[str] = m.connection.execute(
        select(sessions.c.quality_rating).where(sessions.c.quality_rating.in_(QUALITY_SCORES))
    ).scalars()
    scores = [QUALITY_SCORES[rating] for rating in ratings]
    return float(min(scores)) if scores else None


def inside_business_hours(settings: Settings, now: datetime) -> bool:
    """Whether `now` lies in the business hours (always, when none are set), and not on a holiday."""
    local = now.astimezone(settings.zone)
    if local.date() in settings.holidays:
        return False
    if not settings.business_hours:
        return True
    minute = local.hour * 60 + local.minute
    ranges = settings.business_hours.get(WEEKDAYS[local.weekday()], [])
    return any(minutes(start) <= minute < minutes(end) for start, end in ranges)


def _agents_online(m: Measuring) -> float | None:
    if not inside_business_hours(m.settings, m.now):
        return None
    logs = activity_logs.c
    online_now = (
        select(logs.agent_id)
        .where(
            logs.status == "online",
            logs.started_at <= m.now,
            or_(logs.ended_at.is_(None), logs.ended_at > m.now),
        )
        .scalar_subquery()
    )
    return float(
        m.connection.execute(
            select(func.count()).select_from(users).where(and_(people_in_scope(m.scope), users.c.id.in_(online_now)))
        ).scalar_one()
    )


MEASURES: dict[AlertMetric, Callable[[Measuring], float | None]] = {
    AlertMetric.delivery_rate: _delivery_rate,
    AlertMetric.sla_compliance: _sla_compliance,
    AlertMetric.queue_depth: _queue_depth,
    AlertMetric.longest_wait_seconds: _longest_wait_seconds,
    AlertMetric.failed_messages: _failed_messages,
    AlertMetric.session_disconnected: _session_disconnected,
    AlertMetric.session_quality: _session_quality,
    AlertMetric.agents_online: _agents_online,
}


def measure(
    connection: Connection,
    settings: Settings,
    metric: AlertMetric,
    team_id: str | None,
    window_seconds: int,
    now: datetime,
) -> float | None:
    """The rule's figure at `now` over [now - window, now); None when there is nothing to judge."""
    measuring = Measuring(connection, settings, rule_scope(team_id), now - timedelta(seconds=window_seconds), now)
    return MEASURES[metric](measuring)
