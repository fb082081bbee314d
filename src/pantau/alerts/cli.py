"""`pantau alert create|list|evaluate|delete`: alert rules, for operators (docs/alerts.md)."""

from __future__ import annotations

import typer

from pantau.alerts.evaluation import evaluate_alerts
from pantau.alerts.rules import (
    DEFAULT_COOLDOWN_SECONDS,
    RuleRefused,
    RuleRequest,
    check_rule,
    create_rule,
    delete_rule,
    describe_rule,
    duration_text,
    summary,
    visible_rules,
)
from pantau.cli.common import database_session, fail, ready_engine, settings_or_exit, usage_error
from pantau.cli.output import json_option, print_json
from pantau.core import clock
from pantau.models.enums import AlertMetric

alert_app = typer.Typer(
    help="Alerts: rules on a figure that notify by e-mail and signed webhook when it breaches.", no_args_is_help=True
)

CLI_ADDRESS = "cli"


def _threshold(below: str | None, above: str | None) -> tuple[str, float]:
    if below is not None and above is None:
        comparison, text = "below", below
    elif above is not None and below is None:
        comparison, text = "above", above
    else:
        usage_error("give exactly one of --below X or --above X")
    try:
        return comparison, float(text)
    except ValueError:
        usage_error(f"--{comparison}: {text!r} is not a number")


# A threshold may be written below zero (to be refused by the rule's own check): it is the value, not an option.
@alert_app.command(context_settings={"ignore_unknown_options": True})
def create(
    metric: str = typer.Option(..., "--metric", help=f"One of {', '.join(AlertMetric)}."),
    below: str | None = typer.Option(None, "--below", help="Fire when the figure is below this value."),
    above: str | None = typer.Option(None, "--above", help="Fire when the figure is above this value."),
    window: str = typer.Option(
        "1h", "--window", help="The span the figure is computed over, ending now (90s, 5m, 1h, 2d)."
    ),
    for_: str = typer.Option("5m", "--for", help="How long the figure must breach without a break before it fires."),
    cooldown: str = typer.Option(
        duration_text(DEFAULT_COOLDOWN_SECONDS), "--cooldown", help="After it resolves, no new firing for this long."
    ),
    team: str | None = typer.Option(None, "--team", help="The team's id; without it, the whole organisation."),
    email: str | None = typer.Option(None, "--email", help="Addresses to mail, comma-separated."),
    webhook: str | None = typer.Option(None, "--webhook", help="A URL to POST the signed JSON body to."),
    webhook_format: str = typer.Option("pantau", "--webhook-format", help='pantau (JSON) or slack ({"text": ...}).'),
) -> None:
    """Make a rule; prints its id."""
    comparison, threshold = _threshold(below, above)
    settings = settings_or_exit()
    request = RuleRequest(
        metric=metric,
        comparison=comparison,
        threshold=threshold,
        window=window,
        for_=for_,
        cooldown=cooldown,
        team_id=team,
        emails=[address for address in (email or "").split(",") if address.strip()],
        webhook_url=webhook,
        webhook_format=webhook_format,
    )
    with database_session() as session:
        try:
            checked = check_rule(session, request)
        except RuleRefused as exc:
            usage_error(_option_words(exc.detail))
        rule_id = create_rule(session, checked, created_by=None, address=CLI_ADDRESS, now=clock.now())
    if checked.webhook_url is not None and not settings.alert_webhook_secret.get_secret_value():
        typer.secho(
            "warning: ALERT_WEBHOOK_SECRET is not set; no webhook is sent until it is", fg=typer.colors.YELLOW, err=True
        )
    if checked.emails and not settings.smtp_configured:
        typer.secho(
            "warning: SMTP_HOST is not set; no alert mail is sent until it is", fg=typer.colors.YELLOW, err=True
        )
    typer.echo(rule_id)


def _option_words(detail: str) -> str:
    """A refusal in the command's words: `webhookFormat: ...` is about `--webhook-format`."""
    parameter, _, rest = detail.partition(": ")
    option = {"webhookFormat": "webhook-format", "comparison": "below/--above", "threshold": "below/--above"}.get(
        parameter, parameter
    )
    return f"--{option}: {rest}"


@alert_app.command("list")
def list_rules(as_json: bool = json_option()) -> None:
    """Every rule: id, what it watches, its state and last value, who it tells."""
    settings = settings_or_exit()
    with database_session() as session:
        rows = visible_rules(session, None)
    if as_json:
        print_json(
            [
                {
                    **describe_rule(row),
                    "since": row.since,
                    "lastValue": row.last_value,
                    "lastEvaluatedAt": row.last_evaluated_at,
                }
                for row in rows
            ]
        )
        return
    if not rows:
        typer.echo("no alert rules")
        return
    for row in rows:
        since = row.since.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M %Z")
        value = "-" if row.last_value is None else f"{row.last_value:g}"
        tells = ", ".join([*row.email_recipients, *([row.webhook_url] if row.webhook_url else [])])
        typer.echo(f"{row.id}\t{summary(row)}\t{row.state} since {since}\tlast {value}\tto {tells}")


@alert_app.command()
def evaluate() -> None:
    """Evaluate every rule now, once (a rule already evaluated this minute, by the scheduler say, is skipped)."""
    settings = settings_or_exit()
    engine = ready_engine(settings)
    evaluations = evaluate_alerts(engine, settings, clock.now())
    if not evaluations:
        typer.echo("no alert rule was due (none, or each was evaluated this minute already)")
    for done in evaluations:
        value = "no data" if done.value is None else f"{done.value:g}"
        line = f"rule {done.rule_id}: {done.state.value} (value {value})"
        if done.event is not None:
            outcomes = [
                f"e-mail {done.email_outcome}" if done.email_outcome else "",
                f"webhook {done.webhook_outcome}" if done.webhook_outcome else "",
            ]
            line += f", {done.event.value}" + "".join(f"; {outcome}" for outcome in outcomes if outcome)
        typer.echo(line)


@alert_app.command()
def delete(rule_id: int = typer.Argument(..., metavar="ID", help="The rule's id.")) -> None:
    """Delete a rule and its history (audited)."""
    with database_session() as session:
        try:
            delete_rule(session, rule_id, deleted_by=None, address=CLI_ADDRESS, now=clock.now())
        except RuleRefused as exc:
            fail(exc.detail)
    typer.echo(f"deleted alert rule {rule_id}")
