"""The demo dataset as a stream of row batches, table by table in foreign-key order, one calendar day at a time.

Deterministic: the same size, seed, anchor time and zone give the same rows (every random draw comes from
`random.Random` instances seeded from `seed`). Memory stays small whatever the size: a day's rows are handed over
before the next day is generated; across days only an integer per conversation is kept (who wrote, to pick
returning customers from).
"""

from __future__ import annotations

import itertools
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pantau.demo.catalog import (
    BROADCAST_NUMBER,
    CONTACT_TAGS,
    FRIDAY_CAMPAIGNS,
    MOBILE_PREFIXES,
    MONTH_NAMES,
    PAYDAY,
    TUESDAY_CAMPAIGNS,
    WHATSAPP_NUMBERS,
    Campaign,
)
from pantau.demo.conversations import ConversationWriter, DayRows, Line
from pantau.demo.delivery import Delivery, Incident, Sender
from pantau.demo.people import activity_rows, build_organisation, person_name, user_rows
from pantau.demo.sizes import DemoSize
from pantau.demo.traffic import Calendar, arrivals, at, is_twin_date

BROADCAST_SHARE = 0.06  # of all conversations: campaign threads
LOGIN_CODE_SHARE = 0.03  # of arrivals: login codes sent by the shop's app (authentication templates)
RETURNING_SHARE = 0.42  # of customer chats: someone who already chatted in the period
OLD_CUSTOMER_SHARE = 0.08  # of customer chats: a customer from before the period, first chat in it
CUSTOMER_BASE_SHARE = 0.2  # contacts that exist before the period, per conversation of the target
REPLY_RATE = 0.22  # of read campaign messages
# Campaigns go out throttled, to protect the number's quality rating: a batch every ten minutes, drained at a
# few messages a second.
CAMPAIGN_BATCH = 30
CAMPAIGN_BATCH_INTERVAL = 600.0
SENDING_RATE = 2.0
CHUNK = 20_000


@dataclass(frozen=True)
class Batch:
    table: str
    rows: list[tuple]
    day: int  # 0: organisation and customer base; then 1..day_count, one per calendar day


@dataclass(frozen=True)
class BusinessNumber:
    row: tuple  # its whatsapp_sessions row
    line: Line
    routing_weight: int
    takes_chats_until: float  # a number that went offline stopped taking new chats a day before


@dataclass(frozen=True)
class ScheduledBroadcast:
    ts: float
    campaign: Campaign
    audience_factor: float  # paydays and flash sales go to a wider audience


class DemoGenerator:
    def __init__(self, size: DemoSize, *, seed: int, now: datetime, zone: ZoneInfo, password_hash: str | None) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.size = size
        self.seed = seed
        self.password_hash = password_hash
        self.calendar = Calendar(now.astimezone(UTC).replace(microsecond=0), zone, size.days, self._rng("calendar"))
        self.organisation = build_organisation(self._rng("organisation"), size, self.calendar)
        self.sign_ins = self.organisation.sign_ins

    def _rng(self, purpose: str) -> random.Random:
        # A string seed is hashed with SHA-512: stable across runs and Python processes.
        return random.Random(f"pantau-demo/{self.seed}/{purpose}")

    @property
    def day_count(self) -> int:
        return len(self.calendar.days)

    @property
    def period_start(self) -> datetime:
        return at(self.calendar.start_ts)

    def batches(self) -> Iterator[Batch]:
        rng = self._rng("traffic")
        calendar = self.calendar
        organisation = self.organisation
        numbers = self._numbers(rng)
        incidents = self._incidents(rng)
        writer = ConversationWriter(
            rng, calendar, organisation.roster, Delivery(rng, calendar.now_ts, incidents), organisation.team_ids
        )
        yield Batch("teams", list(zip(organisation.team_ids, organisation.team_names, strict=True)), 0)
        yield Batch("users", user_rows(organisation.people, organisation.team_ids, self.password_hash, calendar), 0)
        yield Batch("whatsapp_sessions", [number.row for number in numbers], 0)

        customer_base = round(self.size.conversations * CUSTOMER_BASE_SHARE)
        for first in range(0, customer_base, CHUNK):
            rows = [self._old_contact(rng, index) for index in range(first, min(first + CHUNK, customer_base))]
            yield Batch("contacts", rows, 0)
        log_rng = self._rng("activity")
        log_ids = (f"activity-{number:07d}" for number in itertools.count(1))
        logs = itertools.chain.from_iterable(
            activity_rows(log_rng, person, calendar, log_ids) for person in organisation.people if person.windows
        )
        while chunk := list(itertools.islice(logs, CHUNK)):
            yield Batch("agent_activity_logs", chunk, 0)

        traffic = _Traffic(self, rng, writer, numbers, customer_base)
        for number, day in enumerate(calendar.days, start=1):
            rows = traffic.day(day)
            for table in ("contacts", "broadcasts", "conversations", "messages", "tickets", "leads"):
                if table_rows := getattr(rows, table):
                    yield Batch(table, table_rows, number)

    def _numbers(self, rng: random.Random) -> list[BusinessNumber]:
        """The business's WhatsApp numbers: most connected, one reconnecting, one gone offline days ago."""
        now = self.calendar.now_ts
        numbers = []
        for index, number in enumerate(WHATSAPP_NUMBERS[: self.size.whatsapp_numbers]):
            session_id = f"wa-{index + 1:02d}"
            if number.status == "connecting":
                # It dropped a few minutes ago: what it sends since waits in the queue.
                last_seen = now - rng.uniform(240, 420)
                line = Line(session_id, Sender(queued_since=last_seen), now)
            elif number.status == "disconnected":
                last_seen = now - rng.uniform(2, 3) * 86400
                line = Line(session_id, Sender(), last_seen)
            else:
                last_seen = now - rng.uniform(2, 50)
                line = Line(session_id, Sender(), now)
            row = (
                session_id,
                number.phone_number,
                number.display_name,
                number.status,
                number.quality_rating,
                number.messaging_limit,
                at(last_seen),
            )
            takes_chats_until = now if line.horizon == now else line.horizon - 86400
            numbers.append(BusinessNumber(row, line, number.routing_weight, takes_chats_until))
        return numbers

    def _incidents(self, rng: random.Random) -> list[Incident]:
        """Platform incidents before today, one for every three weeks of data (today's delivery looks healthy)."""
        calendar = self.calendar
        latest = calendar.midnight(calendar.today) - 3 * 3600
        incidents = []
        for _ in range(max(1, self.size.days // 21)):
            start = rng.uniform(calendar.start_ts, latest)
            incidents.append(Incident(start, start + rng.uniform(40, 150) * 60, 0.3))
        return incidents

    def _old_contact(self, rng: random.Random, index: int) -> tuple:
        created = self.calendar.start_ts - rng.uniform(1, 720) * 86400
        return contact_row(rng, index, created, ["pelanggan-setia"] if rng.random() < 0.3 else [])


def contact_id(index: int) -> str:
    return f"contact-{index + 1:07d}"


def contact_phone(index: int) -> str:
    """A unique +62 8xx mobile number per contact: multiplying by 7919 permutes the eight-digit subscriber part."""
    prefix = MOBILE_PREFIXES[(index * 2654435761 >> 7) % len(MOBILE_PREFIXES)]
    return f"+62{prefix}{(index * 7919 + 13_572_468) % 100_000_000:08d}"


def contact_row(rng: random.Random, index: int, created: float, tags: list[str]) -> tuple:
    roll = rng.random()
    if roll < 0.03:
        name = None  # no WhatsApp profile name
    elif roll < 0.18:
        name = person_name(rng).split()[0]
    elif roll < 0.28:
        name = f"{rng.choice(('Bu', 'Pak', 'Kak'))} {person_name(rng)}"
    else:
        name = person_name(rng)
    if rng.random() < 0.2:
        tags = [*tags, rng.choice(CONTACT_TAGS)]
    return (contact_id(index), contact_phone(index), name, tags, at(created))


class _Traffic:
    """Day by day: new chats, campaigns and login codes, in time order, with the customers they come from."""

    def __init__(
        self,
        generator: DemoGenerator,
        rng: random.Random,
        writer: ConversationWriter,
        numbers: list[BusinessNumber],
        customer_base: int,
    ) -> None:
        self.calendar = generator.calendar
        self.size = generator.size
        self.rng = rng
        self.writer = writer
        self.numbers = numbers
        self.main_line = numbers[0].line
        by_name = {number.row[2]: number.line for number in numbers}
        self.broadcast_line = by_name.get(BROADCAST_NUMBER, self.main_line)
        self.queued_line = next((line for line in by_name.values() if line.sender.queued_since is not None), None)
        self.team_weights = [0] * self.size.teams
        for person in generator.organisation.people:
            if person.role == "agent" and person.team is not None:
                self.team_weights[person.team] += 1
        self.contact_count = customer_base
        self.customer_base = customer_base
        self.chat_contacts = array("I")  # contact index of every conversation so far: frequent customers recur
        arrivals_target = self.size.conversations * (1 - BROADCAST_SHARE)
        self.rate = arrivals_target / self.calendar.total_load()
        self.schedule = self._broadcast_schedule()
        self.audience = self.size.conversations * BROADCAST_SHARE / max(1, len(self.schedule))
        self.broadcast_ids = (f"broadcast-{number:04d}" for number in itertools.count(1))

    def _broadcast_schedule(self) -> dict[date, list[ScheduledBroadcast]]:
        calendar = self.calendar
        schedule: dict[date, list[ScheduledBroadcast]] = {}
        for day in calendar.days:
            week = day.isocalendar().week
            planned = []
            if is_twin_date(day):
                planned.append((9, Campaign(f"Flash Sale {day.day}.{day.month}", "flash_sale_tanggal_kembar_v2"), 1.6))
            if day.weekday() == 1:
                planned.append((10, TUESDAY_CAMPAIGNS[week % len(TUESDAY_CAMPAIGNS)], 1.0))
            if day.day == PAYDAY:
                planned.append((11, Campaign(f"Promo Gajian {MONTH_NAMES[day.month - 1]}", "promo_gajian_v3"), 1.4))
            if day.weekday() == 4:
                planned.append((15, FRIDAY_CAMPAIGNS[week % len(FRIDAY_CAMPAIGNS)], 1.0))
            broadcasts = [
                ScheduledBroadcast(calendar.local(day, hour, 0), campaign, factor)
                for hour, campaign, factor in planned
                if calendar.local(day, hour, 0) <= calendar.now_ts
            ]
            if broadcasts:
                schedule[day] = broadcasts
        return schedule

    def day(self, day: date) -> DayRows:
        rng = self.rng
        rows = DayRows()
        events: list[tuple[float, int, ScheduledBroadcast | None]] = [
            (ts, 0, None) for ts in arrivals(rng, self.calendar.hour_slots(day), self.rate)
        ]
        events.extend((broadcast.ts, 1, broadcast) for broadcast in self.schedule.get(day, ()))
        if day == self.calendar.today and self.queued_line is not None:
            # Login codes requested while a number reconnects: the queue is never empty on a fresh demo.
            since = self.queued_line.sender.queued_since
            events.extend((rng.uniform(since, self.calendar.now_ts), 2, None) for _ in range(rng.randint(3, 8)))
        events.sort(key=lambda event: (event[0], event[1]))
        for ts, kind, broadcast in events:
            if kind == 1:
                self._broadcast(rows, broadcast)
            elif kind == 2:
                self.writer.notification(rows, ts, self._customer(rows, ts), self.queued_line, "authentication")
            elif rng.random() < LOGIN_CODE_SHARE:
                self.writer.notification(rows, ts, self._customer(rows, ts), self.main_line, "authentication")
            else:
                team = rng.choices(range(self.size.teams), self.team_weights)[0]
                self.writer.customer_chat(rows, ts, self._customer(rows, ts), self._route(ts), team)
        return rows

    def _route(self, ts: float) -> Line:
        open_numbers = [number for number in self.numbers if number.routing_weight and ts < number.takes_chats_until]
        return self.rng.choices(
            [number.line for number in open_numbers], [number.routing_weight for number in open_numbers]
        )[0]

    def _customer(self, rows: DayRows, ts: float) -> str:
        """The contact id of who writes: a returning customer, an old one, or someone new."""
        rng = self.rng
        roll = rng.random()
        if roll < RETURNING_SHARE and self.chat_contacts:
            index = self.chat_contacts[rng.randrange(len(self.chat_contacts))]
        elif roll < RETURNING_SHARE + OLD_CUSTOMER_SHARE and self.customer_base:
            index = rng.randrange(self.customer_base)
        else:
            index = self.contact_count
            self.contact_count += 1
            rows.contacts.append(contact_row(rng, index, ts, ["pelanggan-baru"] if rng.random() < 0.4 else []))
        self.chat_contacts.append(index)
        return contact_id(index)

    def _broadcast(self, rows: DayRows, broadcast: ScheduledBroadcast) -> None:
        rng = self.rng
        broadcast_id = next(self.broadcast_ids)
        line = self.broadcast_line
        rows.broadcasts.append(
            (broadcast_id, broadcast.campaign.name, line.session_id, broadcast.campaign.template_name, at(broadcast.ts))
        )
        size = round(self.audience * broadcast.audience_factor * rng.uniform(0.7, 1.3))
        recipients = rng.sample(range(self.contact_count), min(size, self.contact_count))
        for position, index in enumerate(recipients):
            batch, place = divmod(position, CAMPAIGN_BATCH)
            queued_at = broadcast.ts + batch * CAMPAIGN_BATCH_INTERVAL
            if queued_at > self.calendar.now_ts:
                return  # the rest of the audience is still waiting for its batch
            team = rng.choices(range(self.size.teams), self.team_weights)[0]
            self.chat_contacts.append(index)
            self.writer.broadcast_recipient(
                rows,
                queued_at,
                contact_id(index),
                line,
                team,
                broadcast_id,
                reply_rate=REPLY_RATE,
                queue_wait=place / SENDING_RATE,
            )
