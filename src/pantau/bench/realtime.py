"""`pantau bench realtime`: the live dashboard under load (issue 13). Two `pantau serve` processes share the database
and Redis; subscribers of mixed roles (the organisation's, a team's, an agent's own scope) are spread over both and
subscribe to the KPI strip; conversations are opened through the events API at a steady rate, alternating between
the two processes, each assigned to an agent in the agent's team.

Writes are sent on schedule, whether or not the ones before were answered, so the rate is the rate asked for.
Latency: for each write and each subscriber whose scope it touches, from the moment the write was sent (an upper
bound on its commit) to the receipt of the first push that counts it. A push is taken to count the first k writes
(in the order sent) of the subscriber's scope when its active conversations are k above where they started (new
conversations stay open); writes in flight together may commit in another order, which moves single figures by the
time between two writes (50 ms at 20/s). Memory per socket: the two processes' resident memory
after every socket subscribed, less before, divided by the sockets. CPU per push: the two processes' CPU time
(user + system) during the writes and until the last push, divided by the pushes received.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from websockets.asyncio.client import connect

from pantau.auth.tokens import api_token_hash, issue_token
from pantau.bench.runner import Timing, _database, _machine, served
from pantau.core.config import Settings
from pantau.models import ApiToken, Contact, User
from pantau.models.enums import Role, TokenPermission

ORG_ROLES = (Role.owner, Role.admin)
TEAM_ROLES = (Role.supervisor, Role.manager)
# Of the subscribers: the organisation's scope, a team's, an agent's own.
ROLE_MIX = (("organisation", 0.1), ("team", 0.2), ("agent", 0.7))
DRAIN_SECONDS = 15.0
WRITE_ATTEMPTS = 3


@dataclass(frozen=True)
class Person:
    id: str
    role: Role
    team_id: str | None

    @property
    def level(self) -> str:
        if self.role in ORG_ROLES:
            return "organisation"
        if self.role in TEAM_ROLES and self.team_id is not None:
            return "team"
        return "agent"

    def sees(self, agent: Person) -> bool:
        """Whether a conversation opened for `agent` in the agent's team is in this person's scope."""
        if self.level == "organisation":
            return True
        if self.level == "team":
            return agent.team_id == self.team_id
        return agent.id == self.id


@dataclass
class Subscriber:
    person: Person
    server: int
    baseline: int | None = None
    # (receipt time, active conversations) of every KPI push.
    pushes: list[tuple[float, int]] = field(default_factory=list)


@dataclass(frozen=True)
class RealtimeReport:
    database: str
    machine: str
    subscribers: int
    by_level: dict[str, int]
    writes: int
    write_seconds: float
    latency: Timing
    p99_ms: float
    # From a write sent to its answer (after its commit): the part of the latency before any push can start.
    write_answer: Timing
    # From a write's answer to the push: the commit lies between the sending and the answer, so the time from the
    # commit to the push lies between this and `latency`.
    answer_to_push: Timing
    deliveries: int
    undelivered: int
    pushes: int
    memory_per_socket_kb: float
    cpu_ms_per_push: float


def _people(engine: Engine) -> dict[str, list[Person]]:
    with Session(engine) as session:
        rows = session.execute(
            select(User.id, User.role, User.team_id).where(User.is_active.is_(True)).order_by(User.id)
        ).all()
    people = [Person(row.id, Role(row.role), row.team_id) for row in rows]
    by_level = {level: [p for p in people if p.level == level] for level, _ in ROLE_MIX}
    by_level["agent"] = [p for p in by_level["agent"] if p.role is Role.agent and p.team_id is not None]
    for level, chosen in by_level.items():
        if not chosen:
            raise RuntimeError(f"the database has no active {level}-scope user; load demo data first (pantau demo)")
    return by_level


def _tokens(engine: Engine, people: list[Person], ingest_owner: Person) -> tuple[dict[str, str], str]:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        tokens = {
            person.id: issue_token(session, session.get(User, person.id), "pantau bench realtime", now).token
            for person in people
        }
        ingest = issue_token(
            session, session.get(User, ingest_owner.id), "pantau bench realtime", now, TokenPermission.ingest
        ).token
    return tokens, ingest


def _revoke(engine: Engine, tokens: list[str]) -> None:
    hashes = [api_token_hash(token) for token in tokens]
    with Session(engine) as session, session.begin():
        session.execute(update(ApiToken).where(ApiToken.token_hash.in_(hashes)).values(revoked_at=datetime.now(UTC)))


def _contacts(engine: Engine) -> list[str]:
    with Session(engine) as session:
        contacts = list(session.scalars(select(Contact.id).limit(500)))
    if not contacts:
        raise RuntimeError("the database has no contacts; load demo data first (pantau demo)")
    return contacts


def _proc_status(pid: int, field_name: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field_name}")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _active(text: str) -> int | None:
    message = json.loads(text)
    if message.get("type") != "section":
        return None
    return message["data"]["activeConversations"]["value"]


async def _subscribe(url: str, token: str, subscriber: Subscriber, ready: asyncio.Event, done: asyncio.Event):
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_queue=None) as socket:
        await socket.send(json.dumps({"type": "subscribe", "sections": ["kpi"]}))
        async for text in socket:
            value = _active(text)
            if value is None:
                continue
            if subscriber.baseline is None:
                subscriber.baseline = value
                ready.set()
            else:
                subscriber.pushes.append((time.monotonic(), value))
            if done.is_set():
                break


async def _run(
    servers: list[tuple[str, int]],
    subscribers: list[Subscriber],
    tokens: dict[str, str],
    ingest_token: str,
    agents: list[Person],
    contacts: list[str],
    rate: float,
    seconds: float,
) -> tuple[list[tuple[float, Person]], list[tuple[float, Person]], float, float, float]:
    rss_before = sum(_proc_status(pid, "VmRSS") for _, pid in servers)
    done = asyncio.Event()
    readies = []
    tasks = []
    for subscriber in subscribers:
        ready = asyncio.Event()
        readies.append(ready)
        url = servers[subscriber.server][0].replace("http://", "ws://") + "/api/dashboard/realtime"
        tasks.append(asyncio.create_task(_subscribe(url, tokens[subscriber.person.id], subscriber, ready, done)))
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), timeout=120)
    rss_after = sum(_proc_status(pid, "VmRSS") for _, pid in servers)

    cpu_before = sum(_cpu_seconds(pid) for _, pid in servers)
    run = uuid.uuid4().hex[:8]
    agent_cycle = itertools.cycle(agents)
    contact_cycle = itertools.cycle(contacts)
    count = round(rate * seconds)
    sent_at: list[float] = [0.0] * count
    answered_at: list[float] = [0.0] * count
    assigned: list[Person] = []
    limits = httpx2.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx2.AsyncClient(timeout=60, limits=limits) as client:

        async def write(index: int, agent: Person, contact: str) -> None:
            conversation = f"bench-{run}-{index}"
            body = {
                "events": [
                    {
                        "id": f"{conversation}-open",
                        "type": "conversation.opened",
                        "occurredAt": datetime.now(UTC).isoformat(),
                        "data": {
                            "id": conversation,
                            "contactId": contact,
                            "teamId": agent.team_id,
                            "assignedTo": agent.id,
                        },
                    }
                ]
            }
            sent_at[index] = time.monotonic()
            for attempt in range(WRITE_ATTEMPTS):
                try:
                    response = await client.post(
                        f"{servers[index % 2][0]}/api/ingest/events",
                        json=body,
                        headers={"Authorization": f"Bearer {ingest_token}"},
                    )
                    break
                except httpx2.TransportError as exc:
                    # A keep-alive connection the server closed as it was reused: sending again is safe, the
                    # events API answers an id it has seen as a duplicate.
                    if attempt == WRITE_ATTEMPTS - 1:
                        raise RuntimeError(f"a write could not be sent: {exc!r}") from exc
            if response.status_code != 200:
                raise RuntimeError(f"a write was refused: {response.status_code} {response.text[:300]}")
            answered_at[index] = time.monotonic()

        # On schedule, whether or not the writes before have been answered: the rate is the rate asked for.
        started = time.monotonic()
        in_flight = []
        for index in range(count):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            agent = next(agent_cycle)
            assigned.append(agent)
            in_flight.append(asyncio.create_task(write(index, agent, next(contact_cycle))))
        await asyncio.gather(*in_flight)
        write_seconds = time.monotonic() - started
    writes = list(zip(sent_at, assigned, strict=True))
    answers = list(zip(answered_at, assigned, strict=True))

    # Until every subscriber has seen every write of its scope, or the drain time is up.
    deadline = time.monotonic() + DRAIN_SECONDS
    expected = {id(s): sum(1 for _, agent in writes if s.person.sees(agent)) for s in subscribers}
    while time.monotonic() < deadline:
        if all((s.pushes[-1][1] if s.pushes else s.baseline) - s.baseline >= expected[id(s)] for s in subscribers):
            break
        await asyncio.sleep(0.1)
    cpu_after = sum(_cpu_seconds(pid) for _, pid in servers)
    done.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return writes, answers, write_seconds, (rss_after - rss_before) / len(subscribers), cpu_after - cpu_before


def _latencies(writes: list[tuple[float, Person]], subscribers: list[Subscriber]) -> tuple[list[float], int]:
    latencies: list[float] = []
    undelivered = 0
    for subscriber in subscribers:
        mine = [sent for sent, agent in writes if subscriber.person.sees(agent)]
        seen = 0
        for received, value in subscriber.pushes:
            counted = min(value - subscriber.baseline, len(mine))
            for sent in mine[seen:counted]:
                latencies.append(received - sent)
            seen = max(seen, counted)
        undelivered += len(mine) - seen
    return latencies, undelivered


def run_realtime_bench(
    engine: Engine, settings: Settings, subscribers: int, rate: float, seconds: float
) -> RealtimeReport:
    if not settings.redis_url:
        raise RuntimeError("set REDIS_URL: the benchmark runs two server processes that share Redis")
    people = _people(engine)
    counts = {level: round(subscribers * share) for level, share in ROLE_MIX}
    counts["agent"] = subscribers - counts["organisation"] - counts["team"]
    chosen: list[Subscriber] = []
    for level, count in counts.items():
        for person in itertools.islice(itertools.cycle(people[level]), count):
            chosen.append(Subscriber(person, server=len(chosen) % 2))
    distinct = list({s.person.id: s.person for s in chosen}.values())
    tokens, ingest_token = _tokens(engine, distinct, people["organisation"][0])
    try:
        with ExitStack() as stack:
            servers = [stack.enter_context(served(settings)) for _ in range(2)]
            writes, answers, write_seconds, rss_kb, cpu_seconds = asyncio.run(
                _run(servers, chosen, tokens, ingest_token, people["agent"], _contacts(engine), rate, seconds)
            )
    finally:
        _revoke(engine, [*tokens.values(), ingest_token])
    latencies, undelivered = _latencies(writes, chosen)
    after_answers, _ = _latencies(answers, chosen)
    if not latencies:
        raise RuntimeError("no push counted any write")
    ordered = sorted(latencies)
    pushes = sum(len(s.pushes) for s in chosen)
    return RealtimeReport(
        database=_database(engine),
        machine=_machine(),
        subscribers=len(chosen),
        by_level=counts,
        writes=len(writes),
        write_seconds=write_seconds,
        latency=Timing.of(latencies),
        p99_ms=ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))] * 1000,
        write_answer=Timing.of([answered - sent for (sent, _), (answered, _) in zip(writes, answers, strict=True)]),
        answer_to_push=Timing.of(after_answers),
        deliveries=len(latencies),
        undelivered=undelivered,
        pushes=pushes,
        memory_per_socket_kb=rss_kb,
        cpu_ms_per_push=cpu_seconds * 1000 / pushes if pushes else float("nan"),
    )
