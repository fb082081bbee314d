"""Applying one journaled body, whichever door it came through: its items in order, then whatever they released.

After each item, the items parked on the rows it created are applied (and what those create releases more, until
nothing is left), so an event later in the same body sees them applied.
"""

from __future__ import annotations

import json
from collections import Counter

from pantau.ingest.context import ApplyContext
from pantau.ingest.events import (
    apply_checked,
    apply_parked_event,
    check,
    claim_ids,
    creates,
    new_rows,
    referents,
    touched_conversations,
    write_new_rows,
)
from pantau.ingest.schemas import MAX_EVENTS_PER_BATCH, Event, EventResult
from pantau.ingest.whatsapp import (
    MessagesValue,
    WebhookRejected,
    apply_parked_status,
    apply_status_bodies,
    apply_webhook,
    known_sessions,
    parse_webhook,
    sessions_of,
    status_only,
)
from pantau.models.enums import EventOutcome, IngestSource, JournalState


class BodyRefused(Exception):
    """The body as a whole cannot be applied: journaled as failed; `status`, `error` and `detail` are the answer
    the events API gives (the webhook answers 200 anyway: Meta would retry a body that cannot improve)."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail


def parse_events_body(body: bytes) -> list:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BodyRefused(400, "invalid_body", "body: not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise BodyRefused(400, "invalid_body", 'events: the body must be {"events": [...]}')
    events = document["events"]
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise BodyRefused(
            413,
            "too_many_events",
            f"events: {len(events):,} events in one request; send at most {MAX_EVENTS_PER_BATCH:,} per request",
        )
    return events


class _Batch:
    """The answers of one events body, kept so a parked event released later in the same body answers accepted."""

    def __init__(self, ctx: ApplyContext) -> None:
        self.ctx = ctx
        self.results: list[EventResult] = []
        self._parked_at: dict[str, int] = {}

    def add(self, result: EventResult) -> None:
        if result.outcome is EventOutcome.parked and result.id is not None:
            self._parked_at.setdefault(result.id, len(self.results))
        self.results.append(result)
        self.ctx.tally[result.outcome.value] += 1

    def released(self, result: EventResult) -> None:
        position = self._parked_at.get(result.id)
        if position is None:
            if result.outcome is EventOutcome.accepted:
                self.ctx.tally["released"] += 1
            elif result.outcome is EventOutcome.rejected:
                self.ctx.tally["rejected"] += 1
            return
        if result.outcome is not EventOutcome.parked:
            del self._parked_at[result.id]
            self.ctx.tally[EventOutcome.parked.value] -= 1
            self.ctx.tally[result.outcome.value] += 1
        self.results[position] = result


def release_parked(ctx: ApplyContext, batch: _Batch | None = None) -> None:
    """Apply what waited for the rows created so far, and for the rows those create in turn."""
    while referents := ctx.take_created():
        for parked in ctx.take_parked(referents):
            if parked.source is IngestSource.whatsapp:
                apply_parked_status(ctx, parked)
                continue
            result = apply_parked_event(ctx, parked)
            if batch is not None:
                batch.released(result)
            elif result.outcome is EventOutcome.accepted:
                ctx.tally["released"] += 1


def apply_events(ctx: ApplyContext, events: list) -> list[EventResult]:
    """The events in order, each answered as if applied alone; what is known before the first is applied is asked
    once for the whole body: every event checked, the ids of those that set no fact outright claimed together, the
    rows it refers to looked up, the rows it may create locked and looked up for items parked on them, the scopes
    of the conversations it touches read. New conversations and messages that follow one another are written
    together."""
    batch = _Batch(ctx)
    checked = [check(raw) for raw in events]
    valid = [event for event in checked if isinstance(event, Event)]
    claimed = claim_ids(ctx, valid)
    ctx.look_up(referents(valid))
    ctx.expect_created(creates(valid))
    ctx.look_up_scopes(touched_conversations(valid))
    position = 0
    while position < len(events):
        if run := new_rows(ctx, checked, claimed, position):
            for result in write_new_rows(ctx, run):
                batch.add(result)
                release_parked(ctx, batch)
            position += len(run)
            continue
        event = checked[position]
        if isinstance(event, EventResult):
            batch.add(event)
        else:
            batch.add(apply_checked(ctx, event, events[position], claimed.get(event.id)))
            release_parked(ctx, batch)
        position += 1
    return batch.results


def apply_body(ctx: ApplyContext, body: bytes) -> list[EventResult]:
    """Apply the body; the events API's answers (none for the webhook). Raises BodyRefused before writing anything
    when the body as a whole is not one Pantau can apply."""
    if ctx.source is IngestSource.events:
        return apply_events(ctx, parse_events_body(body))
    try:
        envelope = parse_webhook(body)
    except WebhookRejected as exc:
        raise BodyRefused(400, "invalid_body", str(exc)) from None
    # Statuses, sessions and contacts are not tied to one conversation: the webhook's changes concern everyone.
    ctx.touch_everything()
    apply_webhook(ctx, envelope)
    release_parked(ctx)
    return []


def apply_bodies(contexts: list[ApplyContext], bodies: list[bytes]) -> list[list[EventResult] | BodyRefused]:
    """`apply_body` for each body with its context, in order, in the transaction they share: what applying them one
    after another gives. Webhook bodies in a row that bring only statuses of numbers already known are applied
    together (`apply_status_bodies`): a few statements for all of them instead of a few each."""
    outcomes: list[list[EventResult] | BodyRefused | None] = [None] * len(bodies)
    run: list[tuple[int, ApplyContext, list[MessagesValue]]] = []
    known: set[str] = set()

    def apply_run() -> None:
        if run:
            apply_status_bodies(contexts[0].connection, [(ctx, found) for _, ctx, found in run])
            for position, _, _ in run:
                outcomes[position] = []
            run.clear()

    for position, (ctx, body) in enumerate(zip(contexts, bodies, strict=True)):
        if ctx.source is IngestSource.whatsapp:
            try:
                envelope = parse_webhook(body)
            except WebhookRejected as exc:
                # Nothing written: it may stand between two bodies applied together.
                outcomes[position] = BodyRefused(400, "invalid_body", str(exc))
                continue
            found = status_only(envelope)
            if found is not None:
                numbers = sessions_of(found)
                if not numbers <= known:
                    known |= known_sessions(ctx.connection, numbers - known)
                if numbers <= known:
                    run.append((position, ctx, found))
                    continue
        apply_run()
        try:
            outcomes[position] = apply_body(ctx, body)
        except BodyRefused as refusal:
            outcomes[position] = refusal
    apply_run()
    return [outcome if outcome is not None else [] for outcome in outcomes]


def final_state(tally: Counter[str]) -> JournalState:
    """Duplicate when the body brought nothing new at all: every item in it had been applied before."""
    if tally["duplicate"] > 0 and all(count == 0 for outcome, count in tally.items() if outcome != "duplicate"):
        return JournalState.duplicate
    return JournalState.applied
