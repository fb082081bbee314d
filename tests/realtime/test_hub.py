"""The hub's fan-out: a change recomputes only the topics whose scope it touches, subscribers of the same scope and
parameters share one computation, and a subscriber is sent a section only when its bytes changed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from pantau.auth.scope import Scope
from pantau.dashboard.router import SECTIONS, RangeParameters
from pantau.models.enums import Role, ScopeType
from pantau.realtime.changes import Change
from pantau.realtime.hub import (
    COMPUTING_AT_ONCE,
    PHASE_STEP_SECONDS,
    PHASE_TOLERANCE_SECONDS,
    PUSH_INTERVAL_SECONDS,
    Hub,
    Subscriber,
    Subscription,
    next_run,
    topic_phase,
)

ANA = Scope(level="own", role=Role.agent, user_id="ana")
ANA_AGAIN = Scope(level="own", role=Role.agent, user_id="ana")
CITRA = Scope(level="own", role=Role.agent, user_id="citra")
TEAM_A = Scope(level="team", role=Role.supervisor, user_id="sup-a", team_ids=("team-a",))
OWNER = Scope(level="all", role=Role.owner, user_id="owner")


async def _settled(hub: Hub) -> None:
    """Every topic's computation finished."""
    while any(topic._task is not None for topic in hub.topics.values()):
        await asyncio.gather(*(t._task for t in hub.topics.values() if t._task is not None))


async def _sent(subscribers: dict[str, Subscriber]) -> None:
    """Every queued message handed to its socket."""
    while any(not subscriber._outbox.empty() for subscriber in subscribers.values()):
        await asyncio.sleep(0)


def _kpi_subscribers(hub: Hub, people: list[tuple[str, Scope]]) -> tuple[dict[str, Subscriber], dict[str, list[str]]]:
    """A subscriber of the KPI strip per (name, scope), each sending into its own list of messages (on the running
    loop's outbox task): the subscribers and what each was sent, by name."""
    sent: dict[str, list[str]] = {}
    subscribers = {}
    for name, scope in people:
        sent[name] = []

        async def send(message: str, name=name) -> None:
            sent[name].append(message)

        subscriber = subscribers[name] = Subscriber(send)
        asyncio.get_running_loop().create_task(subscriber.run_outbox())
        hub.subscribe(subscriber, [Subscription(SECTIONS["kpi"], scope, RangeParameters())])
    return subscribers, sent


def _bodies(messages: list[str]) -> list[str]:
    return [message.split('"data":')[1].split(',"timestamp"')[0] for message in messages]


def test_a_change_recomputes_only_the_scopes_it_touches_and_equal_subscribers_share_one_computation():
    async def scenario():
        computed: list[str] = []
        version = {"n": 0}

        async def compute(subscription: Subscription) -> bytes:
            computed.append(subscription.scope.cache_key)
            return f'{{"v":{version["n"]}}}'.encode()

        hub = Hub(compute)
        subscribers, sent = _kpi_subscribers(
            hub, [("ana", ANA), ("ana-2", ANA_AGAIN), ("citra", CITRA), ("sup-a", TEAM_A), ("o", OWNER)]
        )
        await _settled(hub)
        # Two Anas, one computation: four topics.
        assert len(hub.topics) == 4
        assert sorted(computed) == sorted({ANA.cache_key, CITRA.cache_key, TEAM_A.cache_key, OWNER.cache_key})

        computed.clear()
        version["n"] = 1
        # Citra's conversation in team B: her scope and the organisation's, not Ana's nor team A's.
        hub.changed(Change.of("ingest", [(ScopeType.org, ""), (ScopeType.agent, "citra"), (ScopeType.team, "b")]))
        await _settled(hub)
        assert sorted(computed) == sorted([CITRA.cache_key, OWNER.cache_key])

        computed.clear()
        hub.changed(Change.of("ingest", [(ScopeType.org, ""), (ScopeType.team, "team-a")]))
        await _settled(hub)
        assert sorted(computed) == sorted([TEAM_A.cache_key, OWNER.cache_key])

        computed.clear()
        hub.changed(Change.of("aggregation"))
        await _settled(hub)
        assert len(computed) == 4
        await _sent(subscribers)
        # Both of Ana's sockets: v0 at subscription, v1 once a change touched her; Citra got v1 at her change.
        for name in ("ana", "ana-2", "o"):
            assert _bodies(sent[name]) == ['{"v":0}', '{"v":1}']

        # The same bytes again: recomputed, pushed to nobody.
        hub.changed(Change.of("aggregation"))
        await _settled(hub)
        await _sent(subscribers)
        assert len(computed) == 8
        assert _bodies(sent["ana"]) == ['{"v":0}', '{"v":1}']
        hub.close()
        for subscriber in subscribers.values():
            subscriber.close()

    asyncio.run(scenario())


def test_a_lone_change_computes_at_once_and_a_busy_topic_waits_a_second_then_keeps_to_its_phase():
    last_run, wall_offset = 1000.0, 1_796_000_000.25
    # A second or more after the last computation: at once, whatever the phase.
    for phase in (0.0, 0.3, 0.99):
        assert next_run(last_run, last_run + 1.0, phase, wall_offset) == last_run + 1.0
        assert next_run(last_run, last_run + 7.5, phase, wall_offset) == last_run + 7.5
    # Within the second: a second after the last computation (its wall-clock fraction is .25 here), plus what is
    # left to the phase, at most PHASE_STEP_SECONDS; or the phase point just before, when the last one started late.
    assert next_run(last_run, last_run + 0.1, 0.25, wall_offset) == last_run + 1.0
    assert next_run(last_run, last_run + 0.1, 0.30, wall_offset) == pytest.approx(last_run + 1.05)
    assert next_run(last_run, last_run + 0.1, 0.75, wall_offset) == pytest.approx(last_run + 1.0 + PHASE_STEP_SECONDS)
    assert next_run(last_run, last_run + 0.1, 0.10, wall_offset) == pytest.approx(last_run + 1.0 + PHASE_STEP_SECONDS)
    assert next_run(last_run, last_run + 0.1, 0.22, wall_offset) == pytest.approx(last_run + 0.97)

    # Under a steady stream of changes (dirty again as soon as it computed), each computation starting a little
    # after it was due (a busy event loop): never less than a second apart less the tolerance, and due on the phase
    # after at most 1 / PHASE_STEP_SECONDS computations, then on it every time, the lateness not adding up.
    phase = 0.2
    due = [last_run]
    started = [last_run]
    for step in range(16):
        due.append(next_run(started[-1], started[-1] + 0.01, phase, wall_offset))
        started.append(due[-1] + (0.0, 0.003, 0.03, 0.01)[step % 4])
    gaps = [b - a for a, b in zip(started, started[1:], strict=False)]
    assert all(1.0 - PHASE_TOLERANCE_SECONDS <= gap <= 1.0 + PHASE_STEP_SECONDS + 0.03 + 1e-9 for gap in gaps)
    on_phase = [abs((moment + wall_offset - phase + 0.5) % 1.0 - 0.5) < 1e-6 for moment in due]
    assert on_phase[6:] == [True] * 11


def test_a_topic_has_the_same_phase_in_every_process():
    """Two processes that hold the same topic compute it at the same moment and share it through the cache: the
    phase must not depend on the process (Python's own hash() of strings does)."""
    subscription = Subscription(SECTIONS["kpi"], TEAM_A, RangeParameters(date_range="7d"))
    code = (
        "from tests.realtime.test_hub import SECTIONS, TEAM_A, RangeParameters, Subscription, topic_phase;"
        "print(repr(topic_phase(Subscription(SECTIONS['kpi'], TEAM_A, RangeParameters(date_range='7d')).topic_key)))"
    )
    phases = set()
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        phases.add(float(result.stdout))
    assert phases == {topic_phase(subscription.topic_key)}
    assert 0.0 <= topic_phase(subscription.topic_key) < 1.0
    # Other topics elsewhere in the second.
    others = {topic_phase(Subscription(SECTIONS["kpi"], scope, RangeParameters()).topic_key) for scope in (ANA, CITRA)}
    assert len(others | phases) == 3


def test_a_process_computes_no_more_than_computing_at_once_topics_at_a_time():
    """Five topics changed together: two computations under way at once, the others waiting their turn, and every
    topic computed once, with what was committed when its turn came."""

    async def scenario():
        in_flight = {"now": 0, "most": 0}
        computed: list[str] = []

        async def compute(subscription: Subscription) -> bytes:
            in_flight["now"] += 1
            in_flight["most"] = max(in_flight["most"], in_flight["now"])
            # Hands the loop to every other topic ready to start: without a limit they would all be under way here.
            await asyncio.sleep(0.01)
            computed.append(subscription.scope.user_id)
            in_flight["now"] -= 1
            return b'{"v":0}'

        hub = Hub(compute)
        subscribers = []
        for index in range(5):

            async def send(message: str) -> None:
                pass

            subscriber = Subscriber(send)
            subscribers.append(subscriber)
            scope = Scope(level="own", role=Role.agent, user_id=f"agent-{index}")
            hub.subscribe(subscriber, [Subscription(SECTIONS["kpi"], scope, RangeParameters())])
        await _settled(hub)
        assert in_flight["most"] == COMPUTING_AT_ONCE == 2
        assert sorted(computed) == [f"agent-{index}" for index in range(5)]
        hub.close()
        for subscriber in subscribers:
            subscriber.close()

    asyncio.run(scenario())


def test_agents_and_teams_topics_due_together_are_computed_in_one_grouped_computation():
    """With a grouped computation (the KPI strip): the agents' and teams' topics a change touches are computed in one
    call and each is pushed its own bytes; the organisation's topic computes on its own; a topic the change does not
    touch is not in the group."""

    async def scenario():
        grouped: list[list[str]] = []
        alone: list[str] = []
        version = {"n": 0}

        def body(subscription: Subscription) -> bytes:
            return f'{{"who":"{subscription.scope.cache_key}","v":{version["n"]}}}'.encode()

        async def compute(subscription: Subscription) -> bytes:
            alone.append(subscription.scope.cache_key)
            return body(subscription)

        async def compute_many(subscriptions: list[Subscription]) -> list[bytes]:
            grouped.append(sorted(s.scope.cache_key for s in subscriptions))
            return [body(s) for s in subscriptions]

        hub = Hub(compute, compute_many=compute_many)
        subscribers, sent = _kpi_subscribers(hub, [("ana", ANA), ("citra", CITRA), ("sup-a", TEAM_A), ("o", OWNER)])
        await _settled(hub)
        assert grouped == [sorted([ANA.cache_key, CITRA.cache_key, TEAM_A.cache_key])]
        assert alone == [OWNER.cache_key]
        assert hub.computations == 2

        grouped.clear()
        alone.clear()
        version["n"] = 1
        # Ana's conversation in team A: Ana, team A and the organisation; not Citra.
        hub.changed(Change.of("ingest", [(ScopeType.org, ""), (ScopeType.agent, "ana"), (ScopeType.team, "team-a")]))
        await _settled(hub)
        assert grouped == [sorted([ANA.cache_key, TEAM_A.cache_key])]
        assert alone == [OWNER.cache_key]
        await asyncio.sleep(PUSH_INTERVAL_SECONDS)  # the second push of a section waits a second after the first
        await _sent(subscribers)
        for name, scope in (("ana", ANA), ("sup-a", TEAM_A), ("o", OWNER)):
            assert _bodies(sent[name]) == [f'{{"who":"{scope.cache_key}","v":{n}}}' for n in (0, 1)], name
        assert _bodies(sent["citra"]) == [f'{{"who":"{CITRA.cache_key}","v":0}}']
        hub.close()
        for subscriber in subscribers.values():
            subscriber.close()

    asyncio.run(scenario())
