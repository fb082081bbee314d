"""The hub's fan-out: a change recomputes only the topics whose scope it touches, subscribers of the same scope and
parameters share one computation, and a subscriber is sent a section only when its bytes changed."""

from __future__ import annotations

import asyncio

from pantau.auth.scope import Scope
from pantau.dashboard.router import SECTIONS, RangeParameters
from pantau.models.enums import Role, ScopeType
from pantau.realtime.changes import Change
from pantau.realtime.hub import Hub, Subscriber, Subscription

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
        sent: dict[str, list[str]] = {}
        subscribers = {}
        for name, scope in (("ana", ANA), ("ana-2", ANA_AGAIN), ("citra", CITRA), ("sup-a", TEAM_A), ("o", OWNER)):
            sent[name] = []

            async def send(message: str, name=name) -> None:
                sent[name].append(message)

            subscriber = subscribers[name] = Subscriber(send)
            asyncio.get_running_loop().create_task(subscriber.run_outbox())
            hub.subscribe(subscriber, [Subscription(SECTIONS["kpi"], scope, RangeParameters())])
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
