"""Alert rules: what a rule may say, making one (checked, with its first state), listing and deleting them.

The API and `pantau alert` take the same request and get the same refusals, each naming its parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Row, Select, delete, insert, select
from sqlalchemy.orm import Session

from pantau.alerts.measures import ORGANISATION_ONLY, PERCENTAGES, QUALITY_SCORES
from pantau.audit import service as audit
from pantau.auth.scope import Scope
from pantau.auth.scope_sql import alert_rules_in_scope
from pantau.models import AlertEvent, AlertRule, Team
from pantau.models.enums import AlertComparison, AlertMetric, AlertState, WebhookFormat

rules = AlertRule.__table__
events = AlertEvent.__table__
teams = Team.__table__

DEFAULT_WINDOW_SECONDS = 3600
DEFAULT_FOR_SECONDS = 300
DEFAULT_COOLDOWN_SECONDS = 1800
LONGEST_WINDOW_SECONDS = 31 * 86400
LONGEST_HOLD_SECONDS = 86400
MAX_RECIPIENTS = 20
CREATE_ACTION = "alert.create"
DELETE_ACTION = "alert.delete"

_DURATION = re.compile(r"^(\d{1,7})([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RuleRefused(ValueError):
    """A request no rule can be made of (400, or 404 for an unknown team or rule); `detail` starts with the
    parameter's name."""

    def __init__(self, parameter: str, message: str, status: int = 400) -> None:
        self.parameter = parameter
        self.status = status
        self.detail = f"{parameter}: {message}"
        super().__init__(self.detail)


def parse_duration(parameter: str, text: str | int, *, longest: int, zero: bool = True) -> int:
    """`90s`, `5m`, `1h`, `2d` (or a number of seconds) as seconds."""
    if isinstance(text, int) and not isinstance(text, bool):
        seconds = text
    else:
        match = _DURATION.match(str(text).strip())
        if match is None:
            raise RuleRefused(parameter, f"{str(text)[:40]!r} is not a duration like 90s, 5m, 1h or 2d")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 0 or (seconds == 0 and not zero) or seconds > longest:
        lowest = "0s" if zero else "1s"
        raise RuleRefused(parameter, f"must lie between {lowest} and {longest // 86400}d")
    return seconds


@dataclass(frozen=True)
class RuleRequest:
    metric: str
    comparison: str
    threshold: float
    window: str | int = DEFAULT_WINDOW_SECONDS
    for_: str | int = DEFAULT_FOR_SECONDS
    cooldown: str | int = DEFAULT_COOLDOWN_SECONDS
    team_id: str | None = None
    emails: list[str] = field(default_factory=list)
    webhook_url: str | None = None
    webhook_format: str = WebhookFormat.pantau.value


@dataclass(frozen=True)
class CheckedRule:
    metric: AlertMetric
    comparison: AlertComparison
    threshold: float
    window_seconds: int
    for_seconds: int
    cooldown_seconds: int
    team_id: str | None
    emails: list[str]
    webhook_url: str | None
    webhook_format: WebhookFormat


def _metric(name: str) -> AlertMetric:
    try:
        return AlertMetric(name)
    except ValueError:
        raise RuleRefused("metric", f"{name[:40]!r} is none of {', '.join(AlertMetric)}") from None


def _threshold(metric: AlertMetric, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleRefused("threshold", "give a number")
    if metric in PERCENTAGES and not 0 <= value <= 100:
        raise RuleRefused("threshold", f"{metric.value} is a percentage: between 0 and 100")
    if metric is AlertMetric.session_quality and not 1 <= value <= max(QUALITY_SCORES.values()):
        raise RuleRefused("threshold", "session_quality is a rating: GREEN = 3, YELLOW = 2, RED = 1")
    if value < 0:
        raise RuleRefused("threshold", f"{metric.value} is never negative")
    return float(value)


def _emails(addresses: list[str]) -> list[str]:
    if len(addresses) > MAX_RECIPIENTS:
        raise RuleRefused("email", f"at most {MAX_RECIPIENTS} addresses")
    checked = []
    for address in addresses:
        try:
            normalised = validate_email(address.strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise RuleRefused("email", f"{address.strip()[:80]!r} is not an e-mail address") from None
        if normalised not in checked:
            checked.append(normalised)
    return checked


def _webhook(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise RuleRefused("webhook", "give an http:// or https:// URL (at most 2000 characters)")
    return url


def check_rule(session: Session, request: RuleRequest) -> CheckedRule:
    """The request as a rule, or RuleRefused naming the first parameter that cannot be."""
    metric = _metric(request.metric)
    try:
        comparison = AlertComparison(request.comparison)
    except ValueError:
        raise RuleRefused("comparison", "below or above") from None
    threshold = _threshold(metric, request.threshold)
    window = parse_duration("window", request.window, longest=LONGEST_WINDOW_SECONDS, zero=False)
    for_seconds = parse_duration("for", request.for_, longest=LONGEST_HOLD_SECONDS)
    cooldown = parse_duration("cooldown", request.cooldown, longest=LONGEST_HOLD_SECONDS)
    team_id = request.team_id.strip() if request.team_id and request.team_id.strip() else None
    if team_id is not None:
        if metric in ORGANISATION_ONLY:
            raise RuleRefused(
                "team", f"{metric.value} watches what the whole organisation shares; make the rule without a team"
            )
        if session.execute(select(teams.c.id).where(teams.c.id == team_id)).first() is None:
            raise RuleRefused("team", f"no team {team_id[:100]!r}", status=404)
    emails = _emails(request.emails)
    webhook_url = _webhook(request.webhook_url)
    try:
        webhook_format = WebhookFormat(request.webhook_format)
    except ValueError:
        raise RuleRefused("webhookFormat", "pantau or slack") from None
    if not emails and webhook_url is None:
        raise RuleRefused("email", "give e-mail addresses, a webhook URL, or both: a rule must tell someone")
    return CheckedRule(
        metric=metric,
        comparison=comparison,
        threshold=threshold,
        window_seconds=window,
        for_seconds=for_seconds,
        cooldown_seconds=cooldown,
        team_id=team_id,
        emails=emails,
        webhook_url=webhook_url,
        webhook_format=webhook_format,
    )


def create_rule(session: Session, rule: CheckedRule, *, created_by: str | None, address: str, now: datetime) -> int:
    """Save a new rule, ok since `now`, and its audit entry; committed. Its id.

    The transaction begins by writing (SQLite: a transaction that began by reading cannot write once another
    connection has; see `core.database.write_apart`)."""
    session.commit()
    rule_id: int = session.execute(
        insert(rules)
        .values(
            metric=rule.metric,
            team_id=rule.team_id,
            comparison=rule.comparison,
            threshold=rule.threshold,
            window_seconds=rule.window_seconds,
            for_seconds=rule.for_seconds,
            cooldown_seconds=rule.cooldown_seconds,
            email_recipients=rule.emails,
            webhook_url=rule.webhook_url,
            webhook_format=rule.webhook_format,
            created_by=created_by,
            created_at=now,
            enabled=True,
            state=AlertState.ok,
            since=now,
        )
        .returning(rules.c.id)
    ).scalar_one()
    row = session.execute(select(rules).where(rules.c.id == rule_id)).one()
    session.execute(
        audit.entry(user_id=created_by, action=CREATE_ACTION, parameters=describe_rule(row), address=address, at=now)
    )
    session.commit()
    return rule_id


def visible_rules(session: Session, scope: Scope | None) -> Sequence[Row[Any]]:
    """The rules the scope covers (every rule with None: an operator at the CLI), oldest first."""
    condition = [] if scope is None else [alert_rules_in_scope(scope)]
    return session.execute(_with_team_name().where(*condition).order_by(rules.c.id)).all()


def _with_team_name() -> Select:
    """Rules with their team's name (null for the organisation's)."""
    return select(rules, teams.c.name.label("team_name")).select_from(
        rules.outerjoin(teams, teams.c.id == rules.c.team_id)
    )


def rule_by_id(session: Session, rule_id: int):
    return session.execute(_with_team_name().where(rules.c.id == rule_id)).one()


def firing_rules(session: Session, scope: Scope) -> Sequence[Row[Any]]:
    """The rules firing now that the scope covers, the longest firing first."""
    return session.execute(
        _with_team_name()
        .where(rules.c.state == AlertState.firing, rules.c.enabled.is_(True), alert_rules_in_scope(scope))
        .order_by(rules.c.since, rules.c.id)
    ).all()


def rule_history(session: Session, scope: Scope | None, limit: int) -> Sequence[Row[Any]]:
    """The latest events of the rules the scope covers, newest first, each with its rule's metric and team."""
    condition = [] if scope is None else [alert_rules_in_scope(scope)]
    return session.execute(
        select(
            events,
            rules.c.metric,
            rules.c.team_id,
            teams.c.name.label("team_name"),
            rules.c.comparison,
            rules.c.threshold,
        )
        .select_from(events.join(rules, rules.c.id == events.c.rule_id).outerjoin(teams, teams.c.id == rules.c.team_id))
        .where(*condition)
        .order_by(events.c.at.desc(), events.c.id.desc())
        .limit(limit)
    ).all()


def delete_rule(session: Session, rule_id: int, *, deleted_by: str | None, address: str, now: datetime) -> None:
    """Delete a rule and its history, audited; committed. RuleRefused 404 when there is no such rule."""
    session.commit()
    session.execute(delete(events).where(events.c.rule_id == rule_id))
    row = session.execute(delete(rules).where(rules.c.id == rule_id).returning(*rules.c)).first()
    if row is None:
        session.rollback()
        raise RuleRefused("id", f"no alert rule {rule_id}", status=404)
    session.execute(
        audit.entry(user_id=deleted_by, action=DELETE_ACTION, parameters=describe_rule(row), address=address, at=now)
    )
    session.commit()


def describe_rule(row) -> dict:
    """A rule as the audit log, `pantau alert list --json` and the API's base fields tell it."""
    return {
        "id": row.id,
        "metric": AlertMetric(row.metric).value,
        "teamId": row.team_id,
        "comparison": AlertComparison(row.comparison).value,
        "threshold": row.threshold,
        "windowSeconds": row.window_seconds,
        "forSeconds": row.for_seconds,
        "cooldownSeconds": row.cooldown_seconds,
        "emails": list(row.email_recipients),
        "webhookUrl": row.webhook_url,
        "webhookFormat": WebhookFormat(row.webhook_format).value,
        "enabled": row.enabled,
        "state": AlertState(row.state).value,
    }


def summary(row) -> str:
    """One line: `delivery_rate below 90 over 1h for 5m (team team-a)`."""
    where = "organisation" if row.team_id is None else f"team {row.team_id}"
    return (
        f"{AlertMetric(row.metric).value} {AlertComparison(row.comparison).value} {row.threshold:g} "
        f"over {duration_text(row.window_seconds)} for {duration_text(row.for_seconds)} ({where})"
    )


def duration_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
