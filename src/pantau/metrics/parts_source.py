"""Where a section's conversation parts come from: snapshots for the whole past buckets of a range, a live query for
the rest (SPEC §7). With `use_snapshots` off, or without snapshots, everything is live; the figures are the same.

A range is split greedily into the largest snapshot buckets that lie wholly inside it (weeks, then days, then
hours), each used only if its organisation row says it was computed after the bucket ended, in the current time
zone, for the current parts version and SLA target; whatever is left (the partial first and last hours, the hour in
progress, anything never aggregated) is one live query. Series (per hour, per day) never take a bucket larger than
their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, func, select
from sqlalchemy.sql import Subquery

from pantau.auth.scope import Scope
from pantau.auth.scope_sql import conversations_in_scope, people_in_scope
from pantau.core.business_time import BusinessCalendar
from pantau.core.config import Settings
from pantau.core.sql import bucket_key
from pantau.core.windows import Granularity, Window
from pantau.metrics.broadcast_store import stored_broadcast_results
from pantau.metrics.buckets import HOUR, bucket_start, next_bucket_start
from pantau.metrics.contact_history import (
    ContactParts,
    is_first_conversation,
    is_second_conversation,
    previous_conversation_at,
)
from pantau.metrics.facts import conversation_facts, in_ranges
from pantau.metrics.message_parts import (
    MessageGrouping,
    MessageParts,
    collect_message_parts,
    messages_with_conversations,
)
from pantau.metrics.parts import ConversationParts, collect_parts
from pantau.metrics.parts_version import PARTS_VERSION
from pantau.metrics.snapshots import (
    Freshness,
    computed_times,
    organisation_freshness,
    read_snapshots,
    stored_contact_parts,
    stored_first_contacts,
    stored_message_parts,
    stored_parts_per_bucket,
    summed_snapshots,
)
from pantau.models import Conversation, Message, User
from pantau.models.enums import ScopeType, SnapshotType

conversations = Conversation.__table__
messages = Message.__table__
users = User.__table__

_LARGEST_FIRST = (SnapshotType.weekly, SnapshotType.daily, SnapshotType.hourly)
_FINER = {
    SnapshotType.weekly: [SnapshotType.daily, SnapshotType.hourly],
    SnapshotType.daily: [SnapshotType.hourly],
    SnapshotType.hourly: [],
}
_KINDS_FOR_SERIES = {"hour": (SnapshotType.hourly,), "day": (SnapshotType.daily, SnapshotType.hourly)}


@dataclass(frozen=True)
class Plan:
    snapshot_buckets: list[tuple[SnapshotType, datetime]]
    live: list[tuple[datetime, datetime]]


class PartsSource:
    def __init__(
        self, connection: Connection, scope: Scope, settings: Settings, now: datetime, use_snapshots: bool = True
    ) -> None:
        self.connection = connection
        self.scope = scope
        self.settings = settings
        self.now = now
        self.use_snapshots = use_snapshots
        self.zone = settings.zone
        self._plans: dict[tuple, Plan] = {}
        # The SLA targets of snapshots left aside because the target in force is another (SPEC §8.5: the page says
        # so): their buckets are computed live.
        self.outdated_targets: set[float] = set()
        # Likewise the business hours (calendar keys; "" for none) of snapshots computed under other business hours
        # or holidays than those in force.
        self.outdated_business_hours: set[str] = set()
        self.calendar = settings.business_calendar
        self._calendar_key = None if self.calendar is None else self.calendar.key

    # What sections ask for.

    def total(self, start: datetime, end: datetime) -> ConversationParts:
        """Parts of the cohort created in [start, end), in scope."""
        plan = self._plan(start, end, _LARGEST_FIRST)
        total = ConversationParts()
        for parts in self._from_snapshots(plan, self._scope_rows()).values():
            for bucket_parts in parts.values():
                total += bucket_parts
        return total + self._live(plan, []).get((), ConversationParts())

    def per_agent(self, start: datetime, end: datetime) -> dict[str, ConversationParts]:
        """Parts per assignee among the people in scope (unassigned conversations are no one's), without intents."""
        plan = self._plan(start, end, _LARGEST_FIRST)
        people = [row[0] for row in self.connection.execute(select(users.c.id).where(people_in_scope(self.scope)))]
        by_agent: dict[str, ConversationParts] = defaultdict(ConversationParts)
        for (agent_id,), parts in self._summed(plan, (ScopeType.agent, people), per_bucket=False).items():
            by_agent[agent_id] += parts
        for (agent_id,), parts in self._live(plan, [lambda facts: facts.c.assigned_to], with_intents=False).items():
            if agent_id is not None:
                by_agent[agent_id] += parts
        return dict(by_agent)

    def per_bucket(self, window: Window, granularity: Granularity) -> dict[int | str, ConversationParts]:
        """Parts per series bucket (keyed as `Bucket.key`) of the window, in scope, without intents."""
        plan = self._plan(window.start, window.end, _KINDS_FOR_SERIES[granularity])
        series_start = {bucket.start: bucket.key for bucket in window.buckets(granularity)}
        by_bucket: dict[int | str, ConversationParts] = defaultdict(ConversationParts)
        for (_, _, start), parts in self._summed(plan, self._scope_rows(), per_bucket=True).items():
            by_bucket[self._series_key(start, series_start, granularity)] += parts
        series_key = [lambda facts: bucket_key(facts.c.created_at, window, granularity)]
        for (key,), parts in self._live(plan, series_key, with_intents=False).items():
            by_bucket[key] += parts
        return dict(by_bucket)

    def conversations_per_bucket(self, window: Window, granularity: Granularity) -> dict[int | str, int]:
        """Conversations created per series bucket (keyed as `Bucket.key`) of the window, in scope: one stored part
        per snapshot bucket, and a plain count for the live edge (no facts needed)."""
        plan = self._plan(window.start, window.end, _KINDS_FOR_SERIES[granularity])
        stored = self._stored_per_bucket(plan, window, granularity, ("conversations",))
        counts: dict[int | str, int] = defaultdict(int, {key: count for key, (count,) in stored.items()})
        if plan.live:
            key = bucket_key(conversations.c.created_at, window, granularity).label("bucket")
            live = select(key, func.count()).where(_created_in(plan.live), conversations_in_scope(self.scope))
            for bucket, count in self.connection.execute(live.group_by(key)):
                counts[bucket] += count
        return dict(counts)

    def responses_per_bucket(self, window: Window, granularity: Granularity) -> dict[int | str, tuple[int, int, int]]:
        """(answered, response_us, business_response_us) per series bucket of the window, in scope: the parts a
        mean first-response time (and its business time) is made of, read alone from each snapshot bucket."""
        plan = self._plan(window.start, window.end, _KINDS_FOR_SERIES[granularity])
        names = ("answered", "response_us", "business_response_us")
        found = self._stored_per_bucket(plan, window, granularity, names)
        series_key = [lambda facts: bucket_key(facts.c.created_at, window, granularity)]
        for (key,), parts in self._live(plan, series_key, with_intents=False).items():
            answered, response_us, business_us = found.get(key, [0, 0, 0])
            found[key] = [
                answered + parts.answered,
                response_us + parts.response_us,
                business_us + parts.business_response_us,
            ]
        return {
            key: (answered, response_us, business_us) for key, (answered, response_us, business_us) in found.items()
        }

    def _stored_per_bucket(
        self, plan: Plan, window: Window, granularity: Granularity, names: tuple[str, ...]
    ) -> dict[int | str, list[int]]:
        """The named parts of the plan's snapshot buckets, added up per series bucket."""
        found: dict[int | str, list[int]] = {}
        rows = self._scope_rows()
        if not plan.snapshot_buckets or rows is None:
            return found
        series_start = {bucket.start: bucket.key for bucket in window.buckets(granularity)}
        scope_type, (scope_id,) = rows
        stored = stored_parts_per_bucket(self.connection, plan.snapshot_buckets, scope_type, scope_id, names)
        for (_, start), values in stored.items():
            key = self._series_key(start, series_start, granularity)
            known = found.get(key, [0] * len(names))
            found[key] = [mine + theirs for mine, theirs in zip(known, values, strict=True)]
        return found

    def first_contacts(self, start: datetime, end: datetime) -> int:
        """Contacts whose first conversation in scope was created in [start, end)."""
        plan = self._plan(start, end, _LARGEST_FIRST)
        total = 0
        rows = self._scope_rows()
        if plan.snapshot_buckets and rows is not None:
            scope_type, (scope_id,) = rows
            total += stored_first_contacts(self.connection, plan.snapshot_buckets, scope_type, scope_id)
        if plan.live:
            in_scope = conversations_in_scope(self.scope)
            first = is_first_conversation(conversations, lambda earlier: conversations_in_scope(self.scope, earlier))
            live = select(func.count()).where(_created_in(plan.live), in_scope, first)
            total += self.connection.execute(live).scalar_one()
        return total

    def contact_parts(self, start: datetime, end: datetime) -> ContactParts | None:
        """The contact histories of the conversations created in [start, end) in scope (see
        `metrics.contact_history`), or None where they cannot stand in for a live count: without snapshots,
        for a range that does not start at a local midnight (they keep days), or with a row that predates them."""
        rows = self._scope_rows()
        if not self.use_snapshots or rows is None or start != bucket_start(SnapshotType.daily, start, self.zone):
            return None
        plan = self._plan(start, end, _LARGEST_FIRST)
        total = ContactParts()
        if plan.snapshot_buckets:
            scope_type, (scope_id,) = rows
            stored = stored_contact_parts(self.connection, plan.snapshot_buckets, scope_type, scope_id)
            if stored is None:
                return None
            total += stored
        if plan.live:

            def same_scope(earlier):
                return conversations_in_scope(self.scope, earlier)

            live = select(
                previous_conversation_at(conversations, same_scope),
                is_second_conversation(conversations, same_scope),
            ).where(_created_in(plan.live), conversations_in_scope(self.scope))
            for previous_at, second in self.connection.execute(live):
                total.add(previous_at, bool(second), self.zone)
        return total

    def broadcast_outcomes(self, ids: list[str]) -> dict[str, tuple[int, ...] | None]:
        """The stored, final results in scope of those of these broadcasts that have one (see
        `metrics.broadcast_results`): broadcast id -> counts, or None when none of its messages is in scope."""
        rows = self._scope_rows()
        if not self.use_snapshots or rows is None or not ids:
            return {}
        scope_type, (scope_id,) = rows
        return stored_broadcast_results(self.connection, ids, scope_type, scope_id)

    def message_parts(self, start: datetime, end: datetime, *, organisation: bool = False) -> MessageParts:
        """Parts of the messages created in [start, end) in the conversations in scope, or in every conversation
        with `organisation` (what the whole organisation shares, such as the send queue)."""
        plan = self._plan(start, end, _LARGEST_FIRST)
        rows = (ScopeType.org, [""]) if organisation else self._scope_rows()
        total = MessageParts()
        if plan.snapshot_buckets and rows is not None:
            scope_type, (scope_id,) = rows
            total += stored_message_parts(self.connection, plan.snapshot_buckets, scope_type, scope_id)
        if plan.live:
            created_in = in_ranges(messages.c.created_at, plan.live)
            in_scope = None if organisation else conversations_in_scope(self.scope)
            grouping = MessageGrouping([], messages_with_conversations(), in_scope)
            total += collect_message_parts(self.connection, created_in, [grouping])[0].get((), MessageParts())
        return total

    # How.

    def _scope_rows(self) -> tuple[ScopeType, list[str]] | None:
        if self.scope.level == "all":
            return ScopeType.org, [""]
        if self.scope.level == "team" and len(self.scope.team_ids) == 1:
            return ScopeType.team, list(self.scope.team_ids)
        if self.scope.level == "own":
            return ScopeType.agent, [self.scope.user_id]
        return None

    def _series_key(self, start: datetime, series_start: dict[datetime, int | str], granularity: Granularity):
        if granularity == "hour":
            return series_start[start]
        return start.astimezone(self.zone).date().isoformat()

    def _plan(self, start: datetime, end: datetime, kinds: tuple[SnapshotType, ...]) -> Plan:
        """Memoised: a section asks for the same range per agent, per bucket and in total."""
        key = (start, end, kinds)
        if key not in self._plans:
            self._plans[key] = self._make_plan(start, end, kinds)
        return self._plans[key]

    def _make_plan(self, start: datetime, end: datetime, kinds: tuple[SnapshotType, ...]) -> Plan:
        end = min(end, self.now)
        if not self.use_snapshots or self._scope_rows() is None or start >= end:
            return Plan([], [(start, end)] if start < end else [])
        # Weeks and days first; hourly rows are read only for the stretches they leave (the range's edges).
        large = tuple(kind for kind in kinds if kind is not SnapshotType.hourly)
        plan = self._greedy(start, end, large, self._usable_buckets(large, [(start, end)]))
        if SnapshotType.hourly not in kinds or not plan.live:
            return plan
        hours = self._usable_buckets((SnapshotType.hourly,), plan.live)
        taken, live = list(plan.snapshot_buckets), []
        for stretch_start, stretch_end in plan.live:
            within = self._greedy(stretch_start, stretch_end, (SnapshotType.hourly,), hours)
            taken += within.snapshot_buckets
            live += within.live
        return Plan(taken, live)

    def _greedy(
        self,
        start: datetime,
        end: datetime,
        kinds: tuple[SnapshotType, ...],
        usable: dict[tuple[SnapshotType, datetime], datetime],
    ) -> Plan:
        """The largest usable bucket at each step, else one hour (or up to `end`) live."""
        taken: list[tuple[SnapshotType, datetime]] = []
        live: list[tuple[datetime, datetime]] = []
        cursor = start
        while cursor < end:
            for kind in kinds:
                bucket_end = usable.get((kind, cursor))
                if bucket_end is not None and bucket_end <= end:
                    taken.append((kind, cursor))
                    cursor = bucket_end
                    break
            else:
                step = min(end, bucket_start(SnapshotType.hourly, cursor, self.zone) + HOUR)
                if live and live[-1][1] == cursor:
                    live[-1] = (live[-1][0], step)
                else:
                    live.append((cursor, step))
                cursor = step
        return Plan(taken, live)

    def _usable_buckets(
        self, kinds: tuple[SnapshotType, ...], stretches: list[tuple[datetime, datetime]]
    ) -> dict[tuple[SnapshotType, datetime], datetime]:
        """(kind, bucket start) -> bucket end, for the buckets inside the stretches whose snapshot can stand in for a
        live count: computed after the bucket ended, in this time zone (a bucket of another zone is another stretch of
        time, even where its start is one of ours), for this parts version, SLA target and business hours, no finer
        snapshot inside it computed later (a day's row yields to its hours when they are fresher), and settled at
        `now` (see `ConversationParts.settled_at`)."""
        usable = {}
        target = self.settings.sla_first_response_seconds
        for kind in kinds:
            finer = _FINER[kind]
            for start, end in stretches:
                candidates = organisation_freshness(self.connection, kind, start, end)
                if not candidates:
                    continue
                # The latest computation of any finer row inside each bucket of this kind; only finer rows computed
                # after the earliest candidate can outdate one.
                finer_latest: dict[datetime, datetime] = {}
                oldest = min(candidate.computed_at for candidate in candidates.values())
                for inner, inner_computed in (
                    computed_times(self.connection, finer, start, end, oldest) if finer else []
                ):
                    holder = bucket_start(kind, inner, self.zone)
                    if holder not in finer_latest or inner_computed > finer_latest[holder]:
                        finer_latest[holder] = inner_computed
                for bucket, candidate in candidates.items():
                    bucket_end = next_bucket_start(kind, bucket, self.zone)
                    computed_at = candidate.computed_at
                    ended = bucket_end <= end and computed_at >= bucket_end and candidate.version == PARTS_VERSION
                    if ended and candidate.sla_target_seconds is not None and candidate.sla_target_seconds != target:
                        self.outdated_targets.add(candidate.sla_target_seconds)
                    if ended and candidate.business_hours != self._calendar_key:
                        self.outdated_business_hours.add(candidate.business_hours or "")
                    if (
                        ended
                        and candidate.time_zone == self.zone.key
                        and candidate.sla_target_seconds == target
                        and candidate.business_hours == self._calendar_key
                        and not finer_latest.get(bucket, computed_at) > computed_at
                        and _settles(candidate, self.now, target, self.calendar)
                    ):
                        usable[(kind, bucket)] = bucket_end
        return usable

    def _from_snapshots(
        self, plan: Plan, rows: tuple[ScopeType, list[str]] | None
    ) -> dict[str, dict[datetime, ConversationParts]]:
        """scope id -> bucket start -> parts, for the plan's snapshot buckets."""
        found: dict[str, dict[datetime, ConversationParts]] = defaultdict(dict)
        if not plan.snapshot_buckets or rows is None:
            return found
        scope_type, scope_ids = rows
        wanted = defaultdict(set)
        for kind, bucket in plan.snapshot_buckets:
            wanted[kind].add(bucket)
        for kind, buckets in wanted.items():
            stored = read_snapshots(
                self.connection, kind, scope_type, scope_ids, min(buckets), max(buckets) + timedelta(microseconds=1)
            )
            target = self.settings.sla_first_response_seconds
            for (scope_id, bucket), (_, metrics) in stored.items():
                if bucket in buckets:
                    # Settles whenever the bucket's organisation row settled: a scope's conversations are a subset.
                    parts = ConversationParts.from_json(metrics["conversations"]).settled_at(
                        self.now, target, self.calendar
                    )
                    found[scope_id][bucket] = parts
        return found

    def _summed(
        self, plan: Plan, rows: tuple[ScopeType, list[str]] | None, *, per_bucket: bool
    ) -> dict[tuple, ConversationParts]:
        """The plan's snapshot buckets added up by the database per scope id (and per bucket), settled at `now`:
        every bucket of a plan settled in its organisation row, so each sum settles whole."""
        if not plan.snapshot_buckets or rows is None:
            return {}
        scope_type, scope_ids = rows
        target = self.settings.sla_first_response_seconds
        summed = summed_snapshots(self.connection, plan.snapshot_buckets, scope_type, scope_ids, per_bucket=per_bucket)
        return {key: parts.settled_at(self.now, target, self.calendar) for key, parts in summed.items()}

    def _live(
        self, plan: Plan, keys: list[Callable[[Subquery], ColumnElement]], with_intents: bool = True
    ) -> dict[tuple, ConversationParts]:
        """Parts of the plan's live intervals, per value of the keys (each built on the facts)."""
        if not plan.live:
            return {} if keys else {(): ConversationParts()}
        facts = conversation_facts(
            _created_in(plan.live),
            conversations_in_scope(self.scope),
            calendar=self.calendar,
            with_message_counts=True,
        )
        return collect_parts(
            self.connection,
            facts,
            [key(facts) for key in keys],
            now=self.now,
            sla_target_seconds=self.settings.sla_first_response_seconds,
            calendar=self.calendar,
            with_intents=with_intents,
        )


def _created_in(intervals: list[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    return in_ranges(conversations.c.created_at, intervals)


def _settles(freshness: Freshness, now: datetime, sla_target_seconds: float, calendar: BusinessCalendar | None) -> bool:
    """Whether the bucket's parts can be told at `now` (see `ConversationParts.settled_at`)."""
    unsettled = ConversationParts(
        pending=freshness.pending,
        pending_latest_s0_us=freshness.pending_latest_s0_us,
        drop_candidates=freshness.drop_candidates,
        drop_candidates_latest_us=freshness.drop_candidates_latest_us,
    )
    return unsettled.settled_at(now, sla_target_seconds, calendar) is not None
