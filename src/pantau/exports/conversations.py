"""The per-conversation export: one row per conversation of the cohort (created in the window, inside the scope),
with every fact the metrics count from (SPEC §3, §8.3).

The rows come from the same conversation facts every section builds on, with the scope in the SQL, read with a
server-side cursor in batches (`yield_per`), so memory stays the same for ten rows or a million. Phone numbers are
masked for everyone but owners and admins (SPEC §4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Select, case, func, select, true

from pantau.auth.scope import Scope
from pantau.core.business_time import BusinessCalendar
from pantau.core.numbers import round1
from pantau.core.sql import seconds_between
from pantau.core.windows import Window
from pantau.dashboard.privacy import mask_phone
from pantau.metrics.facts import Narrowing, cohort_in_scope, conversation_facts, response_seconds
from pantau.models import Broadcast, Contact, Message, Team, User, WhatsappSession
from pantau.reports.workbook import FORMULA_STARTS

contacts = Contact.__table__
sessions = WhatsappSession.__table__
teams = Team.__table__
users = User.__table__
broadcasts = Broadcast.__table__
messages = Message.__table__

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
    only the conversations behind one figure (a drill-down's list), judged in business time under `calendar`, among
    `population` for a figure that counts other conversations than the cohort (those open now)."""
    if population is None:
        population = cohort_in_scope(scope, window.start, window.end)
    facts = conversation_facts(population, name="export", calendar=calendar)
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
    (false, true); with `narrowed`, only a figure's conversations (among `population`, by default the cohort). XLSX
    writes text as text cells instead (`pantau.exports.workbooks`).

    Written out cell by cell, without a call per cell where one can be saved: at a million rows, each call is
    seconds."""
    zone = window.zone
    no, yes = flags
    phones_whole = scope.sees_phone_numbers

    def local(moment):
        return None if moment is None else moment.astimezone(zone).isoformat()

    def text(value):
        return value if value is None or not neutralised or not value.startswith(FORMULA_STARTS) else "'" + value

    def phone(number):
        return text(number if phones_whole else mask_phone(number))

    query = conversations_query(scope, window, narrowed, calendar, population)
    result = connection.execute(query.execution_options(yield_per=BATCH))
    for partition in result.partitions():
        yield [
            [
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
            for row in partition
        ]
