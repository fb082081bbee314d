"""How one conversation unfolds: the customer writes, the bot and the agents answer, it gets resolved — or not yet.

Everything is written up to a horizon (`now`, or the moment a number went offline): a message that would come later
is not written, and the conversation then stays open (customer spoke last) or pending (the business did).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pantau.demo.catalog import BROADCAST_REPLY_INTENTS, INTENTS, Intent
from pantau.demo.columns import COLUMNS
from pantau.demo.delivery import Delivery, Sender
from pantau.demo.people import Person, Roster
from pantau.demo.traffic import Calendar, at

DAY = 86400.0
IDLE_CLOSE = 7 * DAY  # the CRM's housekeeping closes a chat nobody has touched for a week
INTENT_WEIGHTS = list(itertools.accumulate(intent.weight for intent in INTENTS))
INTENT_BY_NAME = {intent.name: intent for intent in INTENTS}
# Satisfaction survey answers 1..5 by how the chat went: means ~3.9 bot-only, ~3.7 hybrid, ~4.4 human-only, and
# ~3.2 after a wait of over 15 minutes for the first answer (which pulls the human and hybrid means down).
CSAT_WEIGHTS = {
    "bot": (5, 6, 16, 38, 35),
    "hybrid": (8, 10, 20, 32, 30),
    "human": (2, 3, 8, 30, 57),
    "slow": (15, 15, 25, 25, 20),
}
CSAT_RESPONSE_RATE = 0.3
# The median won lead, in rupiah (the default CURRENCY): an online shop's typical order; values round to Rp 1,000.
LEAD_MEDIAN_RUPIAH = 900_000
TICKET_PRIORITIES = ("urgent", "high", "medium", "low")
PRIORITY_WEIGHTS = {True: (15, 40, 35, 10), False: (3, 15, 47, 35)}  # by Intent.complaint
# Median hours from a ticket's creation to its resolution.
TICKET_RESOLUTION_HOURS = {"urgent": 2.0, "high": 8.0, "medium": 30.0, "low": 72.0}
READ_AT = COLUMNS["messages"].index("read_at")


@dataclass
class DayRows:
    """The rows of one demo day, per table, in an order that satisfies the foreign keys."""

    contacts: list[tuple] = field(default_factory=list)
    broadcasts: list[tuple] = field(default_factory=list)
    conversations: list[tuple] = field(default_factory=list)
    messages: list[tuple] = field(default_factory=list)
    tickets: list[tuple] = field(default_factory=list)
    leads: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    """A business number as conversations see it: where it sends from and until when it exists for them."""

    session_id: str
    sender: Sender
    horizon: float  # the number's last moment online; `now` for the ones still up


class Thread:
    """One conversation being written: its clock, who spoke last, and whether the horizon cut it short."""

    __slots__ = ("id", "line", "contact_id", "clock", "last_inbound", "last_speaker", "cut", "rows")

    def __init__(self, conversation_id: str, line: Line, contact_id: str, clock: float, rows: DayRows) -> None:
        self.id = conversation_id
        self.line = line
        self.contact_id = contact_id
        self.clock = clock
        self.last_inbound: float | None = None
        self.last_speaker: str | None = None
        self.cut = False
        self.rows = rows


class ConversationWriter:
    def __init__(self, rng: random.Random, calendar: Calendar, roster: Roster, delivery: Delivery, team_ids: list[str]):
        self.rng = rng
        self.calendar = calendar
        self.roster = roster
        self.delivery = delivery
        self.team_ids = team_ids
        self.now = calendar.now_ts
        self._conversation_ids = (f"conv-{number:07d}" for number in itertools.count(1))
        self._message_ids = (f"msg-{number:08d}" for number in itertools.count(1))
        self._ticket_ids = (f"ticket-{number:06d}" for number in itertools.count(1))
        self._lead_ids = (f"lead-{number:06d}" for number in itertools.count(1))

    # -- the kinds of conversation ------------------------------------------------------------------------------

    def customer_chat(self, rows: DayRows, ts: float, contact_id: str, line: Line, team: int) -> None:
        """A customer writes in on their own."""
        thread = Thread(next(self._conversation_ids), line, contact_id, ts, rows)
        intent = self.rng.choices(INTENTS, cum_weights=INTENT_WEIGHTS)[0]
        self._chat(thread, created=ts, team=team, intent=intent, broadcast_id=None)

    def broadcast_recipient(
        self,
        rows: DayRows,
        ts: float,
        contact_id: str,
        line: Line,
        team: int,
        broadcast_id: str,
        *,
        reply_rate: float,
        queue_wait: float,
    ) -> None:
        """A campaign message; some recipients write back (mostly within hours, a few after the 72 h window)."""
        rng = self.rng
        thread = Thread(next(self._conversation_ids), line, contact_id, ts, rows)
        message = self._say(
            thread, ts, "system", category="marketing", broadcast_id=broadcast_id, queue_wait=queue_wait
        )
        read_at = message[READ_AT] if message else None
        if read_at is not None and rng.random() < reply_rate:
            late = rng.random() < 0.04
            delay = rng.uniform(72, 120) * 3600 if late else rng.lognormvariate(math.log(3000), 1.4)
            reply = read_at.timestamp() + delay
            if reply <= line.horizon:
                thread.clock = reply
                name = rng.choices(list(BROADCAST_REPLY_INTENTS), list(BROADCAST_REPLY_INTENTS.values()))[0]
                self._chat(thread, created=ts, team=team, intent=INTENT_BY_NAME[name], broadcast_id=broadcast_id)
                return
        # Nobody wrote back: the campaign thread is closed as soon as it is sent.
        rows.conversations.append(_closed_on_sending(thread, contact_id, line, ts, self.team_ids[team], broadcast_id))

    def notification(self, rows: DayRows, ts: float, contact_id: str, line: Line, category: str) -> None:
        """An automatic template (a login code, an order update) in a thread of its own, closed on sending."""
        thread = Thread(next(self._conversation_ids), line, contact_id, ts, rows)
        self._say(thread, ts, "system", category=category)
        rows.conversations.append(_closed_on_sending(thread, contact_id, line, ts, None, None))

    # -- one customer chat ----------------------------------------------------------------------------------------

    def _chat(self, thread: Thread, *, created: float, team: int, intent: Intent, broadcast_id: str | None) -> None:
        rng = self.rng
        c0 = thread.clock
        self._customer_turn(thread, c0)
        hour = self.calendar.local_time(c0).hour
        bot_engaged = rng.random() < (0.55 if 7 <= hour < 21 else 0.8)  # the bot covers for the night shift
        escalated_at = None
        s0: float | None = c0
        if bot_engaged:
            kind, escalated_at, s0 = self._bot_part(thread, intent, c0)
        else:
            kind = "human"
        agent = first_reply = resolve = None
        if s0 is not None and not thread.cut:
            agent, first_reply, resolve = self._human_part(thread, team, s0)
        elif kind == "bot":
            resolve = thread.clock + rng.lognormvariate(math.log(600), 0.6)  # the bot closes a quiet chat
        # Dropped and forgotten chats stay open until housekeeping closes them, without a survey.
        idle = resolve is None and not thread.cut
        status, resolved = self._status(thread, resolve, idle=idle)
        settled = resolved is not None and not idle
        csat = None
        if settled and rng.random() < CSAT_RESPONSE_RATE:
            waited = kind != "bot" and (first_reply is None or first_reply - s0 > 900)
            mood = "slow" if waited else kind
            csat = rng.choices((1, 2, 3, 4, 5), CSAT_WEIGHTS[mood])[0]
        # Some CRMs clear the bot flag when an agent takes over; the bot's messages still tell.
        handled_by_bot = bot_engaged and not (kind == "hybrid" and rng.random() < 0.3)
        team_id = self.team_ids[team]
        thread.rows.conversations.append(
            (
                thread.id,
                thread.contact_id,
                thread.line.session_id,
                team_id,
                agent.id if agent is not None else None,
                status,
                at(created),
                resolved,
                handled_by_bot,
                None if escalated_at is None else at(escalated_at),
                intent.name if bot_engaged else None,
                csat,
                broadcast_id,
            )
        )
        if agent is not None and first_reply is not None and rng.random() < intent.ticket:
            self._ticket(thread, first_reply, team_id, agent, intent)
        lead_chance = 0.35 if broadcast_id is not None else intent.lead
        if rng.random() < lead_chance:
            self._lead(thread, c0, broadcast_id)
        if settled and intent.name in ("order_status", "payment_confirmation") and rng.random() < 0.3:
            # "Pesanan Anda sudah dikirim": a utility template hours after the chat, billable.
            self._say(thread, resolve + rng.lognormvariate(math.log(6 * 3600), 0.8), "system", category="utility")

    def _bot_part(self, thread: Thread, intent: Intent, c0: float) -> tuple[str, float | None, float | None]:
        """The bot greets and answers; returns (kind, escalated_at, when the human clock starts or None)."""
        rng = self.rng
        self._say(thread, thread.clock + rng.uniform(1, 3), "bot", auto=True)  # greeting with the menu
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            self._customer_turn(thread, thread.clock + rng.lognormvariate(math.log(30), 0.8))
            self._bot_turn(thread)
        roll = rng.random()
        if roll < intent.bot_only:
            if rng.random() < 0.55:
                self._customer_turn(thread, thread.clock + rng.lognormvariate(math.log(40), 0.8), messages=1)
            return "bot", None, None
        if roll < intent.bot_only + intent.dropped:
            return "dropped", None, None  # the bot spoke last and the customer went quiet
        if rng.random() < 0.2:
            # An agent takes over from the inbox without a recorded hand-off: the clock runs from the first message.
            return "hybrid", None, c0
        # The customer picks "Chat dengan CS" from the menu.
        self._customer_turn(thread, thread.clock + rng.lognormvariate(math.log(20), 0.6), messages=1)
        escalated_at = thread.clock + rng.uniform(1, 4)
        if not self._say(thread, escalated_at, "system"):  # "Menghubungkan Anda dengan tim CS..."
            return "hybrid", None, None
        return "hybrid", escalated_at, escalated_at

    def _human_part(self, thread: Thread, team: int, s0: float) -> tuple[Person | None, float | None, float | None]:
        """Assignment, first response, the exchange and the resolution: (assignee, first reply, resolution)."""
        rng = self.rng
        agent, on_duty_from = self.roster.assign(rng, team, s0)
        fate = rng.random()
        if fate < 0.012:
            # Forgotten: nobody ever answers (half never left the queue, half sit with an agent).
            return (agent if rng.random() < 0.5 else None), None, None
        if fate < 0.03:
            # The customer gives up; the CRM closes the silent chat after a day, without any agent reply.
            self._customer_turn(thread, thread.clock + rng.lognormvariate(math.log(1200), 0.7), messages=1)
            return (agent if rng.random() < 0.5 else None), None, thread.clock + DAY
        first = max(on_duty_from + self._first_response_delay(on_duty_from, agent), thread.clock + rng.uniform(3, 15))
        if not self._agent_turn(thread, agent, first):
            return agent, None, None
        for _ in range(rng.choices((1, 2, 3, 4, 5), (30, 32, 21, 11, 6))[0]):
            self._customer_turn(thread, thread.clock + rng.lognormvariate(math.log(90), 1.3))
            self._agent_turn(thread, agent, thread.clock + rng.lognormvariate(math.log(50 * agent.speed), 0.9))
        if rng.random() < 0.6:
            self._customer_turn(thread, thread.clock + rng.lognormvariate(math.log(60), 0.9), messages=1)  # "makasih"
        return agent, first, thread.clock + rng.lognormvariate(math.log(240), 0.8)

    def _first_response_delay(self, ts: float, agent: Person) -> float:
        """Lognormal around a median that grows with the hour's load; now and then a chat sits in the queue."""
        rng = self.rng
        median = (40 + 60 * self.calendar.load_at(ts)) * agent.speed
        delay = rng.lognormvariate(math.log(median), 1.0)
        if rng.random() < 0.05:
            delay += rng.lognormvariate(math.log(1800), 0.9)
        return delay

    def _status(self, thread: Thread, resolve: float | None, *, idle: bool) -> tuple[str, datetime | None]:
        """(status, resolved_at) as of the horizon; `idle`: nothing more will happen unless housekeeping closes it."""
        if idle:
            resolve = thread.clock + IDLE_CLOSE
        if resolve is not None and not thread.cut and resolve <= thread.line.horizon:
            # A day after resolution most CRMs archive the chat as closed; housekeeping closes outright.
            closed = idle or (resolve + DAY <= self.now and self.rng.random() < 0.75)
            return ("closed" if closed else "resolved"), at(resolve)
        return ("open" if thread.last_speaker in (None, "customer") else "pending"), None

    # -- turns and messages ----------------------------------------------------------------------------------------

    def _customer_turn(self, thread: Thread, ts: float, messages: int | None = None) -> None:
        count = messages or self.rng.choices((1, 2, 3), (55, 30, 15))[0]
        for index in range(count):
            if not self._say(thread, ts if index == 0 else thread.clock + self.rng.uniform(4, 40), "customer"):
                return

    def _bot_turn(self, thread: Thread) -> None:
        for _ in range(self.rng.choice((1, 1, 2))):
            if not self._say(thread, thread.clock + self.rng.uniform(1, 3), "bot"):
                return

    def _agent_turn(self, thread: Thread, agent: Person, ts: float) -> bool:
        if not self._say(thread, ts, "agent", agent=agent):
            return False
        if self.rng.random() < 0.25:
            self._say(thread, thread.clock + self.rng.uniform(5, 45), "agent", agent=agent)
        return True

    def _say(
        self,
        thread: Thread,
        ts: float,
        sender: str,
        *,
        agent: Person | None = None,
        auto: bool = False,
        category: str = "service",
        broadcast_id: str | None = None,
        queue_wait: float = 0.0,
    ) -> tuple | None:
        """Write one message at `ts` unless the horizon has passed; returns the row."""
        if thread.cut or ts > thread.line.horizon:
            thread.cut = True
            return None
        if sender == "customer":
            row = (
                next(self._message_ids),
                thread.id,
                "inbound",
                "customer",
                None,
                self.delivery.wamid(),
                None,
                False,
                at(ts),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )
            thread.last_inbound = ts
        else:
            outcome = self.delivery.outbound(ts, category, thread.line.sender, thread.last_inbound, queue_wait)
            row = (
                next(self._message_ids),
                thread.id,
                "outbound",
                sender,
                None if agent is None else agent.id,
                outcome[7],
                broadcast_id,
                auto,
                at(ts),
                *outcome[:7],
                category,
                category != "service",
            )
        thread.rows.messages.append(row)
        thread.clock = ts
        thread.last_speaker = sender
        return row

    # -- tickets and leads ---------------------------------------------------------------------------------------

    def _ticket(self, thread: Thread, first_reply: float, team_id: str, agent: Person, intent: Intent) -> None:
        rng = self.rng
        created = first_reply + rng.uniform(60, 1200)
        if created > self.now:
            return
        priority = rng.choices(TICKET_PRIORITIES, PRIORITY_WEIGHTS[intent.complaint])[0]
        resolve = created + rng.lognormvariate(math.log(TICKET_RESOLUTION_HOURS[priority] * 3600), 0.9)
        resolved_at = closed_at = None
        if resolve <= self.now:
            resolved_at = at(resolve)
            close = resolve + rng.lognormvariate(math.log(20 * 3600), 0.8)
            if close <= self.now and rng.random() < 0.85:
                status, closed_at = "closed", at(close)
            else:
                status = "resolved"
        else:
            status = "in_progress" if self.now - created > 3600 and rng.random() < 0.7 else "open"
        thread.rows.tickets.append(
            (
                next(self._ticket_ids),
                thread.id,
                thread.contact_id,
                team_id,
                agent.id,
                priority,
                status,
                at(created),
                resolved_at,
                closed_at,
            )
        )

    def _lead(self, thread: Thread, c0: float, broadcast_id: str | None) -> None:
        rng = self.rng
        created = c0 + rng.uniform(300, 3600)
        if created > self.now:
            return
        value = (
            None
            if rng.random() < 0.08
            else Decimal(max(1000, round(rng.lognormvariate(math.log(LEAD_MEDIAN_RUPIAH), 0.9), -3))).quantize(
                Decimal("0.01")
            )
        )
        decided = created + rng.lognormvariate(math.log(3 * DAY), 1.0)
        outcome = rng.choices(("won", "lost", "qualified"), (35, 30, 35))[0]
        won_at = None
        if decided <= self.now and outcome != "qualified":
            status = outcome
            won_at = at(decided) if outcome == "won" else None
        else:
            status = "qualified" if self.now - created > DAY / 2 else "new"
        thread.rows.leads.append(
            (next(self._lead_ids), thread.contact_id, thread.id, broadcast_id, status, value, at(created), won_at)
        )


def _closed_on_sending(
    thread: Thread, contact_id: str, line: Line, ts: float, team_id: str | None, broadcast_id: str | None
) -> tuple:
    """The conversation row of a thread closed as soon as its one outbound message is sent: unassigned, no bot."""
    return (
        thread.id, contact_id, line.session_id, team_id, None, "closed", at(ts), at(ts), False, None, None, None,
        broadcast_id,
    )  # fmt: skip
