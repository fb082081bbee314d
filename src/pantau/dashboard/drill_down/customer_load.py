"""customer-load's figures that count conversations (SPEC §5.4), by their path in the section's JSON.

The incoming chats, the peak hour and the heatmap count the conversations created in some hours of a window: each
list is the cohort of exactly those hours, clipped to the window and to `now` as the counts are. `newVsReturning`
counts contacts: its lists hold one conversation per contact, the contact's first in the range and scope, so that
the total is the figure (docs/decisions.md).
"""

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, false, not_, true
from sqlalchemy.sql import Subquery

from pantau.auth.scope_sql import conversations_in_scope
from pantau.core.windows import Bucket, Window
from pantau.dashboard import customer_load
from pantau.dashboard.context import SectionContext
from pantau.dashboard.drill_down.figures import Drawn, Figure, one_of
from pantau.dashboard.router import SectionRequest
from pantau.metrics.contact_history import is_first_conversation
from pantau.metrics.facts import cohort_in_scope, in_ranges
from pantau.metrics.parts import ConversationConditions
from pantau.web.errors import ApiError

# A heatmap cell as `<dayOfWeek>-<hour>`, both as the JSON gives them: 0 = Sunday, hours 0 to 23 (`3-14`).
HEATMAP_CELLS: tuple[str, ...] = tuple(f"{day}-{hour}" for day in range(7) for hour in range(24))


def _drawn(facts: Subquery, counted: ConversationConditions, bucket: str | None) -> ColumnElement[bool]:
    """Every conversation the figure's population holds: the population is the whole definition."""
    return true()


def _up_to_now(ctx: SectionContext, window: Window, start: datetime, end: datetime) -> ColumnElement[bool]:
    """The cohort in the scope between `start` and `end`, inside `window` and before its `now`: what a count covers."""
    return cohort_in_scope(ctx.scope, max(window.start, start), max(window.start, min(window.end, end, window.now)))


def _timestamp(connection: Connection, checked: SectionRequest, figure: str, bucket: str) -> None:
    """A bucket named by its item's timestamp: ISO 8601 with the offset (whether the range has it is told later)."""
    try:
        moment = datetime.fromisoformat(bucket)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(
            400,
            "invalid_parameter",
            f"bucket: {figure} takes an item's timestamp, ISO 8601 with its offset (a `+` written %2B in a URL), "
            f"got {bucket!r}",
        )


def _incoming_bucket(ctx: SectionContext, timestamp: str) -> Bucket:
    window = ctx.window
    for bucket in window.buckets(customer_load.incoming_granularity(window)):
        if ctx.local_iso(bucket.start) == timestamp:
            return bucket
    raise ApiError(
        400,
        "invalid_parameter",
        f"bucket: incomingChatsPerHour has no item with the timestamp {timestamp!r} in this range",
    )


def _incoming(ctx: SectionContext, bucket: str | None) -> Drawn:
    chosen = _incoming_bucket(ctx, bucket or "")
    return Drawn(_up_to_now(ctx, ctx.window, chosen.start, chosen.end))


def _peak(ctx: SectionContext, bucket: str | None) -> Drawn:
    """The busiest bucket as the section finds it; with none (no conversations), nothing."""
    peak = customer_load.peak_hour(customer_load.incoming_chats(ctx))
    if peak is None:
        return Drawn(false())
    return _incoming(ctx, peak.timestamp)


def _heatmap_cell(ctx: SectionContext, bucket: str | None) -> Drawn:
    """The hours of the heatmap's window whose local weekday and hour are the cell's, as the section adds them up."""
    window = customer_load.heatmap_window(ctx.window)
    day, hour = (int(part) for part in (bucket or "").split("-"))
    hours = [(b.start, b.end) for b in window.buckets("hour") if customer_load.heatmap_cell(b) == (day, hour)]

    def in_cell(facts: Subquery) -> ColumnElement[bool]:
        return in_ranges(facts.c.created_at, hours) if hours else false()

    return Drawn(_up_to_now(ctx, window, window.start, window.end), in_cell)


def _contacts(ctx: SectionContext, *, returning: bool) -> Drawn:
    """One conversation per contact of the range: the new ones' first conversation in the scope ever; the returning
    ones' first in the range, an earlier one in the scope lying before it."""
    window, scope = ctx.window, ctx.scope

    def in_scope(earlier):
        return conversations_in_scope(scope, earlier)

    def since_start(earlier):
        return and_(conversations_in_scope(scope, earlier), earlier.c.created_at >= window.start)

    def chosen(facts: Subquery) -> ColumnElement[bool]:
        first_ever = is_first_conversation(facts, in_scope)
        if not returning:
            return first_ever
        return and_(is_first_conversation(facts, since_start), not_(first_ever))

    return Drawn(_up_to_now(ctx, window, window.start, window.end), chosen)


FIGURES: dict[str, Figure] = {
    "incomingChatsPerHour": Figure(_drawn, _timestamp, _incoming),
    "peakHour": Figure(_drawn, population=_peak),
    "heatmap": Figure(_drawn, one_of(HEATMAP_CELLS), _heatmap_cell),
    "newVsReturning.new": Figure(_drawn, population=lambda ctx, bucket: _contacts(ctx, returning=False)),
    "newVsReturning.returning": Figure(_drawn, population=lambda ctx, bucket: _contacts(ctx, returning=True)),
}
