"""Evaluating rules: ok → firing → resolved, the for-duration and the cooldown, notifications by a real SMTP server
and a real HTTP receiver (whose signature the test checks), and one evaluation per minute across evaluators."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from pantau.alerts.evaluation import evaluate_alerts
from pantau.alerts.rules import RuleRequest, check_rule, create_rule
from pantau.models import AlertEvent, AlertRule
from pantau.models.enums import AlertEventKind, AlertState
from tests.conftest import make_settings
from tests.reports.smtp import smtp_server
from tests.support.builders import Dataset, utc

from .receiver import webhook_receiver

pytestmark = pytest.mark.commits

T0 = utc("2026-03-04 05:00")  # noon in Jakarta
WEBHOOK_SECRET = "alert-webhook-secret-for-the-tests-0123456789"


def minutes(count: float):
    return T0 + timedelta(minutes=count)


def alert_settings(engine, smtp_port: int | None = None, **overrides):
    mail = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False} if smtp_port else {}
    return make_settings(
        engine.url.render_as_string(hide_password=False),
        alert_webhook_secret=WEBHOOK_SECRET,
        smtp_from="Pantau <alerts@pantau.test>",
        **mail,
        **overrides,
    )


def make_rule(session, **fields) -> int:
    request = RuleRequest(
        **{
            "metric": "delivery_rate",
            "comparison": "below",
            "threshold": 90,
            "window": "1h",
            "for_": "2m",
            "cooldown": "10m",
            **fields,
        }
    )
    return create_rule(session, check_rule(session, request), created_by=None, address="test", now=T0)


def send(data: Dataset, conversation: str, at, *statuses: str) -> None:
    for status in statuses:
        data.make_message(conversation, at, sender="agent", status=status)


def events_of(engine, rule_id: int) -> list:
    with engine.connect() as connection:
        return connection.execute(
            select(AlertEvent.__table__).where(AlertEvent.rule_id == rule_id).order_by(AlertEvent.id)
        ).all()


def rule_row(engine, rule_id: int):
    with engine.connect() as connection:
        return connection.execute(select(AlertRule.__table__).where(AlertRule.id == rule_id)).one()


def verified_body(received) -> dict:
    """The body, after checking its signature as a receiver should: in constant time, over the raw bytes."""
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["X-Pantau-Signature"], expected)
    return json.loads(received.body)


def test_a_delivery_drop_fires_once_notifies_then_resolves_and_waits_out_its_cooldown(engine, data, session):
    conversation = data.make_conversation(minutes(-50))
    # 4 delivered of 5 handed over, 3 failed: 4 / (5 + 3) = 50 %.
    send(data, conversation, minutes(-40), "delivered", "delivered", "delivered", "read", "sent")
    send(data, conversation, minutes(-30), "failed", "failed", "failed")
    rule_id = make_rule(session, emails=["olga@example.test", "sari@example.test"])

    with smtp_server() as (box, port), webhook_receiver() as hook:
        with engine.begin() as connection:
            connection.execute(AlertRule.__table__.update().where(AlertRule.id == rule_id).values(webhook_url=hook.url))
        settings = alert_settings(engine, port)

        # Breaching from T0; `for` is 2 minutes: nothing at T0 or a minute later.
        for at in (minutes(0), minutes(1)):
            (done,) = evaluate_alerts(engine, settings, at)
            assert (done.value, done.state, done.event) == (50.0, AlertState.ok, None)
        assert events_of(engine, rule_id) == [] and box.received == [] and hook.received == []

        (fired,) = evaluate_alerts(engine, settings, minutes(2))
        assert (fired.value, fired.state, fired.event) == (50.0, AlertState.firing, AlertEventKind.fired)
        assert sorted(message["To"] for message in box.received) == ["olga@example.test", "sari@example.test"]
        mail = box.to("olga@example.test")[0]
        assert "Alert firing: WhatsApp delivery rate (%) = 50" in mail["Subject"]
        assert "Peringatan aktif: Tingkat pengiriman WhatsApp (%) = 50" in mail.get_content()
        (delivered,) = hook.received
        assert delivered.path == "/hooks/pantau"
        body = verified_body(delivered)
        assert body["event"] == "fired" and body["ruleId"] == rule_id
        assert (body["metric"], body["comparison"], body["threshold"], body["value"]) == (
            "delivery_rate", "below", 90.0, 50.0
        )  # fmt: skip
        assert body["at"] == "2026-03-04T12:02:00+07:00"
        (event,) = events_of(engine, rule_id)
        assert (event.kind, event.value, event.email_outcome, event.webhook_outcome) == (
            "fired", 50.0, "sent to 2", "sent: HTTP 200"
        )  # fmt: skip

        # Still breaching: nothing more is sent while it fires.
        (still,) = evaluate_alerts(engine, settings, minutes(3))
        assert (still.state, still.event) == (AlertState.firing, None)
        assert len(box.received) == 2 and len(hook.received) == 1

        # 40 more delivered: 44 / (45 + 3) = 91.7 %, above the threshold: resolved.
        send(data, conversation, minutes(3.5), *["delivered"] * 40)
        (resolved,) = evaluate_alerts(engine, settings, minutes(4))
        assert (resolved.value, resolved.state, resolved.event) == (91.7, AlertState.ok, AlertEventKind.resolved)
        assert len(box.received) == 4
        assert verified_body(hook.received[1])["event"] == "resolved"

        # A new drop (20 more failed: 44 / (45 + 23) = 64.7 %) breaches from minute 5 and holds past `for`, but the
        # rule resolved at minute 4 and cools down for 10 minutes: no firing before minute 14.
        send(data, conversation, minutes(4.5), *["failed"] * 20)
        for at in (5, 7, 10, 13):
            (cooling,) = evaluate_alerts(engine, settings, minutes(at))
            assert (cooling.value, cooling.state, cooling.event) == (64.7, AlertState.ok, None)
        assert len(box.received) == 4 and len(hook.received) == 2
        (again,) = evaluate_alerts(engine, settings, minutes(14))
        assert (again.state, again.event) == (AlertState.firing, AlertEventKind.fired)
        assert [event.kind for event in events_of(engine, rule_id)] == ["fired", "resolved", "fired"]
        assert len(box.received) == 6 and len(hook.received) == 3


def test_a_breach_shorter_than_for_does_not_fire_and_a_break_starts_the_count_again(engine, data, session):
    conversation = data.make_conversation(minutes(-50))
    send(data, conversation, minutes(-40), "delivered", "failed")  # 50 %
    rule_id = make_rule(session, for_="5m", webhook_url="http://127.0.0.1:9/never-called")
    settings = alert_settings(engine)

    for at in range(0, 4):
        (done,) = evaluate_alerts(engine, settings, minutes(at))
        assert (done.value, done.event) == (50.0, None)
    send(data, conversation, minutes(3.5), *["delivered"] * 20)  # 21 / 22 = 95.5 %: the breach ends at minute 4
    (recovered,) = evaluate_alerts(engine, settings, minutes(4))
    assert (recovered.value, recovered.state, recovered.event) == (95.5, AlertState.ok, None)
    assert rule_row(engine, rule_id).breaching_since is None

    send(data, conversation, minutes(4.5), *["failed"] * 10)  # 21 / 32 = 65.6 % from minute 5
    for at in range(5, 10):
        (done,) = evaluate_alerts(engine, settings, minutes(at))
        assert (done.value, done.event) == (65.6, None)
    (fired,) = evaluate_alerts(engine, settings, minutes(10))
    assert fired.event is AlertEventKind.fired
    assert rule_row(engine, rule_id).breaching_since == minutes(5)
    assert events_of(engine, rule_id)[0].email_outcome is None  # the rule mails nobody


def test_a_figure_without_data_does_not_breach(engine, data, session):
    make_rule(session, for_="0s", emails=["olga@example.test"])
    (done,) = evaluate_alerts(engine, alert_settings(engine), minutes(0))
    assert (done.value, done.state, done.event) == (None, AlertState.ok, None)


def test_a_rule_is_evaluated_once_a_minute_and_a_webhook_5xx_is_retried(engine, data, session, monkeypatch):
    from pantau.alerts import notifications

    monkeypatch.setattr(notifications, "WEBHOOK_BACKOFF_SECONDS", (0.05, 0.05))
    conversation = data.make_conversation(minutes(-50))
    send(data, conversation, minutes(-40), "failed")  # 0 %
    with webhook_receiver(answers=[503, 502]) as hook:
        rule_id = make_rule(session, for_="0s", webhook_url=hook.url, webhook_format="slack")
        settings = alert_settings(engine)
        (fired,) = evaluate_alerts(engine, settings, minutes(0))
        assert evaluate_alerts(engine, settings, minutes(0.5)) == []  # the same minute: already evaluated
    assert fired.webhook_outcome == "sent: HTTP 200 after 3 attempts"
    assert len(hook.received) == 3
    assert {verified_body(each)["text"] for each in hook.received} == {
        "Alert firing: WhatsApp delivery rate (%) = 0 (below 90; organisation; 2026-03-04T12:00:00+07:00)"
    }
    assert events_of(engine, rule_id)[0].webhook_outcome == "sent: HTTP 200 after 3 attempts"


def test_an_unreachable_webhook_is_recorded_as_failed_without_the_secret(engine, data, session, monkeypatch):
    from pantau.alerts import notifications

    monkeypatch.setattr(notifications, "WEBHOOK_BACKOFF_SECONDS", (0.01, 0.01))
    conversation = data.make_conversation(minutes(-50))
    send(data, conversation, minutes(-40), "failed")
    rule_id = make_rule(session, for_="0s", webhook_url="http://127.0.0.1:9/closed")
    (fired,) = evaluate_alerts(engine, alert_settings(engine), minutes(0))
    assert fired.webhook_outcome == "failed after 3 attempts: ConnectError"
    assert WEBHOOK_SECRET not in (events_of(engine, rule_id)[0].webhook_outcome or "")


def test_two_evaluators_racing_on_postgresql_evaluate_the_rule_once(engine, data, session, dialect):
    if dialect != "postgresql":
        pytest.skip("SQLite mode is one process: there is no second evaluator")
    conversation = data.make_conversation(minutes(-50))
    send(data, conversation, minutes(-40), "delivered", "failed", "failed", "failed")  # 25 %
    with webhook_receiver() as hook:
        rule_id = make_rule(session, for_="0s", webhook_url=hook.url)
        settings = alert_settings(engine)
        start = threading.Barrier(4)
        results: list = []

        def evaluator() -> None:
            start.wait()
            results.append(evaluate_alerts(engine, settings, minutes(0)))

        threads = [threading.Thread(target=evaluator) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    done = [evaluation for result in results for evaluation in result]
    assert len(results) == 4
    assert [(evaluation.value, evaluation.event) for evaluation in done] == [(25.0, AlertEventKind.fired)]
    assert len(events_of(engine, rule_id)) == 1
    assert len(hook.received) == 1


def test_a_rule_that_fails_to_evaluate_is_logged_and_the_others_go_on(engine, data, session, monkeypatch, caplog):
    from pantau.alerts import evaluation

    conversation = data.make_conversation(minutes(-50))
    send(data, conversation, minutes(-40), "failed")
    broken = make_rule(session, for_="0s", emails=["olga@example.test"])
    working = make_rule(session, for_="0s", emails=["olga@example.test"])
    real_measure = evaluation.measure
    calls = []

    def measure(*arguments):
        """The first rule evaluated (rules go in id order: `broken`) cannot read its figure."""
        calls.append(arguments)
        if len(calls) == 1:
            raise RuntimeError("the figure could not be read")
        return real_measure(*arguments)

    monkeypatch.setattr(evaluation, "measure", measure)
    (done,) = evaluate_alerts(engine, alert_settings(engine), minutes(0))
    assert (done.rule_id, done.event) == (working, AlertEventKind.fired)
    assert f"alert rule {broken} could not be evaluated" in caplog.text
    # Its claim went with the failed transaction: the next evaluation this minute tries it again.
    assert rule_row(engine, broken).last_evaluated_at is None


def test_the_scheduler_s_job_logs_a_failure_and_never_raises(engine, monkeypatch, caplog):
    from pantau.alerts import evaluation

    def broken(*arguments):
        raise RuntimeError("database gone")

    monkeypatch.setattr(evaluation, "evaluate_alerts", broken)
    evaluation.evaluate_alerts_job(engine, alert_settings(engine))
    assert "alert evaluation failed; it runs again next minute" in caplog.text
