"""The shop's CS organisation: teams, people with shifts, who is on duty when, and their status logs."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from pantau.demo.catalog import (
    AGENT_SHIFTS,
    DEMO_EMAIL_DOMAIN,
    FAMILY_NAMES,
    FEMALE_FIRST_NAMES,
    FEMALE_SECOND_NAMES,
    MALE_FIRST_NAMES,
    MALE_SECOND_NAMES,
    OFFICE,
    TEAM_NAMES,
    Shift,
)
from pantau.demo.sizes import DemoSize
from pantau.demo.traffic import Calendar, at

HOUR = 3600.0


def person_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        first, second = FEMALE_FIRST_NAMES, FEMALE_SECOND_NAMES
    else:
        first, second = MALE_FIRST_NAMES, MALE_SECOND_NAMES
    return f"{rng.choice(first)} {rng.choice(second if rng.random() < 0.4 else FAMILY_NAMES)}"


@dataclass
class Person:
    id: str
    email: str
    full_name: str
    role: str
    team: int | None
    shift: Shift | None
    days_off: tuple[int, ...] = ()  # local weekdays, Monday = 0
    speed: float = 1.0  # multiplies how long they take to answer
    capacity: float = 1.0  # their share of the team's new chats while on duty
    left_on_day: int | None = None  # index of the calendar day they left the company
    signs_in: bool = False  # one of the printed demo sign-ins
    windows: list[tuple[float, float]] = field(default_factory=list)  # duty windows, epoch seconds

    @property
    def is_active(self) -> bool:
        return self.left_on_day is None


@dataclass(frozen=True)
class SignIn:
    role: str
    email: str


@dataclass
class Organisation:
    team_ids: list[str]
    team_names: list[str]
    people: list[Person]
    sign_ins: list[SignIn]
    roster: Roster


class Roster:
    """Who of a team is on duty at an instant, and who comes on duty next, from the people's duty windows."""

    def __init__(self, people: list[Person], teams: int, origin: float) -> None:
        self.origin = origin
        self._windows: list[list[tuple[float, float, Person]]] = [[] for _ in range(teams)]
        for person in people:
            if person.team is not None and person.capacity > 0:
                self._windows[person.team].extend((start, end, person) for start, end in person.windows)
        for windows in self._windows:
            windows.sort(key=lambda window: (window[0], window[2].id))
        self._starts = [[window[0] for window in windows] for windows in self._windows]
        # Windows overlapping each absolute hour since `origin`, so a lookup scans a handful, not a year.
        self._by_hour: list[dict[int, list[tuple[float, float, Person]]]] = []
        for windows in self._windows:
            by_hour: dict[int, list[tuple[float, float, Person]]] = {}
            for window in windows:
                for hour in range(self._hour(window[0]), self._hour(window[1]) + 1):
                    by_hour.setdefault(hour, []).append(window)
            self._by_hour.append(by_hour)

    def _hour(self, ts: float) -> int:
        return int((ts - self.origin) // HOUR)

    def assign(self, rng: random.Random, team: int, ts: float) -> tuple[Person, float]:
        """An agent for a chat arriving at `ts`, and when their duty lets them start on it (`ts` if on duty now)."""
        on_duty = [window for window in self._by_hour[team].get(self._hour(ts), ()) if window[0] <= ts < window[1]]
        starts_at = ts
        if not on_duty:
            # Nobody on shift (the small hours, a day off): the chat waits for the next one to come on duty.
            windows = self._windows[team]
            index = bisect.bisect_right(self._starts[team], ts)
            if index == len(windows):  # past the roster's end: whoever worked last picks it up a day later
                return windows[-1][2], ts + 86400
            starts_at = windows[index][0]
            on_duty = [window for window in windows[index : index + 12] if window[0] < starts_at + 600]
        person = rng.choices([window[2] for window in on_duty], [window[2].capacity for window in on_duty])[0]
        return person, starts_at


def build_organisation(rng: random.Random, size: DemoSize, calendar: Calendar) -> Organisation:
    team_ids = [f"team-{index + 1:02d}" for index in range(size.teams)]
    team_names = [TEAM_NAMES[index % len(TEAM_NAMES)] for index in range(size.teams)]
    user_ids = (f"user-{number:04d}" for number in itertools.count(1))
    emails = _EmailBook()
    people: list[Person] = []

    def add(role: str, team: int | None, shift: Shift | None, *, sign_in: bool = False, **traits) -> Person:
        name = person_name(rng)
        email = emails.sign_in(role) if sign_in else emails.for_name(name)
        person = Person(next(user_ids), email, name, role, team, shift, signs_in=sign_in, **traits)
        people.append(person)
        return person

    add("owner", None, None, sign_in=True)
    add("admin", None, None, sign_in=True)
    managers = max(1, math.ceil(size.teams / 3))
    for index in range(managers):
        # The sign-in manager looks after another team than the sign-in supervisor, so their scopes differ.
        team = (1 + 3 * index) % size.teams
        add("manager", team, OFFICE, sign_in=index == 0, days_off=(5, 6), capacity=0.0)
    per_team, extra = divmod(size.agents, size.teams)
    leavers = size.agents // 30
    for team in range(size.teams):
        # Supervisors pick up a few hard chats themselves.
        add("supervisor", team, OFFICE, sign_in=team == 0, days_off=(6,), speed=0.8, capacity=0.15)
        for slot in range(per_team + (1 if team < extra else 0)):
            demo_agent = team == 0 and slot == 0
            add(
                "agent",
                team,
                AGENT_SHIFTS[slot % len(AGENT_SHIFTS)],
                sign_in=demo_agent,
                # The sign-in agent works every day so "today" always has their chats.
                days_off=() if demo_agent else _days_off(rng),
                speed=1.0 if demo_agent else rng.lognormvariate(0, 0.3),
                capacity=1.0 if demo_agent else rng.choice((0.6, 0.9, 1.0, 1.0, 1.1, 1.4)),
            )
    agents = [person for person in people if person.role == "agent" and not person.signs_in]
    for person in rng.sample(agents, leavers):
        person.left_on_day = rng.randrange(len(calendar.days) // 3, len(calendar.days) - 1)
    for person in people:
        if person.shift is not None:
            person.windows = list(_duty_windows(rng, person, calendar))
    sign_ins = [SignIn(person.role, person.email) for person in people if person.signs_in]
    return Organisation(team_ids, team_names, people, sign_ins, Roster(people, size.teams, calendar.start_ts))


class _EmailBook:
    """first.last@demo.pantau.id, numbered on a clash; the sign-in users are role@demo.pantau.id."""

    def __init__(self) -> None:
        self._taken: dict[str, int] = {}

    def sign_in(self, role: str) -> str:
        return f"{role}@{DEMO_EMAIL_DOMAIN}"

    def for_name(self, name: str) -> str:
        local = name.lower().replace(" ", ".")
        clashes = self._taken.get(local, 0)
        self._taken[local] = clashes + 1
        return f"{local}{clashes + 1 if clashes else ''}@{DEMO_EMAIL_DOMAIN}"


def _days_off(rng: random.Random) -> tuple[int, ...]:
    """One weekday off, and on alternate rosters a weekend day too (weekends are quieter)."""
    days = [rng.randrange(5)]
    if rng.random() < 0.6:
        days.append(rng.choice((5, 6)))
    return tuple(sorted(days))


def _duty_windows(rng: random.Random, person: Person, calendar: Calendar) -> Iterator[tuple[float, float]]:
    """One window a working day, through tomorrow: a chat arriving tonight waits for tomorrow's first shift."""
    shift = person.shift
    assert shift is not None
    for index, day in enumerate([*calendar.days, calendar.today + timedelta(days=1)]):
        if person.left_on_day is not None and index >= person.left_on_day:
            return
        # 2 % sick or on leave, except the sign-in people: the demo shows them at work.
        if day.weekday() in person.days_off or (not person.signs_in and rng.random() < 0.02):
            continue
        nominal = calendar.local(day, shift.start_hour)
        lateness = rng.choice((-5, 0, 0, 0, 2, 4, 8, 15)) * 60 + rng.uniform(0, 60)
        overtime = rng.uniform(0, 20) * 60
        yield nominal + lateness, nominal + shift.hours * HOUR + overtime


def activity_rows(rng: random.Random, person: Person, calendar: Calendar, ids: Iterator[str]) -> Iterator[tuple]:
    """online/away/offline periods that follow the duty windows; the period holding `now` stays open."""
    now = calendar.now_ts

    def log(status: str, start: float, end: float) -> tuple:
        return (next(ids), person.id, status, at(start), None if end > now else at(end))

    cursor = calendar.start_ts
    for window_start, window_end in person.windows:
        if cursor < window_start:
            yield log("offline", cursor, window_start)
        for status, start, end in _inside_window(rng, window_start, window_end):
            if start > now:
                return
            yield log(status, start, end)
            if end > now:
                return
        cursor = window_end
    if cursor <= now:
        yield log("offline", cursor, math.inf)


def _inside_window(rng: random.Random, start: float, end: float) -> Iterator[tuple[str, float, float]]:
    """Online, with a lunch break in the middle and now and then a short break in the first or last quarter."""
    length = end - start
    breaks = []
    if rng.random() < 0.5:
        begin = start + length * rng.uniform(0.1, 0.2)
        breaks.append((begin, begin + rng.uniform(5, 15) * 60))
    if length >= 6 * HOUR:
        begin = start + length * rng.uniform(0.45, 0.55)
        breaks.append((begin, begin + rng.uniform(30, 60) * 60))
    if rng.random() < 0.5:
        begin = start + length * rng.uniform(0.78, 0.88)
        breaks.append((begin, begin + rng.uniform(5, 15) * 60))
    cursor = start
    for break_start, break_end in breaks:
        yield "online", cursor, break_start
        yield "away", break_start, break_end
        cursor = break_end
    yield "online", cursor, end


def user_rows(people: list[Person], team_ids: list[str], password_hash: str | None, calendar: Calendar) -> list[tuple]:
    """One row per person; accounts were opened a week apart, the owner's first, all before the period."""
    first_account = calendar.start_ts - (30 + 7 * len(people)) * 24 * HOUR
    return [
        (
            person.id,
            person.email,
            person.full_name,
            person.role,
            None if person.team is None else team_ids[person.team],
            person.is_active,
            password_hash,
            at(first_account + index * 7 * 24 * HOUR),
        )
        for index, person in enumerate(people)
    ]
