"""Evaluating the alert rules (SPEC §8.5): every minute, each enabled rule once across schedulers and replicas.

A rule is claimed by a conditional UPDATE, the first statement of its own transaction: `last_evaluated_at` moves to
`now` only if it still lies before the current minute. Of any number of evaluators reading the same rule, exactly one
changes it; on PostgreSQL the others' UPDATE waits for that commit and then matches nothing, on SQLite writers take
turns. The winner measures the figure, moves the state and writes the event in that same transaction, so a second
evaluator never sees a half-made decision. Notifications go out after the commit and their outcome is written on the
event.

States: a rule whose figure breaches without a break for `for_seconds` goes ok → firing (a `fired` event, and its
notifications); while firing nothing more is sent; when the figure no longer breaches it goes back to ok (a
`resolved` event, and notifications). A rule that resolved does not fire again until `cooldown_seconds` have passed
since. A figure with no data (None) does not breach.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, or_, select, update

from pantau.alerts.measures import measure
from pantau.alerts.notifications import Notice, send_email, send_webhook
from pantau.business_settings.service import effective_settings
from pantau.core import clock
from pantau.core.config import Settings
from pantau.models import AlertEvent, AlertRule
from pantau.models.enums import AlertComparison, AlertEventKind, AlertMetric, AlertState, WebhookFormat

log = logging.getLogger("pantau.alerts")

rules = AlertRule.__table__
events = AlertEvent.__table__


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation of one rule found and did."""

    rule_id: int
    value: float | None
    state: AlertState
    event: AlertEventKind | None = None
    event_id: int | None = None
    email_outcome: str | None = None
    webhook_outcome: str | None = None


def breaches(comparison: AlertComparison, threshold: float, value: float | None) -> bool:
    if value is None:
        return False
    return value < threshold if comparison is AlertComparison.below else value > threshold


def _minute_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _next_state(rule, value: float | None, now: datetime) -> tuple[dict, AlertEventKind | None]:
    """The rule's new state columns and the event it makes, if any."""
    breaching = breaches(AlertComparison(rule.comparison), rule.threshold, value)
    state = AlertState(rule.state)
    changes: dict = {"last_value": value, "last_evaluated_at": now}
    if state is AlertState.firing:
        if breaching:
            return changes, None
        changes.update(state=AlertState.ok, since=now, breaching_since=None, last_resolved_at=now)
        return changes, AlertEventKind.resolved
    if not breaching:
        changes["breaching_since"] = None
        return changes, None
    breaching_since = rule.breaching_since or now
    changes["breaching_since"] = breaching_since
    held = now - breaching_since >= timedelta(seconds=rule.for_seconds)
    cooling = rule.last_resolved_at is not None and now - rule.last_resolved_at < timedelta(
        seconds=rule.cooldown_seconds
    )
    if held and not cooling:
        changes.update(state=AlertState.firing, since=now)
        return changes, AlertEventKind.fired
    return changes, None


def evaluate_rule(engine: Engine, base: Settings, rule_id: int, now: datetime) -> Evaluation | None:
    """Claim the rule for `now`'s minute and evaluate it; None when another evaluator has it this minute (or it is
    gone or disabled)."""
    with engine.begin() as connection:
        claimed = connection.execute(
            update(rules)
            .where(
                rules.c.id == rule_id,
                rules.c.enabled.is_(True),
                or_(rules.c.last_evaluated_at.is_(None), rules.c.last_evaluated_at < _minute_start(now)),
            )
            .values(last_evaluated_at=now)
        ).rowcount
        if claimed != 1:
            return None
        rule = connection.execute(select(rules).where(rules.c.id == rule_id)).one()
        settings = effective_settings(connection, base)
        value = measure(connection, settings, AlertMetric(rule.metric), rule.team_id, rule.window_seconds, now)
        changes, kind = _next_state(rule, value, now)
        event_id: int | None = None
        if kind is not None:
            changes["last_notified_at"] = now
            event_id = connection.execute(
                insert(events).values(rule_id=rule_id, at=now, kind=kind, value=value).returning(events.c.id)
            ).scalar_one()
        connection.execute(update(rules).where(rules.c.id == rule_id).values(**changes))
    state = AlertState(changes.get("state", rule.state))
    if kind is None:
        return Evaluation(rule_id, value, state)
    notice = Notice(
        rule_id=rule_id,
        metric=AlertMetric(rule.metric),
        team_id=rule.team_id,
        comparison=AlertComparison(rule.comparison),
        threshold=rule.threshold,
        window_seconds=rule.window_seconds,
        for_seconds=rule.for_seconds,
        kind=kind,
        value=value,
        at=now,
    )
    email_outcome = send_email(base, notice, list(rule.email_recipients))
    webhook_outcome = send_webhook(
        base, notice, rule.webhook_url, WebhookFormat(rule.webhook_format) is WebhookFormat.slack
    )
    with engine.begin() as connection:
        connection.execute(
            update(events)
            .where(events.c.id == event_id)
            .values(email_outcome=email_outcome, webhook_outcome=webhook_outcome)
        )
    log.info("alert rule %s %s at value %s", rule_id, kind.value, value)
    return Evaluation(rule_id, value, state, kind, event_id, email_outcome, webhook_outcome)


def evaluate_alerts(engine: Engine, settings: Settings, now: datetime) -> list[Evaluation]:
    """One evaluation of every enabled rule at `now` (what `pantau alert evaluate` and the scheduler do). A rule that
    fails to evaluate is logged and left for the next minute; the others go on."""
    with engine.connect() as connection:
        ids: list[int] = list(
            connection.execute(select(rules.c.id).where(rules.c.enabled.is_(True)).order_by(rules.c.id)).scalars()
        )
    done = []
    for rule_id in ids:
        try:
            evaluation = evaluate_rule(engine, settings, rule_id, now)
        except Exception:
            log.exception("alert rule %s could not be evaluated; it is tried again next minute", rule_id)
            continue
        if evaluation is not None:
            done.append(evaluation)
    return done


def evaluate_alerts_job(engine: Engine, settings: Settings) -> None:
    """The scheduler's every-minute job; failures are logged, never raised into the scheduler."""
    try:
        evaluate_alerts(engine, settings, clock.now())
    except Exception:
        log.exception("alert evaluation failed; it runs again next minute")
