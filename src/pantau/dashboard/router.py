"""`GET /api/dashboard/<section>`: who may call, which window, which rows; then the section computes.

Bad input follows SPEC §9: 400 for a bad range (naming the parameter), 403 for a section or filter outside the
caller's scope, 404 for an unknown section or (for owners and admins) an id that names nothing.
"""

# Annotations stay real objects here (no postponed evaluation): FastAPI reads the endpoints built in a loop below.
import hashlib
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import WithJsonSchema
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from pantau.audit import service as audit
from pantau.auth.dependencies import CurrentUser, client_address, remembered_caller
from pantau.auth.scope import Scope
from pantau.auth.scope_sql import ScopeRefused, narrow_scope
from pantau.business_settings.keys import fingerprint
from pantau.cache.dashboard_cache import CACHE_REQUESTS, CacheKeyParts, CacheOutcome, DashboardCache
from pantau.core import clock
from pantau.core.config import Settings
from pantau.core.credentials_epoch import epoch_key
from pantau.core.database import release_connection
from pantau.core.replica import Reads
from pantau.core.windows import PRESETS, Window, WindowError, resolve_window
from pantau.dashboard import (
    agent_productivity,
    automation_impact,
    business_impact,
    conversation_effectiveness,
    customer_load,
    kpi,
    whatsapp_performance,
)
from pantau.dashboard.context import SectionContext
from pantau.dashboard.filters import FilterOptions, filter_options
from pantau.dashboard.schemas import SectionResponse
from pantau.models.enums import TokenPermission
from pantau.web.deps import DbSession, EffectiveSettingsDep, ReadsDep, remembered_settings
from pantau.web.errors import ApiError, error_responses

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])


@dataclass(frozen=True)
class Section:
    name: str
    compute: Callable[[SectionContext], SectionResponse]
    response_model: type[SectionResponse]
    default_range: str
    summary: str
    words: str  # the prefix of the section's panel titles and definitions in the page's dictionaries (`ce.totals`)
    management: bool = False  # 403 for agents: whatsapp-performance, automation-impact, business-impact
    ranged: bool = True  # kpi always covers today and ignores range parameters
    audited: bool = False  # every read leaves an audit log entry
    # The answers of several scopes at once, the same as `compute`'s for each (the live dashboard's agents and teams).
    compute_many: Callable[[Connection, list[Scope], Window, Settings], Sequence[SectionResponse]] | None = None


SECTIONS: dict[str, Section] = {
    section.name: section
    for section in (
        Section(
            "kpi",
            kpi.compute,
            kpi.KpiResponse,
            "today",
            "KPI strip: five figures for today",
            "kpi",
            ranged=False,
            compute_many=kpi.compute_many,
        ),
        Section(
            "conversation-effectiveness",
            conversation_effectiveness.compute,
            conversation_effectiveness.ConversationEffectivenessResponse,
            "today",
            "Response times, SLA compliance and resolution, per agent and over time",
            "ce",
        ),
        Section(
            "whatsapp-performance",
            whatsapp_performance.compute,
            whatsapp_performance.WhatsappPerformanceResponse,
            "24h",
            "Delivery funnel, broadcasts, failures, sessions, queue and the delivery alert",
            "wa",
            management=True,
        ),
        Section(
            "customer-load",
            customer_load.compute,
            customer_load.CustomerLoadResponse,
            "24h",
            "Incoming chats, returning customers, waits at peak hours, heatmap, next peak",
            "cl",
        ),
        Section(
            "agent-productivity",
            agent_productivity.compute,
            agent_productivity.AgentProductivityResponse,
            "today",
            "Per-agent productivity: chats, messages, time online, status, score, rank and workload",
            "ap",
        ),
        Section(
            "automation-impact",
            automation_impact.compute,
            automation_impact.AutomationImpactResponse,
            "30d",
            "Bot vs human, auto-reply success, drop-off, intents, time saved, escalation, CSAT",
            "ai",
            management=True,
        ),
        Section(
            "business-impact",
            business_impact.compute,
            business_impact.BusinessImpactResponse,
            "30d",
            "Leads, tickets resolved, campaign conversion, repeat customers, cost, revenue, lifetime value",
            "bi",
            management=True,
            audited=True,
        ),
    )
}


# A query string has no null: each optional parameter is documented as a plain string, and the pattern or the names a
# value must have, which the handlers check themselves (400 naming the parameter, SPEC §9). An empty value is the
# same as none (docs/decisions.md), so the empty string is in each of them.
_PRESET = WithJsonSchema({"type": "string", "enum": [*PRESETS, ""]})
_DATE = WithJsonSchema({"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", "examples": ["2026-03-01"]})
_ID = WithJsonSchema({"type": "string"})


@dataclass(frozen=True)
class RangeParameters:
    date_range: str | None = None
    period: str | None = None
    start_date: str | None = None
    end_date: str | None = None


@dataclass(frozen=True)
class ScopeFilters:
    team_id: str | None
    agent_id: str | None


async def range_parameters(
    date_range: Annotated[
        str | None,
        Query(alias="dateRange", description=f"one of {', '.join(PRESETS)}; week = 7d, month = 30d"),
        _PRESET,
    ] = None,
    period: Annotated[str | None, Query(description="alias of dateRange"), _PRESET] = None,
    start_date: Annotated[
        str | None, Query(alias="startDate", description="YYYY-MM-DD, local, inclusive; with endDate"), _DATE
    ] = None,
    end_date: Annotated[
        str | None, Query(alias="endDate", description="YYYY-MM-DD, local, inclusive; at most 366 days"), _DATE
    ] = None,
) -> RangeParameters:
    return RangeParameters(date_range or None, period or None, start_date or None, end_date or None)


async def no_range() -> RangeParameters:
    """kpi always covers today: it takes no range parameter (and ignores one sent anyway)."""
    return RangeParameters()


async def scope_filters(
    team_id: Annotated[str | None, Query(alias="teamId", description="narrow to this team's scope"), _ID] = None,
    agent_id: Annotated[
        str | None, Query(alias="agentId", description="narrow to this person's own scope"), _ID
    ] = None,
) -> ScopeFilters:
    return ScopeFilters(team_id or None, agent_id or None)


def _preset(parameters: RangeParameters) -> tuple[str | None, str]:
    """The range name and the parameter it came from; dateRange and its alias period must agree."""
    if (
        parameters.date_range is not None
        and parameters.period is not None
        and parameters.date_range != parameters.period
    ):
        raise ApiError(400, "invalid_parameter", "period: conflicts with dateRange; give one of them")
    if parameters.date_range is not None:
        return parameters.date_range, "dateRange"
    return parameters.period, "period"


@dataclass(frozen=True)
class SectionRequest:
    """A checked request for a section: the effective scope, the window, the settings. It holds no connection: a
    request waiting for a worker thread must never hold one (see `read_section`)."""

    scope: Scope
    window: Window
    settings: Settings

    def on(self, connection: Connection) -> SectionContext:
        return SectionContext(connection=connection, scope=self.scope, window=self.window, settings=self.settings)


def section_window(section: Section, settings: Settings, parameters: RangeParameters) -> Window:
    """The window the parameters name now (400 for a bad range); kpi's is always today."""
    now = clock.now()
    try:
        if not section.ranged:
            return resolve_window(now=now, zone=settings.zone, preset=section.default_range)
        preset, name = _preset(parameters)
        return resolve_window(
            now=now,
            zone=settings.zone,
            preset=preset,
            start_date=parameters.start_date,
            end_date=parameters.end_date,
            default=section.default_range,
            preset_parameter=name,
        )
    except WindowError as exc:
        raise ApiError(400, "invalid_parameter", exc.detail) from None


def check_section_request(
    section: Section,
    caller: Scope,
    session: Session,
    settings: Settings,
    parameters: RangeParameters,
    filters: ScopeFilters,
) -> SectionRequest:
    """Who may read the section, over which window and rows: the checks of `GET /api/dashboard/<section>`, shared
    with the live dashboard's subscriptions (`pantau.realtime`). Raises ApiError (400, 403, 404) as the API answers."""
    if section.management and not caller.can_read_management_sections:
        raise ApiError(403, "forbidden", f"{section.name}: agents cannot open this section")
    window = section_window(section, settings, parameters)
    scope = caller
    if filters.team_id is not None or filters.agent_id is not None:
        try:
            scope = narrow_scope(session.connection(), caller, filters.team_id, filters.agent_id)
        except ScopeRefused as exc:
            error = {403: "forbidden", 404: "not_found"}.get(exc.status, "invalid_parameter")
            raise ApiError(exc.status, error, exc.detail) from None
        finally:
            release_connection(session)
    return SectionRequest(scope=scope, window=window, settings=settings)


def section_request(section: Section) -> Callable[..., SectionRequest]:
    def dependency(
        caller: CurrentUser,
        session: DbSession,
        settings: EffectiveSettingsDep,
        parameters: Annotated[RangeParameters, Depends(range_parameters if section.ranged else no_range)],
        filters: Annotated[ScopeFilters, Depends(scope_filters)],
    ) -> SectionRequest:
        return check_section_request(section, caller.scope, session, settings, parameters, filters)

    return dependency


def section_cache_key(name: str, scope: Scope, window: Window, settings: Settings) -> CacheKeyParts:
    """An answer's cache key: the section, the window, the scope and the settings in force (an answer computed
    under other settings is never served, even if the cache could not be invalidated when they changed)."""
    return CacheKeyParts(
        section=name,
        parameters={"range": window.cache_token, "settings": fingerprint(settings)},
        scope_key=scope.cache_key,
        timezone=window.zone.key,
    )


def section_answer(section: Section, context: SectionContext) -> SectionResponse:
    """The section's answer, saying so when snapshots made under other settings were left aside."""
    response = section.compute(context)
    outdated = context.outdated_snapshots()
    return response if outdated is None else response.model_copy(update={"outdated_snapshots": outdated})


def section_body(
    cache: DashboardCache, section: Section, checked: SectionRequest, reads: Reads
) -> tuple[bytes, CacheOutcome]:
    """The section's JSON answer, through the cache: what the API sends, and what the live dashboard pushes. Read on
    the replica when one keeps up; an answer to be cached only from one that has every write the primary has."""
    key = section_cache_key(section.name, checked.scope, checked.window, checked.settings)

    def computed(cached: bool) -> bytes:
        with reads.connection(cached=cached) as connection:
            return section_answer(section, checked.on(connection)).model_dump_json(by_alias=True).encode()

    return cache.read_through(key, lambda: computed(False), lambda: computed(True))


def section_bodies(
    cache: DashboardCache, section: Section, scopes: list[Scope], window: Window, settings: Settings, reads: Reads
) -> list[bytes]:
    """`section_body`'s bytes for each of several scopes, computed together by `section.compute_many` (which the
    section must have) and stored in the cache, each under the key `section_body` reads: the live dashboard's push
    to every agent and team a change touches. Read from a database that has every write the cache's version
    reflects, as any answer that is cached."""
    compute_many = section.compute_many
    if compute_many is None:
        raise ValueError(f"{section.name}: no computation for several scopes at once")
    with reads.connection(cached=True) as connection:
        answers = compute_many(connection, scopes, window, settings)
    bodies = [answer.model_dump_json(by_alias=True).encode() for answer in answers]
    keys = [section_cache_key(section.name, scope, window, settings) for scope in scopes]
    cache.fill(section.name, list(zip(keys, bodies, strict=True)))
    return bodies


# A browser keeps the answer but asks again each time (with If-None-Match); no shared cache keeps it at all.
REVALIDATE = "private, no-cache"


def answer_etag(scope: Scope, body: bytes) -> str:
    """The answer's entity tag: a hash of the caller's scope key and the bytes sent, so that two scopes never share
    a tag, even for equal bytes (a tag sent by one caller says nothing about another's answer)."""
    digest = hashlib.sha256(scope.cache_key.encode() + b"\0" + body).hexdigest()
    return f'"{digest[:32]}"'


def if_none_match(request: Request) -> set[str]:
    """The entity tags a request's If-None-Match names (weak ones compared as strong: the body is the same bytes)."""
    header = request.headers.get("if-none-match")
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _endpoint(section: Section) -> Callable[..., Response]:
    def read_section(
        request: Request,
        caller: CurrentUser,
        session: DbSession,
        reads: ReadsDep,
        checked: Annotated[SectionRequest, Depends(section_request(section))],
    ) -> Response:
        """The section's JSON, from the cache when an answer for the same window and scope is fresh there (a hit
        takes no database connection). Each step that uses the database releases its connection before handing back
        to the event loop: with more requests in flight than worker threads, one that holds a connection while it
        waits for a thread could leave the threads waiting for connections, and nobody would move.

        The answer carries an ETag over the caller's scope and the bytes; a request naming it in If-None-Match gets
        304 without the body (after the same checks and audit entry as any read)."""
        body, outcome = section_body(request.app.state.cache, section, checked, reads)
        if section.audited:
            audit.record(
                session,
                user_id=caller.id,
                action=f"read:{section.name}",
                parameters=dict(request.query_params),
                address=client_address(request),
            )
        release_connection(session)
        return answer_response(request, checked.scope, body, outcome)

    read_section.__name__ = "read_" + section.name.replace("-", "_")
    read_section.section = section  # type: ignore[attr-defined]  # for SectionRoute's hit path
    return read_section


def answer_response(request: Request, scope: Scope, body: bytes, outcome: CacheOutcome) -> Response:
    """The answer with its X-Cache, ETag and Cache-Control headers; 304 without the body when the request names its
    tag in If-None-Match."""
    tag = answer_etag(scope, body)
    headers = {"X-Cache": outcome, "ETag": tag, "Cache-Control": REVALIDATE}
    named = if_none_match(request)
    if tag in named or "*" in named:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


_RANGE_PARAMETERS = {"dateRange": "date_range", "period": "period", "startDate": "start_date", "endDate": "end_date"}


def _plain_range(request: Request, section: Section) -> RangeParameters | None:
    """The range a request names when it is one the hit path may answer: no teamId or agentId (narrowing reads the
    database), no parameter given twice. None otherwise."""
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in values:
            return None
        values[name] = value
    if values.get("teamId") or values.get("agentId"):
        return None
    if not section.ranged:
        return RangeParameters()
    return RangeParameters(**{field: values.get(name) or None for name, field in _RANGE_PARAMETERS.items()})


async def remembered_answer(request: Request, section: Section) -> Response | None:
    """The hit path: a cached answer for a caller and settings this process remembers, on the event loop, with one
    Redis round trip (the credentials epoch and the entry, read together) and no worker thread or database
    connection. The caller, their scope and the settings are trusted only if the epoch they were read in is the one
    read with the entry: a sign-out, a revoked token, a deactivation, a new role or new settings anywhere bump it.

    None whenever the full path must answer: nothing remembered, another epoch, no entry (a miss), a request that
    would be refused (a 4xx says why there) or that narrows the scope, an audited section, an ingest token, no Redis.
    Then every check runs as before, so a request answered here gets what the full path would have given it."""
    cache: DashboardCache = request.app.state.cache
    memo = getattr(request.app.state, "credentials", None)
    if section.audited or memo is None or (memo.redis_url, memo.namespace) != (cache.store_url, cache.namespace):
        return None
    caller, settings = await remembered_caller(request), remembered_settings(request)
    if caller is None or settings is None or caller[0] != settings[0]:
        return None
    epoch, user = caller
    if user.permission is not TokenPermission.read:
        return None
    if section.management and not user.scope.can_read_management_sections:
        return None
    parameters = _plain_range(request, section)
    if parameters is None:
        return None
    try:
        window = section_window(section, settings[1], parameters)
    except ApiError:
        return None
    key = section_cache_key(section.name, user.scope, window, settings[1])
    found = await cache.epoch_and_entry(key, epoch_key(memo.namespace))
    if found is None or found[0] != epoch or found[1] is None:
        return None
    CACHE_REQUESTS.labels("hit").inc()
    return answer_response(request, user.scope, found[1], "hit")


class SectionRoute(APIRoute):
    """A section's route: the hit path first (`remembered_answer`), then, when it cannot answer, the endpoint with
    every dependency."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        section: Section = self.endpoint.section  # type: ignore[attr-defined]

        async def handle(request: Request) -> Response:
            answer = await remembered_answer(request, section)
            return answer if answer is not None else await handler(request)

        return handle


SECTION_REFUSALS = error_responses(
    400,
    401,
    403,
    404,
    422,
    503,
    worded={
        400: "Bad input: an unknown range, a malformed or reversed date, a span over 366 days, dateRange and period "
        "that disagree, a range with custom dates, an agent outside the team given, a NUL character. `detail` starts "
        "with the parameter's name.",
        403: "A management section for an agent's scope, or a teamId or agentId outside the caller's scope.",
        404: "For owners and admins, a teamId or agentId that names nothing (others get 403).",
    },
)


def _description(section: Section) -> str:
    window = f"Without a range: `{section.default_range}`." if section.ranged else "Always today; takes no range."
    who = " Not for agents." if section.management else ""
    audited = " Every read is written to the audit log." if section.audited else ""
    return f"{window}{who}{audited} Each figure is defined in docs/metrics/{section.name}.md."


for _section in SECTIONS.values():
    router.add_api_route(
        f"/{_section.name}",
        _endpoint(_section),
        methods=["GET"],
        response_model=_section.response_model,
        summary=_section.summary,
        description=_description(_section),
        responses=SECTION_REFUSALS,
        route_class_override=SectionRoute,
    )


@router.get(
    "/filters",
    response_model=FilterOptions,
    summary="The teams and people the caller may filter by",
    responses=error_responses(401, 503),
)
def read_filters(caller: CurrentUser, session: DbSession) -> FilterOptions:
    options = filter_options(session.connection(), caller.scope)
    release_connection(session)
    return options


@router.get("/{section}", include_in_schema=False)
def unknown_section(section: str, _caller: CurrentUser) -> None:
    raise ApiError(404, "unknown_section", f"section: no section {section!r}; use one of {', '.join(SECTIONS)}")
