"""Record every dashboard section's JSON on the demo S data set, or compare a new recording with an earlier one.

A change that must move no figure (a refactoring of the metrics code) is checked with it: record before, compare
after, byte for byte. The data set is generated from a seed at a pinned `now`, loaded into a fresh SQLite file
and a fresh PostgreSQL database; each section is computed for an owner, a supervisor and an agent, with team and agent
filters and several ranges, live (`use_snapshots` off) and from snapshots built by a backfill and a run of each
aggregation job at `now`. Each answer is the body the API sends (`model_dump_json(by_alias=True)`).

    .venv/bin/python scripts/record_answers.py record /tmp/answers.json
    .venv/bin/python scripts/record_answers.py compare /tmp/answers.json

PostgreSQL: `PANTAU_TEST_POSTGRES_URL` (a superuser URL, default postgres on 127.0.0.1:5432); a database of this
process's own is created and dropped. `--dialect sqlite` or `--dialect postgresql` records one of them only.
`--size`, `--seed` and `--now` choose another data set (demo M, another day or hour); the recording keeps them, and
compare rebuilds the same one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from pantau.aggregation.jobs import backfill, run_aggregation
from pantau.auth.scope import Scope, resolve_scope
from pantau.auth.scope_sql import narrow_scope
from pantau.core.config import Settings
from pantau.core.database import make_engine
from pantau.core.windows import local_date, resolve_window
from pantau.dashboard.context import SectionContext
from pantau.dashboard.router import SECTIONS
from pantau.demo.generator import DemoGenerator
from pantau.demo.loader import load
from pantau.demo.sizes import SIZES
from pantau.migrations.runner import upgrade
from pantau.models import User
from pantau.models.enums import Role, SnapshotType

ZONE = "Asia/Jakarta"
# A Wednesday, mid-afternoon in Jakarta: "today" is under way, the week holds campaigns and a Friday.
NOW = datetime(2026, 3, 4, 7, 37, 12, tzinfo=UTC)
SEED = 11
POSTGRES_ADMIN_URL = os.environ.get("PANTAU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Demo:
    size: str
    seed: int
    now: datetime

    def to_json(self) -> dict:
        return {"size": self.size, "seed": self.seed, "now": self.now.isoformat()}

    @classmethod
    def from_json(cls, data: dict) -> Demo:
        return cls(data["size"], data["seed"], datetime.fromisoformat(data["now"]))

    def ranges(self) -> list[tuple[str, str | None, str | None, str | None]]:
        """(label, preset, startDate, endDate): the defaults, presets of every kind, custom dates of a week (the six
        days before yesterday and yesterday) and of one day (the day before yesterday)."""
        today = local_date(self.now, ZoneInfo(ZONE))
        week, day = (today - timedelta(days=6), today - timedelta(days=1)), today - timedelta(days=2)
        return [
            ("default", None, None, None),
            ("yesterday", "yesterday", None, None),
            ("24h", "24h", None, None),
            ("7d", "7d", None, None),
            ("30d", "30d", None, None),
            ("custom-week", None, week[0].isoformat(), week[1].isoformat()),
            ("custom-day", None, day.isoformat(), day.isoformat()),
        ]


@dataclass(frozen=True)
class Caller:
    label: str
    scope: Scope  # the caller's own scope: it decides which sections they may open
    team_id: str | None = None  # the teamId and agentId filters, narrowing the rows
    agent_id: str | None = None


def settings_for(url: str) -> Settings:
    return Settings(
        _env_file=None,
        environment="development",
        database_url=url,
        redis_url=None,
        secret_key="answers-recording-secret-key-0123456789abcdef",
        cron_secret="",
        timezone=ZONE,
    )


def callers(connection: Connection) -> list[Caller]:
    """An owner (whole, narrowed to a team, narrowed to an agent), a supervisor (whole, narrowed to one of their
    agents) and an agent, chosen by id among the demo's people."""
    people = connection.execute(select(User.id, User.role, User.team_id).order_by(User.id)).all()
    owner = next(person for person in people if person.role == Role.owner)
    supervisor = next(person for person in people if person.role == Role.supervisor and person.team_id)
    agents = [person for person in people if person.role == Role.agent and person.team_id]
    agent = agents[0]
    their_agent = next(person for person in agents if person.team_id == supervisor.team_id)
    other_team = next(person.team_id for person in agents if person.team_id != supervisor.team_id)
    return [
        Caller("owner", resolve_scope(owner)),
        Caller(f"owner/team={other_team}", resolve_scope(owner), team_id=other_team),
        Caller(f"owner/agent={agent.id}", resolve_scope(owner), agent_id=agent.id),
        Caller("supervisor", resolve_scope(supervisor)),
        Caller(f"supervisor/agent={their_agent.id}", resolve_scope(supervisor), agent_id=their_agent.id),
        Caller("agent", resolve_scope(agent)),
    ]


def answers(connection: Connection, settings: Settings, demo: Demo, use_snapshots: bool) -> Iterator[tuple[str, str]]:
    zone = ZoneInfo(ZONE)
    ranges = demo.ranges()
    for caller in callers(connection):
        scope = caller.scope
        if caller.team_id is not None or caller.agent_id is not None:
            scope = narrow_scope(connection, caller.scope, caller.team_id, caller.agent_id)
        for section in SECTIONS.values():
            if section.management and not caller.scope.can_read_management_sections:
                continue
            for label, preset, start_date, end_date in ranges if section.ranged else ranges[:1]:
                window = resolve_window(
                    now=demo.now,
                    zone=zone,
                    preset=preset if section.ranged else None,
                    start_date=start_date,
                    end_date=end_date,
                    default=section.default_range,
                )
                context = SectionContext(
                    connection=connection, scope=scope, window=window, settings=settings, use_snapshots=use_snapshots
                )
                body = section.compute(context).model_dump_json(by_alias=True)
                yield f"{caller.label} {section.name} {label}", body


def load_demo(engine: Engine, demo: Demo) -> None:
    upgrade(engine)
    size = SIZES[demo.size]
    generator = DemoGenerator(size, seed=demo.seed, now=demo.now, zone=ZoneInfo(ZONE), password_hash="not-a-password")
    load(engine, generator.batches(), reset=False)


def build_snapshots(engine: Engine, settings: Settings, demo: Demo) -> None:
    """Every week that the data or a 30-day range touches, then a run of each job at `now` (which also rewrites what
    moved)."""
    today = local_date(demo.now, settings.zone)
    days = max(35, SIZES[demo.size].days + 7)
    backfill(engine, settings, today - timedelta(days=days), today, now=demo.now)
    for kind in (SnapshotType.hourly, SnapshotType.daily, SnapshotType.weekly):
        run_aggregation(engine, settings, kind, now=demo.now)


def record_dialect(url: str, demo: Demo) -> dict[str, str]:
    engine = make_engine(url)
    try:
        load_demo(engine, demo)
        settings = settings_for(url)
        found: dict[str, str] = {}
        with engine.connect() as connection:
            for key, body in answers(connection, settings, demo, use_snapshots=False):
                found[f"live {key}"] = body
        build_snapshots(engine, settings, demo)
        with engine.connect() as connection:
            for key, body in answers(connection, settings, demo, use_snapshots=True):
                found[f"snapshots {key}"] = body
        return found
    finally:
        engine.dispose()


def _admin() -> Engine:
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def record(dialects: list[str], demo: Demo) -> dict[str, str]:
    found: dict[str, str] = {}
    for dialect in dialects:
        if dialect == "sqlite":
            with tempfile.TemporaryDirectory() as directory:
                answers_of = record_dialect(f"sqlite:///{Path(directory) / 'answers.db'}", demo)
        else:
            name = f"pantau_answers_{os.getpid()}"
            admin = _admin()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
                answers_of = record_dialect(url, demo)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        found.update({f"{dialect} {key}": body for key, body in answers_of.items()})
        live_and_stored_differ = [
            key
            for key, body in answers_of.items()
            if key.startswith("live ") and answers_of.get("snapshots " + key.removeprefix("live ")) != body
        ]
        print(
            f"{dialect}: {len(answers_of)} answers; live and from snapshots differ for {len(live_and_stored_differ)}"
            + "".join(f"\n  {key.removeprefix('live ')}" for key in live_and_stored_differ)
        )
    return found


def digest(found: dict[str, str]) -> str:
    hashed = hashlib.sha256()
    for key in sorted(found):
        hashed.update(f"{key}\n{found[key]}\n".encode())
    return hashed.hexdigest()


def first_difference(before: str, after: str) -> str:
    position = next(
        (index for index, (one, other) in enumerate(zip(before, after, strict=False)) if one != other),
        min(len(before), len(after)),
    )
    return f"at character {position}: {before[max(0, position - 60) : position + 60]!r} -> " + repr(
        after[max(0, position - 60) : position + 60]
    )


def compare(recorded: dict[str, str], found: dict[str, str]) -> int:
    """Prints every answer that is missing, new or different; 0 when every answer is byte-identical."""
    missing = sorted(set(recorded) - set(found))
    extra = sorted(set(found) - set(recorded))
    changed = sorted(key for key in set(recorded) & set(found) if recorded[key] != found[key])
    for key in missing:
        print(f"missing: {key}")
    for key in extra:
        print(f"new: {key}")
    for key in changed:
        print(f"changed: {key} {first_difference(recorded[key], found[key])}")
    same = len(set(recorded) & set(found)) - len(changed)
    print(f"{same} identical, {len(changed)} changed, {len(missing)} missing, {len(extra)} new")
    return 1 if missing or extra or changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["record", "compare"])
    parser.add_argument("path", type=Path, help="the recording: written by record, read by compare")
    parser.add_argument("--dialect", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--size", choices=["S", "M"], default="S", help="the demo size (record only)")
    parser.add_argument("--seed", type=int, default=SEED, help="the demo seed (record only)")
    parser.add_argument(
        "--now", type=datetime.fromisoformat, default=NOW, help="the pinned now, ISO with an offset (record only)"
    )
    arguments = parser.parse_args()
    dialects = ["sqlite", "postgresql"] if arguments.dialect == "both" else [arguments.dialect]
    if arguments.action == "compare":
        recording = json.loads(arguments.path.read_text())
        demo = Demo.from_json(recording["demo"])
        recorded = {key: body for key, body in recording["answers"].items() if key.split(" ", 1)[0] in dialects}
    else:
        if arguments.now.tzinfo is None:
            parser.error("--now: give an offset, e.g. 2026-03-04T14:37:12+07:00")
        demo = Demo(arguments.size, arguments.seed, arguments.now.astimezone(UTC))
    print(f"demo {demo.size}, seed {demo.seed}, now {demo.now.isoformat()}")
    found = record(dialects, demo)
    print(f"sha256 of the answers: {digest(found)}")
    if arguments.action == "record":
        arguments.path.write_text(json.dumps({"demo": demo.to_json(), "answers": found}, indent=0, sort_keys=True))
        print(f"recorded {len(found)} answers in {arguments.path}")
        return 0
    return compare(recorded, found)


if __name__ == "__main__":
    sys.exit(main())
