"""`/api/alerts`: alert rules, their history and what is firing now (SPEC §8.5, docs/alerts.md).

Everyone signed in reads the rules, events and firing alerts whose scope their own covers (owners and admins every
rule; a supervisor or manager their team's rules; nobody else any, docs/decisions.md). Only owners and admins make and
delete rules, each change audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field

from pantau.alerts.rules import (
    DEFAULT_COOLDOWN_SECONDS,
    DEFAULT_FOR_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    RuleRefused,
    RuleRequest,
    check_rule,
    create_rule,
    delete_rule,
    firing_rules,
    rule_by_id,
    rule_history,
    visible_rules,
)
from pantau.auth.dependencies import AuthenticatedUser, CurrentUser, client_address, refuse_cross_site_post
from pantau.core import clock
from pantau.dashboard.schemas import CamelModel
from pantau.models.enums import AlertComparison, AlertEventKind, AlertMetric, AlertState, Role, WebhookFormat
from pantau.web.deps import DbSession, SettingsDep
from pantau.web.errors import ApiError, Refusal, error_responses

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

EDITORS = frozenset({Role.owner, Role.admin})
_FORBIDDEN = "alerts: only owners and admins may make or delete alert rules"
HISTORY_LIMIT = 500


class RuleIn(CamelModel):
    metric: str = Field(description=", ".join(AlertMetric), examples=["delivery_rate"])
    comparison: str = Field(description="below or above", examples=["below"])
    threshold: float = Field(examples=[90])
    window: str | int = Field(DEFAULT_WINDOW_SECONDS, description="90s, 5m, 1h, 2d, or seconds", examples=["1h"])
    for_: str | int = Field(DEFAULT_FOR_SECONDS, alias="for", description="how long it must breach before it fires")
    cooldown: str | int = Field(DEFAULT_COOLDOWN_SECONDS, description="after a resolve, no new firing for this long")
    team_id: str | None = Field(None, description="a team's id; none: the whole organisation")
    emails: list[str] = Field([], max_length=50, description="addresses to mail")
    webhook_url: str | None = Field(None, description="a URL to POST the signed JSON body to")
    webhook_format: str = Field("pantau", description='pantau (JSON) or slack ({"text": ...})')


class RuleOut(CamelModel):
    id: int
    metric: AlertMetric
    team_id: str | None
    team_name: str | None
    comparison: AlertComparison
    threshold: float
    window_seconds: int
    for_seconds: int
    cooldown_seconds: int
    emails: list[str]
    webhook_url: str | None
    webhook_format: WebhookFormat
    enabled: bool
    state: AlertState
    since: datetime
    last_value: float | None
    last_evaluated_at: datetime | None
    created_at: datetime


class EventOut(CamelModel):
    id: int
    rule_id: int
    metric: AlertMetric
    team_id: str | None
    team_name: str | None
    comparison: AlertComparison
    threshold: float
    kind: AlertEventKind
    value: float | None
    at: datetime
    email_outcome: str | None
    webhook_outcome: str | None


class RulesOut(CamelModel):
    rules: list[RuleOut]


class EventsOut(CamelModel):
    events: list[EventOut]


def _editor(caller: CurrentUser) -> AuthenticatedUser:
    if caller.role not in EDITORS:
        raise ApiError(403, "forbidden", _FORBIDDEN)
    return caller


Editor = Annotated[AuthenticatedUser, Depends(_editor)]

_CHANGE_REFUSALS = error_responses(
    400,
    401,
    403,
    404,
    422,
    503,
    worded={
        400: Refusal(
            "A rule that cannot be made; `detail` starts with the parameter's name.",
            "invalid_parameter",
            "threshold: delivery_rate is a percentage: between 0 and 100",
        ),
        403: Refusal("Only owners and admins make and delete alert rules.", "forbidden", _FORBIDDEN),
    },
)


def _rule_out(row, settings) -> RuleOut:
    def local(moment: datetime) -> datetime:
        return moment.astimezone(settings.zone)

    def local_or_none(moment: datetime | None) -> datetime | None:
        return None if moment is None else local(moment)

    return RuleOut(
        id=row.id,
        metric=row.metric,
        team_id=row.team_id,
        team_name=row.team_name,
        comparison=row.comparison,
        threshold=row.threshold,
        window_seconds=row.window_seconds,
        for_seconds=row.for_seconds,
        cooldown_seconds=row.cooldown_seconds,
        emails=list(row.email_recipients),
        webhook_url=row.webhook_url,
        webhook_format=row.webhook_format,
        enabled=row.enabled,
        state=row.state,
        since=local(row.since),
        last_value=row.last_value,
        last_evaluated_at=local_or_none(row.last_evaluated_at),
        created_at=local(row.created_at),
    )


def _refused(exc: RuleRefused) -> ApiError:
    return ApiError(exc.status, "invalid_parameter" if exc.status == 400 else "not_found", exc.detail)


@router.get(
    "",
    response_model=RulesOut,
    summary="The alert rules the caller's scope covers, with their state",
    responses=error_responses(401, 503),
)
def read_rules(caller: CurrentUser, session: DbSession, settings: SettingsDep) -> RulesOut:
    return RulesOut(rules=[_rule_out(row, settings) for row in visible_rules(session, caller.scope)])


@router.get(
    "/firing",
    response_model=RulesOut,
    summary="The alerts firing now whose rule the caller's scope covers, the longest firing first",
    responses=error_responses(401, 503),
)
def read_firing(caller: CurrentUser, session: DbSession, settings: SettingsDep) -> RulesOut:
    return RulesOut(rules=[_rule_out(row, settings) for row in firing_rules(session, caller.scope)])


@router.get(
    "/history",
    response_model=EventsOut,
    summary="The latest fired and resolved events of the rules the caller's scope covers, newest first",
    responses=error_responses(400, 401, 422, 503),
)
def read_history(
    caller: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=HISTORY_LIMIT)] = 100,
) -> EventsOut:
    rows = rule_history(session, caller.scope, limit)
    return EventsOut(
        events=[
            EventOut(
                id=row.id,
                rule_id=row.rule_id,
                metric=row.metric,
                team_id=row.team_id,
                team_name=row.team_name,
                comparison=row.comparison,
                threshold=row.threshold,
                kind=row.kind,
                value=row.value,
                at=row.at.astimezone(settings.zone),
                email_outcome=row.email_outcome,
                webhook_outcome=row.webhook_outcome,
            )
            for row in rows
        ]
    )


@router.post(
    "",
    response_model=RuleOut,
    status_code=201,
    summary="Make an alert rule (owner and admin; audited)",
    dependencies=[Depends(refuse_cross_site_post)],
    responses=_CHANGE_REFUSALS,
)
def make_rule(request: Request, body: RuleIn, editor: Editor, session: DbSession, settings: SettingsDep) -> RuleOut:
    rule = RuleRequest(
        metric=body.metric,
        comparison=body.comparison,
        threshold=body.threshold,
        window=body.window,
        for_=body.for_,
        cooldown=body.cooldown,
        team_id=body.team_id,
        emails=body.emails,
        webhook_url=body.webhook_url,
        webhook_format=body.webhook_format,
    )
    try:
        checked = check_rule(session, rule)
    except RuleRefused as exc:
        raise _refused(exc) from None
    rule_id = create_rule(session, checked, created_by=editor.id, address=client_address(request), now=clock.now())
    return _rule_out(rule_by_id(session, rule_id), settings)


@router.delete(
    "/{rule_id:int}",
    status_code=204,
    summary="Delete an alert rule and its history (owner and admin; audited)",
    dependencies=[Depends(refuse_cross_site_post)],
    responses=_CHANGE_REFUSALS,
)
def remove_rule(
    request: Request, rule_id: Annotated[int, Path(ge=1, le=2**31 - 1)], editor: Editor, session: DbSession
) -> Response:
    try:
        delete_rule(session, rule_id, deleted_by=editor.id, address=client_address(request), now=clock.now())
    except RuleRefused as exc:
        raise _refused(exc) from None
    return Response(status_code=204)
