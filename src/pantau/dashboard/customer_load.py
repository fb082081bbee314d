"""Customer load (SPEC §5.4): when customers write, whether they come back, how long they wait at busy hours, and the
busiest hour to expect next."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from pantau.auth.scope_sql import conversations_in_scope
from pantau.core import numbers
from pantau.core.windows import HOUR, Bucket, Granularity, Window, resolve_window, shift_local_days
from pantau.dashboard.context import SectionContext
from pantau.dashboard.schemas import CamelModel, SectionResponse, with_business_hours
from pantau.metrics.contact_history import range_contacts
from pantau.metrics.parts import ConversationParts
from pantau.models import Conversation

conversations = Conversation.__table__

HOURLY_UP_TO = timedelta(days=7)
HEATMAP_DAYS = 7
FORECAST_HOURS = 24
FORECAST_WEEKS = 4


class IncomingBucket(CamelModel):
    timestamp: str
    hour: str
    count: int


class NewVsReturning(CamelModel):
    new: int
    returning: int
    percentage_returning: float | None


class PeakHours(CamelModel):
    start: int
    end: int


class WaitBusinessTime(CamelModel):
    peak: float | None
    off_peak: float | None


class AvgWaitTime(CamelModel):
    peak: float | None
    off_peak: float | None
    peak_hours: list[PeakHours]
    business_time: WaitBusinessTime | None = with_business_hours()


class HeatmapCell(CamelModel):
    day_of_week: int
    hour: int
    count: int


class PeakForecast(CamelModel):
    timestamp: str
    hour: str
    expected_count: float
    basis_weeks: int


class CustomerLoadResponse(SectionResponse):
    incoming_chats_per_hour: list[IncomingBucket]
    peak_hour: IncomingBucket | None
    new_vs_returning: NewVsReturning
    avg_wait_time: AvgWaitTime
    heatmap: list[HeatmapCell]
    next_peak_forecast: PeakForecast | None


def _clock_hour(ctx: SectionContext, moment: datetime) -> str:
    return f"{moment.astimezone(ctx.zone).hour:02d}:00"


def incoming_granularity(window: Window) -> Granularity:
    """Hourly buckets up to 7 days, daily beyond."""
    return window.granularity(HOURLY_UP_TO)


def incoming_chats(ctx: SectionContext) -> list[IncomingBucket]:
    window = ctx.window
    granularity = incoming_granularity(window)
    counts = ctx.parts.conversations_per_bucket(window, granularity)
    return [
        IncomingBucket(timestamp=ctx.local_iso(b.start), hour=_clock_hour(ctx, b.start), count=counts.get(b.key, 0))
        for b in window.buckets(granularity)
    ]


def peak_hour(buckets: list[IncomingBucket]) -> IncomingBucket | None:
    """The busiest bucket; max() keeps the first of equals, i.e. the earliest."""
    busiest = max(buckets, key=lambda b: b.count, default=None)
    return busiest if busiest is not None and busiest.count > 0 else None


def _new_vs_returning(ctx: SectionContext) -> NewVsReturning:
    """Contacts who wrote in the range (up to now); a returning one had an earlier conversation the caller can see
    (scope applies to the history too, so no figure depends on rows outside the caller's scope)."""
    found = range_contacts(ctx.connection, ctx.scope, ctx.parts, ctx.window.start, ctx.window.end)
    return NewVsReturning(
        new=found.new,
        returning=found.returning,
        percentage_returning=numbers.percentage(found.returning, found.contacts),
    )


def _avg_wait_time(ctx: SectionContext) -> AvgWaitTime:
    """Mean first-response time of the cohort, split by the local hour the conversation was created in: each local
    hour's parts fall wholly on one side."""
    peak_hours = ctx.settings.peak_hours
    by_hour = ctx.parts.responses_per_bucket(ctx.window, "hour")
    peak, off_peak = ConversationParts(), ConversationParts()
    for bucket in ctx.window.buckets("hour"):
        if bucket.key not in by_hour:
            continue
        answered, response_us, business_response_us = by_hour[bucket.key]
        hour = bucket.local_start.hour
        side = peak if any(start <= hour < end for start, end in peak_hours) else off_peak
        side.answered += answered
        side.response_us += response_us
        side.business_response_us += business_response_us
    return AvgWaitTime(
        peak=numbers.round1(peak.avg_response_seconds),
        off_peak=numbers.round1(off_peak.avg_response_seconds),
        peak_hours=[PeakHours(start=start, end=end) for start, end in peak_hours],
        business_time=None
        if ctx.calendar is None
        else WaitBusinessTime(
            peak=numbers.round1(peak.avg_business_response_seconds),
            off_peak=numbers.round1(off_peak.avg_business_response_seconds),
        ),
    )


def heatmap_window(window: Window) -> Window:
    """The range itself when it covers at least 7 local days, else the last 7 days (the `7d` range at now)."""
    if shift_local_days(window.start, HEATMAP_DAYS, window.zone) <= window.end:
        return window
    return resolve_window(now=window.now, zone=window.zone, preset="7d")


def heatmap_cell(bucket: Bucket) -> tuple[int, int]:
    """The (local weekday, 0 = Sunday; local hour) cell an hour of the heatmap's window falls in; a DST fall-back
    hour's two real hours fall in the same cell."""
    local = bucket.local_start
    return local.isoweekday() % 7, local.hour


def _heatmap(ctx: SectionContext) -> list[HeatmapCell]:
    window = heatmap_window(ctx.window)
    per_hour = ctx.parts.conversations_per_bucket(window, "hour")
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for bucket in window.buckets("hour"):
        counts[heatmap_cell(bucket)] += per_hour.get(bucket.key, 0)
    return [HeatmapCell(day_of_week=d, hour=h, count=counts.get((d, h), 0)) for d in range(7) for h in range(24)]


def _next_local_hour(ctx: SectionContext) -> datetime:
    """The UTC instant the next whole local hour after now starts (stepping in UTC: real hours across DST)."""
    hour_start = ctx.now.astimezone(ctx.zone).replace(minute=0, second=0, microsecond=0)
    return hour_start.astimezone(UTC) + HOUR


def _conversations_per_hour(ctx: SectionContext, start: datetime, end: datetime) -> dict[int, int]:
    """Conversations created in [start, end) per real hour, keyed by the hour's index counted from `start` (a whole
    local hour)."""
    hours = Window(start, end, start, start, ctx.now, ctx.zone, None)
    return ctx.parts.conversations_per_bucket(hours, "hour")


def _next_peak_forecast(ctx: SectionContext) -> PeakForecast | None:
    """For each of the next 24 whole local hours: the conversations created in the same local wall hour 7, 14, 21
    and 28 days earlier, averaged over the 4 weeks (SPEC §5.4) — or over fewer when the history is younger: a week
    that ended before the first conversation the caller can see says nothing, while a quiet week after it counts as
    the zero it was. The highest mean wins, the earliest on ties; null when the 4 weeks hold no conversation.

    One query counts the 4 weeks before the first forecast hour per real hour (at most 672 rows); occurrences are
    picked out of those counts by hour index, which stays exact across DST changes.
    """
    first = _next_local_hour(ctx)
    weeks_back = range(1, FORECAST_WEEKS + 1)
    history_start = shift_local_days(first, -7 * FORECAST_WEEKS, ctx.zone)
    per_hour = _conversations_per_hour(ctx, history_start, first)
    if not any(per_hour.values()):
        return None
    first_seen = ctx.connection.execute(
        select(func.min(conversations.c.created_at)).where(conversations_in_scope(ctx.scope))
    ).scalar_one()
    weeks_of_history = sum(first_seen < shift_local_days(first, -7 * (week - 1), ctx.zone) for week in weeks_back)

    def index_weeks_before(moment: datetime, weeks: int) -> int:
        earlier = shift_local_days(moment, -7 * weeks, ctx.zone)
        return round((earlier - history_start).total_seconds() / 3600)

    forecast = [
        (sum(per_hour.get(index_weeks_before(start, week), 0) for week in weeks_back), start)
        for start in (first + offset * HOUR for offset in range(FORECAST_HOURS))
    ]
    total, start = max(forecast, key=lambda hour: hour[0])  # max keeps the first of equals: the earliest
    return PeakForecast(
        timestamp=ctx.local_iso(start),
        hour=_clock_hour(ctx, start),
        expected_count=numbers.round1(numbers.ratio(total, weeks_of_history)),
        basis_weeks=weeks_of_history,
    )


def compute(ctx: SectionContext) -> CustomerLoadResponse:
    incoming = incoming_chats(ctx)
    return CustomerLoadResponse(
        range=ctx.range_info(),
        generated_at=ctx.now.astimezone(ctx.zone),
        incoming_chats_per_hour=incoming,
        peak_hour=peak_hour(incoming),
        new_vs_returning=_new_vs_returning(ctx),
        avg_wait_time=_avg_wait_time(ctx),
        heatmap=_heatmap(ctx),
        next_peak_forecast=_next_peak_forecast(ctx),
    )
