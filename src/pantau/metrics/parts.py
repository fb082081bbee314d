"""Additive parts of the conversation figures (SPEC §7): counts and sums, never ratios, so that the parts of two
disjoint sets of conversations add up to the parts of their union. Sections turn parts into figures; the parts come
from a live query or from snapshots of whole past buckets plus a live edge, and the figures are the same either way.

Durations are summed as whole microseconds, so sums are exact and add up without floating-point drift.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Label,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import Subquery

from pantau.core import numbers
from pantau.core.business_time import BusinessCalendar
from pantau.core.sql import business_clock, microseconds_between
from pantau.metrics.facts import count_where, response_seconds, unanswered_overdue
from pantau.models import Message

messages = Message.__table__

# A bot-only conversation is dropped when the bot spoke last and the customer has been silent this long.
DROP_OFF_AFTER = timedelta(hours=1)

# First-response delays in seconds, [lower, upper): 60 s is "1-5m", 4 h is ">4h".
DELAY_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("<1m", 0, 60),
    ("1-5m", 60, 300),
    ("5-15m", 300, 900),
    ("15-60m", 900, 3600),
    ("1-4h", 3600, 14400),
    (">4h", 14400, None),
)

MICROSECONDS = Decimal(1_000_000)


def _sum(expression: ColumnElement) -> ColumnElement[int]:
    return func.coalesce(func.sum(expression), 0)


@dataclass(slots=True)
class ConversationParts:
    """The additive parts of one set of conversations (a cohort, a bucket of it, one agent's share)."""

    conversations: int = 0
    resolved: int = 0
    bot_engaged: int = 0
    escalated: int = 0
    bot_only: int = 0
    human_only: int = 0
    bot_only_resolved: int = 0
    dropped: int = 0
    # Bot-only, unresolved, the bot spoke last but less than DROP_OFF_AFTER ago: dropped once that much time passes.
    drop_candidates: int = 0
    drop_candidates_latest_us: int = 0  # the latest of their last bot messages, microseconds since 1970
    answered: int = 0  # in the response population with a first response
    response_us: int = 0
    # The business time of the same first responses, with business hours set (0 without): SPEC §8.5.
    business_response_us: int = 0
    compliant: int = 0
    non_compliant: int = 0
    pending: int = 0
    pending_latest_s0_us: int = 0  # the latest human clock start among the pending, microseconds since 1970
    unanswered: int = 0
    delays: list[int] = field(default_factory=lambda: [0] * len(DELAY_BUCKETS))
    handling_us: int = 0  # over resolved conversations
    # Answered (a first agent response, SPEC §3) and resolved: the population of the average handling time, and the
    # sum of their resolved_at - first response (0 for one resolved before its first response).
    answered_resolved: int = 0
    response_to_resolution_us: int = 0
    # Every message of the conversations, by direction, whenever it was written.
    inbound_messages: int = 0
    outbound_messages: int = 0
    csat_sum: int = 0
    csat_count: int = 0
    csat_bot_only_sum: int = 0
    csat_bot_only_count: int = 0
    csat_hybrid_sum: int = 0
    csat_hybrid_count: int = 0
    csat_human_only_sum: int = 0
    csat_human_only_count: int = 0
    intents: dict[str, list[int]] = field(default_factory=dict)  # intent -> [conversations, bot-only resolved]

    def __iadd__(self, other: ConversationParts) -> ConversationParts:
        for name, mine, theirs in zip(_COUNT_NAMES, _counts_of(self), _counts_of(other), strict=True):
            setattr(self, name, mine + theirs)
        for name, mine, theirs in zip(_LATEST_NAMES, _latest_of(self), _latest_of(other), strict=True):
            setattr(self, name, max(mine, theirs))
        self.delays = [mine + theirs for mine, theirs in zip(self.delays, other.delays, strict=True)]
        for intent, (count, resolved) in other.intents.items():
            known = self.intents.get(intent, (0, 0))
            self.intents[intent] = [known[0] + count, known[1] + resolved]
        return self

    def __add__(self, other: ConversationParts) -> ConversationParts:
        total = ConversationParts()
        total += self
        total += other
        return total

    @classmethod
    def total(cls, many: list[ConversationParts]) -> ConversationParts:
        """The sum of many parts at once, field by field: much cheaper than adding them up pairwise."""
        if not many:
            return cls()
        counts = [sum(column) for column in zip(*map(_counts_of, many), strict=True)]
        latest = [max(column) for column in zip(*map(_latest_of, many), strict=True)]
        delays = [sum(column) for column in zip(*(parts.delays for parts in many), strict=True)]
        total = cls(*_in_field_order([*counts, *latest, delays]))
        for parts in many:
            for intent, (count, resolved) in parts.intents.items():
                known = total.intents.get(intent, (0, 0))
                total.intents[intent] = [known[0] + count, known[1] + resolved]
        return total

    def to_json(self) -> dict:
        return dict(zip(_ALL_NAMES, _all_of(self), strict=True))

    @classmethod
    def from_json(cls, data: dict) -> ConversationParts:
        # Parts stored before the business time was kept hold none; they are read only without business hours.
        return cls(**{name: data[name] for name in _ALL_NAMES if name in data or name not in _ADDED_LATER})

    def settled_at(
        self, now: datetime, sla_target_seconds: float, calendar: BusinessCalendar | None = None
    ) -> ConversationParts | None:
        """These parts as they stand at a later `now`, or None when that cannot be told from them.

        Only two parts change with time alone: a pending conversation becomes non-compliant once its wait passes the
        SLA target (in business time under a `calendar`), and a drop candidate is dropped once DROP_OFF_AFTER passes.
        When every one of them has crossed (the latest did: the business clock never runs backwards either), the
        parts move over exactly; when some have not, only a live count can tell.
        """
        if not self.pending and not self.drop_candidates:
            return self
        now_us = microseconds_since_epoch(now)
        settled = ConversationParts.from_json(self.to_json())
        if self.pending:
            if calendar is None:
                waited_us = now_us - self.pending_latest_s0_us
            else:
                latest_s0 = EPOCH + timedelta(microseconds=self.pending_latest_s0_us)
                waited_us = calendar.clock(now) - calendar.clock(latest_s0)
            if waited_us <= sla_target_seconds * 1_000_000:
                return None
            settled.non_compliant += self.pending
            settled.pending = settled.pending_latest_s0_us = 0
        if self.drop_candidates:
            if now_us - self.drop_candidates_latest_us <= DROP_OFF_AFTER // timedelta(microseconds=1):
                return None
            settled.dropped += self.drop_candidates
            settled.drop_candidates = settled.drop_candidates_latest_us = 0
        return settled

    # Figures made of parts.

    @property
    def avg_response_seconds(self) -> Decimal | None:
        return _mean_seconds(self.response_us, self.answered)

    @property
    def avg_business_response_seconds(self) -> Decimal | None:
        """The mean first response in business time (meaningful with business hours set)."""
        return _mean_seconds(self.business_response_us, self.answered)

    def avg_sla_response_seconds(self, calendar: BusinessCalendar | None) -> Decimal | None:
        """The mean first response the SLA judges: in business time with business hours set, else as is."""
        return self.avg_response_seconds if calendar is None else self.avg_business_response_seconds

    @property
    def avg_handling_seconds(self) -> Decimal | None:
        return _mean_seconds(self.handling_us, self.resolved)

    @property
    def avg_response_to_resolution_seconds(self) -> Decimal | None:
        """The average handling time: from the first agent response to the resolution, over the conversations that
        have both."""
        return _mean_seconds(self.response_to_resolution_us, self.answered_resolved)

    @property
    def inbound_per_conversation(self) -> Decimal | None:
        return numbers.ratio(self.inbound_messages, self.conversations)

    @property
    def outbound_per_conversation(self) -> Decimal | None:
        return numbers.ratio(self.outbound_messages, self.conversations)

    @property
    def sla_compliance(self) -> float | None:
        """compliant / (compliant + non_compliant); pending conversations are not judged yet."""
        return numbers.percentage(self.compliant, self.compliant + self.non_compliant)

    @property
    def resolution_rate(self) -> float | None:
        return numbers.percentage(self.resolved, self.conversations)

    @property
    def csat(self) -> Decimal | None:
        return numbers.ratio(self.csat_sum, self.csat_count)


_ALL_NAMES = tuple(part.name for part in fields(ConversationParts))
_LATEST_NAMES = ("drop_candidates_latest_us", "pending_latest_s0_us")
_ADDED_LATER = ("business_response_us",)
_COUNT_NAMES = tuple(name for name in _ALL_NAMES if name not in ("delays", "intents", *_LATEST_NAMES))
_counts_of, _latest_of = operator.attrgetter(*_COUNT_NAMES), operator.attrgetter(*_LATEST_NAMES)
_all_of = operator.attrgetter(*_ALL_NAMES)
# The fields but intents (the last), in order, from a list of the counts, the latest moments and the delays.
_in_field_order = operator.itemgetter(
    *((*_COUNT_NAMES, *_LATEST_NAMES, "delays").index(name) for name in _ALL_NAMES[:-1])
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def microseconds_since_epoch(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _mean_seconds(total_us: int, count: int) -> Decimal | None:
    return None if not count else Decimal(total_us) / count / MICROSECONDS


def _with_last_messages(facts: Subquery) -> dict[str, ColumnElement]:
    def last_at(sender_condition):
        return (
            select(func.max(messages.c.created_at))
            .where(messages.c.conversation_id == facts.c.id, sender_condition)
            .scalar_subquery()
        )

    return {"bot": last_at(messages.c.sender_type == "bot"), "other": last_at(messages.c.sender_type != "bot")}


def _epoch(facts: Subquery) -> ColumnElement:
    return literal(EPOCH, facts.c.created_at.type)


@dataclass(frozen=True)
class ConversationConditions:
    """Which conversations of `facts` each counted part counts: the one definition the parts sum over and the
    drill-down lists (`pantau.dashboard.drill_down`) filter by, so a figure and its list cannot disagree."""

    resolved: ColumnElement[bool]
    open: ColumnElement[bool]
    compliant: ColumnElement[bool]
    non_compliant: ColumnElement[bool]
    pending: ColumnElement[bool]
    unanswered: ColumnElement[bool]
    delays: tuple[ColumnElement[bool], ...]  # one per DELAY_BUCKETS entry
    bot_engaged: ColumnElement[bool]
    escalated: ColumnElement[bool]
    bot_only: ColumnElement[bool]
    human_only: ColumnElement[bool]
    resolved_by_bot: ColumnElement[bool]  # bot-only and resolved
    # Bot-only, unresolved, the bot spoke last: more than DROP_OFF_AFTER ago (dropped), or less (a drop candidate).
    dropped: ColumnElement[bool]
    drop_candidate: ColumnElement[bool]


def business_response_microseconds(facts: Subquery, calendar: BusinessCalendar) -> ColumnElement[int]:
    """The business time of the first response, B(first response) - B(s0), in the response population (else
    null)."""
    f = facts.c
    if "business_frt_us" in f:  # facts made with the calendar: computed once per conversation
        business = f.business_frt_us
    else:
        business = business_clock(f.first_response_at, calendar) - business_clock(f.s0, calendar)
    return case((and_(f.in_response_stats == 1, f.first_response_at.is_not(None)), business))


def sla_response_seconds(facts: Subquery, calendar: BusinessCalendar | None) -> ColumnElement:
    """The first response the SLA judges (compliance, below-threshold, the delay buckets): in business time with
    business hours set, else the FRT (SPEC §8.5); null outside the response population and when unanswered."""
    if calendar is None:
        return response_seconds(facts)
    return business_response_microseconds(facts, calendar) / 1_000_000.0


def _overdue(facts: Subquery, now: datetime, sla_target_seconds: float, calendar: BusinessCalendar | None):
    """Unanswered and waiting longer than the target since s0, in business time with business hours set."""
    if calendar is None:
        return unanswered_overdue(facts, now, sla_target_seconds)
    waited_until = calendar.clock(now) - round(sla_target_seconds * 1_000_000)
    s0 = facts.c.business_s0 if "business_s0" in facts.c else business_clock(facts.c.s0, calendar)
    return and_(facts.c.unanswered == 1, s0 < waited_until)


def conversation_conditions(
    facts: Subquery, now: datetime, sla_target_seconds: float, calendar: BusinessCalendar | None = None
) -> ConversationConditions:
    """The conditions of `facts`' conversations that the SLA, resolution, first-response and automation parts count;
    with a business `calendar`, the SLA and the delay buckets judge the business-time first response. A conversation
    is dropped at `now` as DROP_OFF_AFTER says."""
    f = facts.c
    frt = sla_response_seconds(facts, calendar)
    overdue = _overdue(facts, now, sla_target_seconds, calendar)
    last = _with_last_messages(facts)
    unresolved_bot_only = and_(f.bot_only == 1, f.resolved == 0)
    # The bot spoke last: nobody else at or after its last message.
    bot_spoke_last = and_(last["bot"].is_not(None), or_(last["other"].is_(None), last["other"] < last["bot"]))
    silent_long_enough = last["bot"] < now - DROP_OFF_AFTER

    def among_unresolved_bot_only(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        # CASE keeps the two look-ups of the last messages to the unresolved bot-only conversations.
        return case((unresolved_bot_only, condition), else_=false())

    return ConversationConditions(
        resolved=f.resolved == 1,
        open=f.resolved == 0,
        compliant=frt <= sla_target_seconds,
        non_compliant=or_(frt > sla_target_seconds, overdue),
        pending=and_(f.unanswered == 1, not_(overdue)),
        unanswered=f.unanswered == 1,
        delays=tuple(
            frt >= lower if upper is None else and_(frt >= lower, frt < upper) for _, lower, upper in DELAY_BUCKETS
        ),
        bot_engaged=f.bot_engaged == 1,
        escalated=f.escalated == 1,
        bot_only=f.bot_only == 1,
        human_only=f.human_only == 1,
        resolved_by_bot=and_(f.bot_only == 1, f.resolved == 1),
        dropped=among_unresolved_bot_only(and_(bot_spoke_last, silent_long_enough)),
        drop_candidate=among_unresolved_bot_only(and_(bot_spoke_last, not_(silent_long_enough))),
    )


def conversation_part_columns(
    facts: Subquery, now: datetime, sla_target_seconds: float, calendar: BusinessCalendar | None = None
) -> list[Label]:
    """The parts as aggregate columns over `facts`; group the select by whatever the parts are wanted per."""
    f = facts.c
    frt = response_seconds(facts)
    counted = conversation_conditions(facts, now, sla_target_seconds, calendar)
    last_bot_message = _with_last_messages(facts)["bot"]
    drop_candidate_at = case((counted.drop_candidate, microseconds_between(last_bot_message, _epoch(facts))))
    pending = counted.pending
    # A conversation resolved "before" it began (the CRM's clocks disagree) was resolved at once: 0, never negative.
    handled = and_(f.resolved == 1, f.resolved_at > f.created_at)
    handling = case((handled, microseconds_between(f.resolved_at, f.created_at)), else_=0)
    response = case((frt.is_not(None), microseconds_between(f.first_response_at, f.s0)))
    # Handling runs from the first agent response to the resolution; a resolution stamped before that response (the
    # conversation was answered after it was closed, or the clocks disagree) counts as handled at once: 0.
    answered_resolved = and_(f.resolved == 1, f.first_response_at.is_not(None))
    to_resolution = case(
        (
            and_(answered_resolved, f.resolved_at > f.first_response_at),
            microseconds_between(f.resolved_at, f.first_response_at),
        ),
        else_=0,
    )

    def csat_of(condition) -> list[ColumnElement]:
        score = f.csat_score if condition is None else case((condition, f.csat_score))
        return [_sum(score), func.count(score)]

    columns = [
        func.count().label("conversations"),
        count_where(counted.resolved).label("resolved"),
        count_where(counted.bot_engaged).label("bot_engaged"),
        count_where(counted.escalated).label("escalated"),
        count_where(counted.bot_only).label("bot_only"),
        count_where(counted.human_only).label("human_only"),
        count_where(counted.resolved_by_bot).label("bot_only_resolved"),
        count_where(counted.dropped).label("dropped"),
        count_where(counted.drop_candidate).label("drop_candidates"),
        func.coalesce(func.max(drop_candidate_at), 0).label("drop_candidates_latest_us"),
        func.count(frt).label("answered"),
        _sum(response).label("response_us"),
        (literal(0) if calendar is None else _sum(business_response_microseconds(facts, calendar))).label(
            "business_response_us"
        ),
        count_where(counted.compliant).label("compliant"),
        count_where(counted.non_compliant).label("non_compliant"),
        count_where(pending).label("pending"),
        func.coalesce(func.max(case((pending, microseconds_between(f.s0, _epoch(facts))))), 0).label(
            "pending_latest_s0_us"
        ),
        count_where(counted.unanswered).label("unanswered"),
        *(count_where(condition).label(f"delay_{index}") for index, condition in enumerate(counted.delays)),
        _sum(handling).label("handling_us"),
        count_where(answered_resolved).label("answered_resolved"),
        _sum(to_resolution).label("response_to_resolution_us"),
        _sum(f.inbound_messages).label("inbound_messages"),
        _sum(f.outbound_messages).label("outbound_messages"),
    ]
    for name, condition in (
        ("csat", None),
        ("csat_bot_only", counted.bot_only),
        ("csat_hybrid", counted.escalated),
        ("csat_human_only", counted.human_only),
    ):
        total, count = csat_of(condition)
        columns += [total.label(f"{name}_sum"), count.label(f"{name}_count")]
    return columns


def collect_parts(
    connection: Connection,
    facts: Subquery,
    keys: list[ColumnElement],
    *,
    now: datetime,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None = None,
    with_intents: bool = True,
) -> dict[tuple, ConversationParts]:
    """Parts per value of `keys` (none: one entry, keyed `()`, for all of `facts`, present even when empty);
    `with_intents` off leaves `intents` empty and saves a statement."""
    collected = collect_grouped_parts(
        connection,
        facts,
        [Grouping(keys)],
        now=now,
        sla_target_seconds=sla_target_seconds,
        calendar=calendar,
        with_intents=with_intents,
    )[0]
    if not keys and () not in collected:
        collected[()] = ConversationParts()
    return collected


@dataclass(frozen=True)
class Grouping:
    """Parts wanted per value of `keys`; `joined` replaces `facts` in FROM when a key comes from a joined table."""

    keys: list[ColumnElement]
    joined: object = None


def collect_grouped_parts(
    connection: Connection,
    facts: Subquery,
    groupings: list[Grouping],
    *,
    now: datetime,
    sla_target_seconds: float,
    calendar: BusinessCalendar | None = None,
    with_intents: bool = True,
) -> list[dict[tuple, ConversationParts]]:
    """Parts for several groupings of the same facts (all with as many keys), in two statements: the facts are
    computed once for all of them, not once per grouping."""
    width = len(groupings[0].keys)
    f = facts.c
    counted = conversation_conditions(facts, now, sla_target_seconds, calendar)

    def members(columns) -> list:
        selects = []
        for index, grouping in enumerate(groupings):
            labelled = [key.label(f"key_{position}") for position, key in enumerate(grouping.keys)]
            selects.append(
                select(literal(index).label("grouping"), *labelled, *columns()).select_from(
                    facts if grouping.joined is None else grouping.joined
                )
            )
        return selects

    part_selects = [
        member.group_by(*member.selected_columns[1 : width + 1])
        for member in members(lambda: conversation_part_columns(facts, now, sla_target_seconds, calendar))
    ]
    intent_selects = [
        member.where(f.intent.is_not(None)).group_by(*member.selected_columns[1 : width + 2])
        for member in members(lambda: [f.intent, func.count(), count_where(counted.resolved_by_bot)])
    ]
    collected: list[dict[tuple, ConversationParts]] = [{} for _ in groupings]
    result = connection.execute(union_all(*part_selects) if len(part_selects) > 1 else part_selects[0])
    read = parts_reader(tuple(result.keys()))
    for row in result:
        collected[row[0]][tuple(row[1 : width + 1])] = read(row)
    if not with_intents:
        return collected
    for row in connection.execute(union_all(*intent_selects) if len(intent_selects) > 1 else intent_selects[0]):
        key, intent, count, resolved = tuple(row[1 : width + 1]), row[width + 1], row[width + 2], row[width + 3]
        collected[row[0]][key].intents[intent] = [int(count), int(resolved)]
    return collected


_DELAY_COLUMNS = tuple(f"delay_{index}" for index in range(len(DELAY_BUCKETS)))


def parts_reader(columns: tuple[str, ...]) -> Callable[[tuple], ConversationParts]:
    """Reads parts off rows with these columns: a column per count and latest part, and `delay_<index>` per delay
    bucket. The positions are found once per statement, not per row: the rows come by the thousand."""
    scalars, delays, delays_at = _positions(columns)

    def read(row) -> ConversationParts:
        values: list = [int(row[position]) for position in scalars]
        values.insert(delays_at, [int(row[position]) for position in delays])
        return ConversationParts(*values)  # positionally, in field order

    return read


_FIELD_ORDER = _ALL_NAMES[:-1]  # intents, the last, left to its default


@functools.lru_cache(maxsize=16)
def _positions(fields: tuple[str, ...]) -> tuple[list[int], list[int], int]:
    """Where the parts sit in a row with these columns, in the order of ConversationParts' fields, and where the
    delays go among them."""
    scalars = [fields.index(name) for name in _FIELD_ORDER if name != "delays"]
    return scalars, [fields.index(name) for name in _DELAY_COLUMNS], _FIELD_ORDER.index("delays")


def summed_part_columns(part: Callable[[tuple[str | int, ...]], ColumnElement]) -> list[Label]:
    """Aggregate columns that add up stored parts (`part(path)` reads one, e.g. ("delays", 2)) into a row
    `parts_reader` reads: counts summed, latest moments the maximum. Intents are not summed."""
    return [
        *(_sum(part((name,))).label(name) for name in _COUNT_NAMES),
        *(func.coalesce(func.max(part((name,))), 0).label(name) for name in _LATEST_NAMES),
        *(_sum(part(("delays", index))).label(f"delay_{index}") for index in range(len(DELAY_BUCKETS))),
    ]
