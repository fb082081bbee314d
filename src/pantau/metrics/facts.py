"""Conversation facts (SPEC §3), as one SQL subquery every section builds on.

For each conversation of a cohort (created in a window, inside a scope) it yields:

- `c0`: the first inbound message; `s0`: the human clock's start, `escalated_at` when set, else c0.
- `first_response_at`: the first `agent` message at or after s0 (bot and system messages never count);
  `frt_seconds` = first_response_at - s0.
- flags as 0/1 integers, so they sum alike on both dialects: `bot_engaged` (handled_by_bot or any bot message),
  `escalated` (bot-engaged and escalated_at set or any agent message), `bot_only`, `human_only`,
  `needs_human` (has c0 and is not bot-only), `resolved` (resolved_at set),
  `unanswered` (needs a human, no first response, not resolved),
  `in_response_stats` (needs a human and is answered or unresolved: the population of FRT averages, SLA compliance
  and the first-response distribution; one resolved without any agent reply counts in none of them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, and_, case, exists, func, literal, not_, or_, select
from sqlalchemy.sql import Subquery

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import conversations_in_scope
from pantau.core.business_time import BusinessCalendar
from pantau.core.sql import business_clock, seconds_between
from pantau.models import Conversation, Message

# A condition on conversation facts that keeps only some of them: one figure's conversations (a drill-down's list).
Narrowing = Callable[[Subquery], ColumnElement[bool]]

conversations = Conversation.__table__
messages = Message.__table__


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0).cast(Integer)


def in_range(column: ColumnElement, start: datetime, end: datetime) -> ColumnElement[bool]:
    """`column` lies in [start, end): every range, cohort and bucket is half-open (SPEC §3), written here once."""
    return and_(column >= start, column < end)


def in_ranges(column: ColumnElement, ranges: Iterable[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    """`column` lies in one of the half-open ranges."""
    return or_(*(in_range(column, start, end) for start, end in ranges))


def cohort_filter(start: datetime, end: datetime) -> ColumnElement[bool]:
    """A conversation belongs to a range when its `created_at` is in [start, end)."""
    return in_range(conversations.c.created_at, start, end)


def cohort_in_scope(scope: Scope, start: datetime, end: datetime) -> ColumnElement[bool]:
    """The cohort of [start, end) as the scope sees it."""
    return and_(cohort_filter(start, end), conversations_in_scope(scope))


def cohort_facts(scope: Scope, start: datetime, end: datetime, calendar: BusinessCalendar | None = None) -> Subquery:
    """The facts of the cohort of [start, end) inside the scope: what most figures count over."""
    return conversation_facts(cohort_in_scope(scope, start, end), calendar=calendar)


def conversation_facts(
    *conditions: ColumnElement[bool],
    name: str = "facts",
    calendar: BusinessCalendar | None = None,
    with_message_counts: bool = False,
) -> Subquery:
    """The facts of every conversation matching `conditions` (cohort window and scope, at least); with a business
    `calendar`, also `business_s0` = B(s0) and `business_frt_us` = B(first response) - B(s0) (see
    `core.business_time.BusinessCalendar`), computed once per conversation. `with_message_counts` adds
    `inbound_messages` and `outbound_messages`: every message of the conversation by direction, written at any time,
    counted from the messages' indexes (what the conversation parts sum)."""
    first_inbound = (
        select(func.min(messages.c.created_at))
        .where(messages.c.conversation_id == conversations.c.id, messages.c.direction == "inbound")
        .scalar_subquery()
    )
    has_bot_message = exists().where(messages.c.conversation_id == conversations.c.id, messages.c.sender_type == "bot")
    has_agent_message = exists().where(
        messages.c.conversation_id == conversations.c.id, messages.c.sender_type == "agent"
    )
    bot_engaged = or_(conversations.c.handled_by_bot.is_(True), has_bot_message)
    escalated = and_(bot_engaged, or_(conversations.c.escalated_at.is_not(None), has_agent_message))
    base = (
        select(
            conversations,
            first_inbound.label("c0"),
            _flag(bot_engaged).label("bot_engaged"),
            _flag(escalated).label("escalated"),
        )
        .where(*conditions)
        .cte(f"{name}_base")
        .prefix_with("MATERIALIZED")
    )

    counted_messages = []
    if with_message_counts:
        # Both from indexes alone, never the messages' rows: every message of the conversation (its
        # (conversation_id, created_at) index) and the inbound ones (the partial index of inbound messages). A
        # direction is inbound or outbound, never null: the outbound ones are the others.
        def messages_of(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
            return select(func.count()).where(messages.c.conversation_id == base.c.id, *conditions).scalar_subquery()

        counted_messages = [
            messages_of().label("all_messages"),
            messages_of(messages.c.direction == "inbound").label("inbound_messages"),
        ]

    s0 = func.coalesce(base.c.escalated_at, base.c.c0)
    first_response = (
        select(func.min(messages.c.created_at))
        .where(
            messages.c.conversation_id == base.c.id,
            messages.c.sender_type == "agent",
            messages.c.created_at >= s0,
        )
        .scalar_subquery()
    )
    with_response = (
        select(base, s0.label("s0"), first_response.label("first_response_at"), *counted_messages)
        .cte(f"{name}_s0")
        .prefix_with("MATERIALIZED")
    )

    f = with_response.c
    bot_only = and_(f.bot_engaged == 1, f.escalated == 0)
    needs_human = and_(f.c0.is_not(None), not_(bot_only))
    resolved = f.resolved_at.is_not(None)
    answered = f.first_response_at.is_not(None)
    extra = []
    if with_message_counts:
        extra.append((f.all_messages - f.inbound_messages).label("outbound_messages"))
    if calendar is not None:
        business_s0 = business_clock(f.s0, calendar)
        extra += [
            business_s0.label("business_s0"),
            case((answered, business_clock(f.first_response_at, calendar) - business_s0)).label("business_frt_us"),
        ]
    return (
        select(
            with_response,
            *extra,
            seconds_between(f.first_response_at, f.s0).label("frt_seconds"),
            _flag(bot_only).label("bot_only"),
            _flag(f.bot_engaged == 0).label("human_only"),
            _flag(needs_human).label("needs_human"),
            _flag(resolved).label("resolved"),
            _flag(and_(needs_human, not_(answered), not_(resolved))).label("unanswered"),
            _flag(and_(needs_human, or_(answered, not_(resolved)))).label("in_response_stats"),
        )
        .cte(name)
        .prefix_with("MATERIALIZED")
    )


def response_seconds(facts: Subquery) -> ColumnElement[float]:
    """The FRT of a conversation in the response population (SPEC §3), else null, so AVG and COUNT skip it."""
    return case((facts.c.in_response_stats == 1, facts.c.frt_seconds))


def unanswered_overdue(facts: Subquery, now: datetime, target_seconds: float) -> ColumnElement[bool]:
    """Unanswered and waiting longer than the first-response SLA target since s0: already breaching it."""
    return and_(facts.c.unanswered == 1, seconds_between(literal(now, facts.c.s0.type), facts.c.s0) > target_seconds)


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """COUNT of the rows meeting a condition, written so both dialects agree (SUM over CASE, 0 on no rows)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
