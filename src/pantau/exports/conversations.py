"""The per-conversation export: one row per conversation of the cohort (created in the window, inside the scope),
with every fact the metrics count from (SPEC §3, §8.3).

The rows come from the same conversation facts every section builds on, with the scope in the SQL, read with a
server-side cursor in batches (`yield_per`), so memory stays the same for ten rows or a million. Phone numbers are
masked for everyone but owners and admins (SPEC §4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, case, func, select, text, true

from pantau.auth.scope import Scope
from pantau.core.business_time import BusinessCalendar
from pantau.core.numbers import round1_float
from pantau.core.sql import seconds_between
from pantau.core.windows import Window
from pantau.dashboard.privacy import mask_phone
from pantau.exports.cells import local_times
from pantau.metrics.facts import Narrowing, cohort_in_scope, conversation_facts, response_seconds
from pantau.models import Broadcast, Contact, Message, Team, Ticket, User, WhatsappSession
from pantau.reports.workbook import FORMULA_STARTS

contacts = Contact.__table__
sessions = WhatsappSession.__table__
teams = Team.__table__
users = User.__table__
broadcasts = Broadcast.__table__
messages = Message.__table__
tickets = Ticket.__table__

# Rows fetched from the cursor at a time.
BATCH = 2000


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    id: str

    def title(self, language: str) -> str:
        return self.id if language == "id" else self.en


COLUMNS: tuple[Column, ...] = (
    Column("conversationId", "Conversation id", "Id percakapan"),
    Column("contactId", "Contact id", "Id kontak"),
    Column("contactName", "Contact", "Kontak"),
    Column("contactPhone", "Contact phone", "Telepon kontak"),
    Column("sessionId", "WhatsApp session id", "Id sesi WhatsApp"),
    Column("sessionPhone", "WhatsApp session number", "Nomor sesi WhatsApp"),
    Column("teamId", "Team id", "Id tim"),
    Column("teamName", "Team", "Tim"),
    Column("agentId", "Agent id", "Id agen"),
    Column("agentName", "Agent", "Agen"),
    Column("status", "Status", "Status"),
    Column("createdAt", "Created", "Dibuat"),
    Column("firstInboundAt", "First customer message", "Pesan pelanggan pertama"),
    Column("escalatedAt", "Escalated", "Dieskalasi"),
    Column("firstResponseAt", "First response", "Respons pertama"),
    Column("firstResponseSeconds", "First response time (s)", "Waktu respons pertama (dtk)"),
    Column("resolvedAt", "Resolved", "Diselesaikan"),
    Column("handlingSeconds", "Handling time (s)", "Waktu penanganan (dtk)"),
    Column("handledByBot", "Handled by bot", "Ditangani bot"),
    Column("botEngaged", "Bot-engaged", "Melibatkan bot"),
    Column("escalated", "Escalated to a human", "Dieskalasi ke manusia"),
    Column("botOnly", "Bot-only", "Hanya bot"),
    Column("humanOnly", "Human-only", "Hanya manusia"),
    Column("needsHuman", "Needs a human", "Perlu manusia"),
    Column("unanswered", "Unanswered", "Belum dijawab"),
    Column("intent", "Intent", "Intent"),
    Column("csat", "CSAT", "CSAT"),
    Column("broadcastId", "Broadcast id", "Id siaran"),
    Column("broadcastName", "Broadcast", "Siaran"),
    Column("messagesIn", "Messages in", "Pesan masuk"),
    Column("messagesOut", "Messages out", "Pesan keluar"),
)


def header(language: str) -> list[str]:
    return [column.title(language) for column in COLUMNS]


def conversations_query(
    scope: Scope,
    window: Window,
    narrowed: Narrowing | None = None,
    calendar: BusinessCalendar | None = None,
    population: ColumnElement[bool] | None = None,
) -> Select:
    """The cohort of the window in the scope, oldest first (ties by id), one row per conversation; with `narrowed`,
    only the conversations behind one figure (a drill-down's list), judged in business time under `calendar`; with
    `population`, drawn from those conversations instead of the cohort (a figure that counts others, scope
    included)."""
    drawn_from = cohort_in_scope(scope, window.start, window.end) if population is None else population
    facts = conversation_facts(drawn_from, name="export", calendar=calendar)
    f = facts.c

    def message_count(direction: str):
        return (
            select(func.count())
            .where(messages.c.conversation_id == f.id, messages.c.direction == direction)
            .scalar_subquery()
        )

    assignee = users.alias("assignee")
    return (
        select(
            f.id,
            f.contact_id,
            contacts.c.name.label("contact_name"),
            contacts.c.phone_number.label("contact_phone"),
            f.whatsapp_session_id,
            sessions.c.phone_number.label("session_phone"),
            f.team_id,
            teams.c.name.label("team_name"),
            f.assigned_to,
            assignee.c.full_name.label("agent_name"),
            f.status,
            f.created_at,
            f.c0,
            f.escalated_at,
            f.first_response_at,
            response_seconds(facts).label("first_response_seconds"),
            f.resolved_at,
            case((f.resolved_at.is_not(None), seconds_between(f.resolved_at, f.created_at))).label("handling_seconds"),
            f.handled_by_bot,
            f.bot_engaged,
            f.escalated,
            f.bot_only,
            f.human_only,
            f.needs_human,
            f.unanswered,
            f.intent,
            f.csat_score,
            f.broadcast_id,
            broadcasts.c.name.label("broadcast_name"),
            message_count("inbound").label("messages_in"),
            message_count("outbound").label("messages_out"),
        )
        .select_from(
            facts.outerjoin(contacts, contacts.c.id == f.contact_id)
            .outerjoin(sessions, sessions.c.id == f.whatsapp_session_id)
            .outerjoin(teams, teams.c.id == f.team_id)
            .outerjoin(assignee, assignee.c.id == f.assigned_to)
            .outerjoin(broadcasts, broadcasts.c.id == f.broadcast_id)
        )
        .where(true() if narrowed is None else narrowed(facts))
        .order_by(f.created_at, f.id)
    )


# The first characters of FORMULA_STARTS: a set lookup rules out nearly every cell before str.startswith is asked.
_FORMULA_FIRST = frozenset(start[0] for start in FORMULA_STARTS)

FLAGS_AS_BOOLEANS = (False, True)
FLAGS_AS_WORDS = ("false", "true")  # CSV writes flags as JSON does


def conversation_batches(
    connection: Connection,
    scope: Scope,
    window: Window,
    flags: tuple[object, object] = FLAGS_AS_BOOLEANS,
    *,
    neutralised: bool = True,
    narrowed: Narrowing | None = None,
    calendar: BusinessCalendar | None = None,
    population: ColumnElement[bool] | None = None,
) -> Iterator[list[list[object]]]:
    """Every row of the export in `COLUMNS` order, a batch at a time as the server-side cursor hands them over; with
    `neutralised` (CSV), text a spreadsheet would run gets its apostrophe (`safe_text`); flags written as `flags`
    (false, true); with `narrowed` (and `population`), only a figure's conversations. XLSX writes text as text cells
    instead (`pantau.exports.workbooks`).

    Written out cell by cell, without a call per cell where one can be saved: at a million rows, each call is
    seconds."""
    cells = _row_cells(scope, window, flags, neutralised=neutralised)
    query = conversations_query(scope, window, narrowed, calendar, population)
    _without_jit(connection)
    result = connection.execute(query.execution_options(yield_per=BATCH))
    for partition in result.partitions():
        yield [cells(row) for row in partition]


def _without_jit(connection: Connection) -> None:
    """PostgreSQL compiles the export's query to machine code (JIT) because its estimated cost is high, and spends
    longer compiling than the compiled code saves: off for the rest of this transaction (SET LOCAL; the connection
    goes back to the pool as it came)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL jit = off"))


def _row_cells(
    scope: Scope, window: Window, flags: tuple[object, object], *, neutralised: bool
) -> Callable[[Sequence[Any]], list[object]]:
    """Writes a row of `conversations_query` out as the export's cells, in `COLUMNS` order."""
    local = local_times(window.zone)
    round1 = round1_float
    no, yes = flags
    phones_whole = scope.sees_phone_numbers

    def text(value):
        if neutralised and value and value[0] in _FORMULA_FIRST and value.startswith(FORMULA_STARTS):
            return "'" + value
        return value

    def phone(number):
        return text(number if phones_whole else mask_phone(number))

    def cells(row: Sequence[Any]) -> list[object]:
        return [
            text(row[0]),
            text(row[1]),
            text(row[2]),
            phone(row[3]),
            text(row[4]),
            phone(row[5]),
            text(row[6]),
            text(row[7]),
            text(row[8]),
            text(row[9]),
            row[10].value,
            local(row[11]),
            local(row[12]),
            local(row[13]),
            local(row[14]),
            round1(row[15]),
            local(row[16]),
            round1(row[17]),
            yes if row[18] else no,
            yes if row[19] else no,
            yes if row[20] else no,
            yes if row[21] else no,
            yes if row[22] else no,
            yes if row[23] else no,
            yes if row[24] else no,
            text(row[25]),
            row[26],
            text(row[27]),
            text(row[28]),
            row[29],
            row[30],
        ]

    return cells


TICKET_COLUMNS: tuple[Column, ...] = (
    Column("ticketId", "Ticket id", "Id tiket"),
    Column("priority", "Priority", "Prioritas"),
    Column("ticketStatus", "Ticket status", "Status tiket"),
    Column("ticketCreatedAt", "Ticket created", "Tiket dibuat"),
    Column("ticketTeamId", "Ticket team id", "Id tim tiket"),
    Column("ticketTeamName", "Ticket team", "Tim tiket"),
    Column("ticketAgentId", "Ticket agent id", "Id agen tiket"),
    Column("ticketAgentName", "Ticket agent", "Agen tiket"),
)


def ticket_header(language: str) -> list[str]:
    """A list of tickets as a file: the ticket's columns, then the conversation's (`COLUMNS`)."""
    return [column.title(language) for column in TICKET_COLUMNS] + header(language)


def ticket_batches(
    connection: Connection,
    scope: Scope,
    window: Window,
    counted: ColumnElement[bool],
    flags: tuple[object, object] = FLAGS_AS_BOOLEANS,
    *,
    neutralised: bool = True,
    calendar: BusinessCalendar | None = None,
    population: ColumnElement[bool],
) -> Iterator[list[list[object]]]:
    """The rows of a figure that counts tickets (kpi's open tickets), as the drill-down lists them: one per ticket
    `counted` (scope included), oldest first (ties by id), its columns (`TICKET_COLUMNS`) and beside them the
    conversation behind it, drawn from `population` (the conversations in scope behind those tickets), written as
    `conversation_batches` writes it; empty cells when the ticket has no conversation or it is outside the scope."""
    local = local_times(window.zone)
    cells = _row_cells(scope, window, flags, neutralised=neutralised)
    blank: list[object] = [None] * len(COLUMNS)

    def text(value):
        return value if value is None or not neutralised or not value.startswith(FORMULA_STARTS) else "'" + value

    conversation = conversations_query(scope, window, calendar=calendar, population=population).order_by(None)
    conversation = conversation.subquery("conversation")
    ticket_team = teams.alias("ticket_team")
    ticket_agent = users.alias("ticket_agent")
    query = (
        select(
            tickets.c.id,
            tickets.c.priority,
            tickets.c.status,
            tickets.c.created_at,
            tickets.c.team_id,
            ticket_team.c.name,
            tickets.c.assigned_to,
            ticket_agent.c.full_name,
            *conversation.c,
        )
        .select_from(
            tickets.outerjoin(conversation, conversation.c.id == tickets.c.conversation_id)
            .outerjoin(ticket_team, ticket_team.c.id == tickets.c.team_id)
            .outerjoin(ticket_agent, ticket_agent.c.id == tickets.c.assigned_to)
        )
        .where(counted)
        .order_by(tickets.c.created_at, tickets.c.id)
    )
    _without_jit(connection)
    result = connection.execute(query.execution_options(yield_per=BATCH))
    width = len(TICKET_COLUMNS)
    for partition in result.partitions():
        yield [
            [
                text(row[0]),
                row[1].value,
                row[2].value,
                local(row[3]),
                text(row[4]),
                text(row[5]),
                text(row[6]),
                text(row[7]),
                *(blank if row[width] is None else cells(row[width:])),
            ]
            for row in partition
        ]
