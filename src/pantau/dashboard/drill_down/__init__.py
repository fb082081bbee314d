"""Drill-down (SPEC §8.3): the conversations behind a figure of a section,
`GET /api/dashboard/<section>/conversations?figure=<key>[&bucket=…]` with the section's parameters.

Each figure's list filters the cohort's conversation facts (`metrics.facts`) by the very conditions its parts count
(`metrics.parts.conversation_conditions`), in the same scope and window, at the same `now`: the list's `total` is the
figure. A figure that does not count the range's cohort draws its list from conversations of its own
(`Figure.population`): counted over other hours (a bucket, the heatmap's week), judged by a contact's history or by
messages, or what stands now (kpi's active conversations, an agent's open load). The list is always read live;
snapshots hold the same counts (docs/drill-down.md).

A figure that counts tickets (kpi's open tickets, `Figure.tickets`) lists the tickets it counts instead, one row
each, with the conversation behind each beside it (`TicketItem`).

Pages are keyset-paginated on (createdAt, id), the ticket's for a list of tickets: `after` is an opaque cursor naming
the last row of the previous page.
"""

# Annotations stay real objects here (no postponed evaluation): FastAPI reads the endpoints built in a loop below.
import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import WithJsonSchema
from sqlalchemy import ColumnElement, Connection, Select, and_, func, literal, or_, select
from sqlalchemy.sql import Subquery

from pantau.auth.dependencies import CurrentUser
from pantau.core.business_time import BusinessCalendar
from pantau.core.database import release_connection
from pantau.core.numbers import round1
from pantau.core.windows import iso_local
from pantau.dashboard.drill_down import (
    agent_productivity,
    automation_impact,
    business_impact,
    conversation_effectiveness,
    customer_load,
    kpi,
)
from pantau.dashboard.drill_down.figures import Drawn, Figure
from pantau.dashboard.privacy import phone_for
from pantau.dashboard.router import SECTION_REFUSALS, SECTIONS, Section, SectionRequest, section_request
from pantau.dashboard.schemas import CamelModel, with_business_hours
from pantau.metrics.facts import Narrowing, cohort_in_scope, conversation_facts, response_seconds
from pantau.metrics.parts import (
    conversation_conditions,
    sla_response_seconds,
)
from pantau.models import Contact, Team, Ticket, User
from pantau.web.deps import DbSession, ReadsDep
from pantau.web.errors import ApiError

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])

contacts = Contact.__table__
teams = Team.__table__
users = User.__table__
tickets = Ticket.__table__

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

# Every section's figures with a list, by section name: each section declares its own in a module of this package.
FIGURES: dict[str, dict[str, Figure]] = {
    "conversation-effectiveness": conversation_effectiveness.FIGURES,
    "kpi": kpi.FIGURES,
    "automation-impact": automation_impact.FIGURES,
    "business-impact": business_impact.FIGURES,
    "customer-load": customer_load.FIGURES,
    "agent-productivity": agent_productivity.FIGURES,
}


class Named(CamelModel):
    id: str
    name: str | None


class ContactInfo(CamelModel):
    id: str
    name: str | None
    phone: str | None  # masked for everyone but owners and admins


class ItemBusinessTime(CamelModel):
    """The first response counted in business time (SPEC §8.5): what the SLA and the buckets judge."""

    first_response_seconds: float | None


class DrillDownItem(CamelModel):
    id: str
    contact: ContactInfo | None
    team: Named | None
    agent: Named | None
    status: str
    created_at: str
    first_response_seconds: float | None
    resolved_at: str | None
    business_time: ItemBusinessTime | None = with_business_hours()


class TicketItem(CamelModel):
    """A row of a list of tickets (kpi's open tickets): the ticket, and beside it the conversation behind it as the
    conversation lists give it; `conversationId` and `conversation` are null when the ticket has no conversation or
    its conversation is outside the caller's scope."""

    ticket_id: str
    priority: str
    status: str
    created_at: str
    team: Named | None
    agent: Named | None
    conversation_id: str | None
    conversation: DrillDownItem | None


class DrillDownResponse(CamelModel):
    total: int
    items: list[DrillDownItem | TicketItem]
    next: str | None


_TEXT = WithJsonSchema({"type": "string"})


@dataclass(frozen=True)
class PageParameters:
    figure: str | None
    bucket: str | None
    limit: int
    after: tuple[datetime, str] | None


def _limit(value: str | None) -> int:
    if not value:
        return DEFAULT_LIMIT
    if not value.isdecimal() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(400, "invalid_parameter", f"limit: must be a whole number from 1 to {MAX_LIMIT}, got {value!r}")
    return int(value)


def encode_cursor(created_at: datetime, conversation_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), conversation_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        moment, conversation_id = json.loads(raw)
        created_at = datetime.fromisoformat(moment)
        if created_at.tzinfo is None or not isinstance(conversation_id, str):
            raise ValueError(value)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ApiError(
            400, "invalid_parameter", "after: not a cursor this list gave; use the `next` of a previous page"
        ) from None
    return created_at, conversation_id


@dataclass(frozen=True)
class FigureChoice:
    figure: str | None
    bucket: str | None


async def figure_choice(
    figure: Annotated[str | None, Query(description="the figure's path in the section's JSON"), _TEXT] = None,
    bucket: Annotated[str | None, Query(description="for a figure inside a list: the item's key"), _TEXT] = None,
) -> FigureChoice:
    return FigureChoice(figure or None, bucket or None)


async def page_parameters(
    choice: Annotated[FigureChoice, Depends(figure_choice)],
    limit: Annotated[
        str | None, Query(description=f"rows per page, 1 to {MAX_LIMIT}; default {DEFAULT_LIMIT}"), _TEXT
    ] = None,
    after: Annotated[str | None, Query(description="the cursor in the previous page's `next`"), _TEXT] = None,
) -> PageParameters:
    return PageParameters(choice.figure, choice.bucket, _limit(limit), decode_cursor(after) if after else None)


def check_figure(
    connection: Connection, section: Section, checked: SectionRequest, figure: str | None, bucket: str | None
) -> Figure:
    """The figure asked for, with its bucket checked: 400 naming an unknown figure or bucket, 403 for a person's
    bucket outside the scope."""
    figures = FIGURES[section.name]
    if figure is None:
        raise ApiError(400, "invalid_parameter", f"figure: required; use one of {', '.join(figures)}")
    chosen = figures.get(figure)
    if chosen is None:
        raise ApiError(
            400,
            "invalid_parameter",
            f"figure: {section.name} has no figure {figure!r} with a list; use one of {', '.join(figures)}",
        )
    if chosen.bucket is None:
        if bucket is not None:
            raise ApiError(400, "invalid_parameter", f"bucket: {figure} has no buckets, got {bucket!r}")
        return chosen
    if bucket is None:
        raise ApiError(400, "invalid_parameter", f"bucket: required with figure={figure}")
    chosen.bucket(connection, checked, figure, bucket)
    return chosen


def figure_population(connection: Connection, checked: SectionRequest, figure: Figure, bucket: str | None) -> Drawn:
    """The conversations the figure's list is drawn from: the range's cohort in the scope, unless the figure counts
    other ones (`Figure.population`)."""
    if figure.population is None:
        return Drawn(cohort_in_scope(checked.scope, checked.window.start, checked.window.end))
    return figure.population(checked.on(connection), bucket)


def figure_filter(checked: SectionRequest, figure: Figure, bucket: str | None, drawn: Drawn) -> Narrowing:
    """The figure's condition on the facts of the conversations it is `drawn` from, at the request's `now`: what the
    list and its export (`pantau.exports`) both select."""

    def narrowed(facts: Subquery) -> ColumnElement[bool]:
        counted = conversation_conditions(
            facts, checked.window.now, checked.settings.sla_first_response_seconds, checked.settings.business_calendar
        )
        condition = figure.condition(facts, counted, bucket)
        return condition if drawn.among is None else and_(drawn.among(facts), condition)

    return narrowed


def _conversation_rows(facts: Subquery, calendar: BusinessCalendar | None) -> Select:
    """The columns of a list's row of conversation facts, with its contact, team and agent."""
    f = facts.c
    assignee = users.alias("assignee")
    return select(
        f.id,
        f.contact_id,
        contacts.c.name.label("contact_name"),
        contacts.c.phone_number.label("contact_phone"),
        f.team_id,
        teams.c.name.label("team_name"),
        f.assigned_to,
        assignee.c.full_name.label("agent_name"),
        f.status,
        f.created_at,
        response_seconds(facts).label("first_response_seconds"),
        f.resolved_at,
        (literal(None) if calendar is None else sla_response_seconds(facts, calendar)).label("business_seconds"),
    ).select_from(
        facts.outerjoin(contacts, contacts.c.id == f.contact_id)
        .outerjoin(teams, teams.c.id == f.team_id)
        .outerjoin(assignee, assignee.c.id == f.assigned_to)
    )


def _conversation_item(row: Any, checked: SectionRequest) -> DrillDownItem:
    zone = checked.window.zone
    calendar = checked.settings.business_calendar
    return DrillDownItem(
        id=row.id,
        contact=None
        if row.contact_id is None
        else ContactInfo(id=row.contact_id, name=row.contact_name, phone=phone_for(checked.scope, row.contact_phone)),
        team=None if row.team_id is None else Named(id=row.team_id, name=row.team_name),
        agent=None if row.assigned_to is None else Named(id=row.assigned_to, name=row.agent_name),
        status=getattr(row.status, "value", row.status),
        created_at=iso_local(row.created_at, zone),
        first_response_seconds=round1(row.first_response_seconds),
        resolved_at=None if row.resolved_at is None else iso_local(row.resolved_at, zone),
        business_time=None
        if calendar is None
        else ItemBusinessTime(first_response_seconds=round1(row.business_seconds)),
    )


def _after(created_at: ColumnElement, row_id: ColumnElement, after: tuple[datetime, str]) -> ColumnElement[bool]:
    moment, last_id = after
    return or_(created_at > moment, and_(created_at == moment, row_id > last_id))


Page = tuple[int, list[DrillDownItem | TicketItem], tuple[datetime, str] | None]


def drill_down(connection: Connection, checked: SectionRequest, figure: Figure, parameters: PageParameters) -> Page:
    """The total, one page of rows and, when more follow, the cursor of the page's last row."""
    calendar = checked.settings.business_calendar
    drawn = figure_population(connection, checked, figure, parameters.bucket)
    facts = conversation_facts(drawn.conversations, name="drill", calendar=calendar)
    if figure.tickets is not None:
        return _ticket_page(connection, checked, figure.tickets(checked.scope), facts, parameters)
    f = facts.c
    condition = figure_filter(checked, figure, parameters.bucket, drawn)(facts)

    total = connection.execute(select(func.count()).select_from(facts).where(condition)).scalar_one()

    page = [condition]
    if parameters.after is not None:
        page.append(_after(f.created_at, f.id, parameters.after))
    rows = connection.execute(
        _conversation_rows(facts, calendar).where(*page).order_by(f.created_at, f.id).limit(parameters.limit + 1)
    ).all()

    items: list[DrillDownItem | TicketItem] = [_conversation_item(row, checked) for row in rows[: parameters.limit]]
    more = len(rows) > parameters.limit
    last = rows[parameters.limit - 1] if more else None
    return total, items, None if last is None else (last.created_at, last.id)


def _ticket_page(
    connection: Connection,
    checked: SectionRequest,
    counted: ColumnElement[bool],
    facts: Subquery,
    parameters: PageParameters,
) -> Page:
    """A figure that counts tickets: one row per ticket it counts (`counted`), oldest first, with the conversation
    behind it from `facts` (the conversations in scope behind those tickets) beside it, or null."""
    total = connection.execute(select(func.count()).select_from(tickets).where(counted)).scalar_one()
    conversation = _conversation_rows(facts, checked.settings.business_calendar).subquery("conversation")
    ticket_team = teams.alias("ticket_team")
    ticket_agent = users.alias("ticket_agent")
    page = [counted]
    if parameters.after is not None:
        page.append(_after(tickets.c.created_at, tickets.c.id, parameters.after))
    rows = connection.execute(
        select(
            tickets.c.id.label("ticket_id"),
            tickets.c.priority.label("ticket_priority"),
            tickets.c.status.label("ticket_status"),
            tickets.c.created_at.label("ticket_created_at"),
            tickets.c.team_id.label("ticket_team_id"),
            ticket_team.c.name.label("ticket_team_name"),
            tickets.c.assigned_to.label("ticket_agent_id"),
            ticket_agent.c.full_name.label("ticket_agent_name"),
            *conversation.c,
        )
        .select_from(
            tickets.outerjoin(conversation, conversation.c.id == tickets.c.conversation_id)
            .outerjoin(ticket_team, ticket_team.c.id == tickets.c.team_id)
            .outerjoin(ticket_agent, ticket_agent.c.id == tickets.c.assigned_to)
        )
        .where(*page)
        .order_by(tickets.c.created_at, tickets.c.id)
        .limit(parameters.limit + 1)
    ).all()
    zone = checked.window.zone
    items: list[DrillDownItem | TicketItem] = [
        TicketItem(
            ticket_id=row.ticket_id,
            priority=getattr(row.ticket_priority, "value", row.ticket_priority),
            status=getattr(row.ticket_status, "value", row.ticket_status),
            created_at=iso_local(row.ticket_created_at, zone),
            team=None if row.ticket_team_id is None else Named(id=row.ticket_team_id, name=row.ticket_team_name),
            agent=None if row.ticket_agent_id is None else Named(id=row.ticket_agent_id, name=row.ticket_agent_name),
            conversation_id=row.id,
            conversation=None if row.id is None else _conversation_item(row, checked),
        )
        for row in rows[: parameters.limit]
    ]
    more = len(rows) > parameters.limit
    last = rows[parameters.limit - 1] if more else None
    return total, items, None if last is None else (last.ticket_created_at, last.ticket_id)


def _endpoint(section: Section) -> Callable[..., DrillDownResponse]:
    def read_conversations(
        request: Request,
        caller: CurrentUser,
        session: DbSession,
        reads: ReadsDep,
        checked: Annotated[SectionRequest, Depends(section_request(section))],
        parameters: Annotated[PageParameters, Depends(page_parameters)],
    ) -> DrillDownResponse:
        """The conversations behind one figure of the section, in the caller's scope, oldest first."""
        try:
            with reads.connection() as connection:
                figure = check_figure(connection, section, checked, parameters.figure, parameters.bucket)
                total, items, last = drill_down(connection, checked, figure, parameters)
        finally:
            release_connection(session)
        following = None
        if last is not None:
            url = request.url.include_query_params(after=encode_cursor(*last))
            following = f"{url.path}?{url.query}"
        return DrillDownResponse(total=total, items=items, next=following)

    read_conversations.__name__ = "read_" + section.name.replace("-", "_") + "_conversations"
    return read_conversations


for _name, _figures in FIGURES.items():
    router.add_api_route(
        f"/{_name}/conversations",
        _endpoint(SECTIONS[_name]),
        methods=["GET"],
        response_model=DrillDownResponse,
        summary=f"The conversations behind a figure of {_name}",
        description=f"The section's parameters, plus `figure` (one of {', '.join(_figures)}) and, for a figure inside "
        "a list, `bucket` (docs/drill-down.md; e.g. conversationsPerAgent, agentMetrics.*: the agentId; "
        "firstResponseDistribution: the bucket as the JSON names it; incomingChatsPerHour: the item's timestamp; "
        "heatmap: `<dayOfWeek>-<hour>`; topIntents: the intent; campaignConversion.responded: the campaignId). "
        f"`total` equals the figure; rows oldest first, keyset-paginated (`limit` up to {MAX_LIMIT}, default "
        f"{DEFAULT_LIMIT}; `next` is the following page's URL, null on the last). Contacts' phone numbers are masked "
        "for everyone but owners and admins.",
        responses=SECTION_REFUSALS,
    )
