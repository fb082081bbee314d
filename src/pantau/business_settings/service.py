"""The settings in force: the environment's, with the values the business saved over them (SPEC §8.5).

`effective_settings` is the one accessor every figure reads its SLA target, peak hours, money settings and business
hours through; a request (or a run) calls it once and passes the result on. `change_settings` checks every value
before it writes any, writes them with one audit entry per key that changed (who, key, before, after), and commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, delete, false, func, insert, select
from sqlalchemy.orm import Session

from pantau.audit import service as audit
from pantau.business_settings.keys import KEYS, SettingRefused, checked, known_key, structured, with_values
from pantau.core.config import Settings
from pantau.models import BusinessSetting, User

log = logging.getLogger("pantau.settings")

business_settings = BusinessSetting.__table__
users = User.__table__

CHANGE_ACTION = "settings:change"
# PostgreSQL advisory lock of settings changes (apart from the aggregation's 7_461_00x and ingest's 8_100_001 space).
SETTINGS_LOCK_ID = 7_462_000
# What a change asks for to put a key back to the environment's value.
RESET = None


@dataclass(frozen=True)
class Saved:
    value: object  # structured, as stored
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True)
class SettingView:
    key: str
    value: Any  # as the settings hold it
    source: Literal["database", "environment"]  # saved by the business, or the default
    updated_at: datetime | None
    updated_by: str | None  # the e-mail of who saved it


@dataclass(frozen=True)
class SettingChange:
    key: str
    before: object  # structured
    after: object


def saved_settings(connection: Connection) -> dict[str, Saved]:
    rows = connection.execute(
        select(business_settings.c.key, business_settings.c.value, business_settings.c.updated_at, users.c.email)
        .select_from(business_settings.outerjoin(users, users.c.id == business_settings.c.updated_by))
        .where(business_settings.c.key.in_(list(KEYS)))
    )
    return {row.key: Saved(row.value, row.updated_at, row.email) for row in rows}


def _saved_values(base: Settings, saved: dict[str, Saved]) -> dict[str, Any]:
    values = {}
    for key, row in saved.items():
        try:
            values[key] = checked(base, key, row.value)
        except SettingRefused as exc:
            # Written around Pantau (by hand in the database): the environment's value stands, and the log says why.
            log.warning("the saved setting %s is ignored: %s", key, exc.detail)
    return values


def effective_settings(connection: Connection, base: Settings) -> Settings:
    """The settings in force now: `base` (the environment's) with the saved values over it."""
    return with_values(base, _saved_values(base, saved_settings(connection)))


def describe_settings(connection: Connection, base: Settings) -> list[SettingView]:
    saved = saved_settings(connection)
    effective = with_values(base, _saved_values(base, saved))
    views = []
    for key in KEYS:
        row = saved.get(key)
        if row is not None and structured(key, getattr(effective, key)) != row.value:
            row = None  # saved, but not in force
        in_force = row is not None
        views.append(
            SettingView(
                key=key,
                value=getattr(effective, key),
                source="database" if in_force else "environment",
                updated_at=None if row is None else row.updated_at,
                updated_by=None if row is None else row.updated_by,
            )
        )
    return views


def check_changes(base: Settings, changes: dict[str, object]) -> dict[str, tuple[bool, Any]]:
    """key -> (saved, the value as the settings hold it), every value checked (SettingRefused for the first bad one);
    RESET (back to the environment's) is not saved."""
    if not changes:
        raise SettingRefused("settings", f"name at least one setting to change: {', '.join(KEYS)}")
    return {
        known_key(key).name: (False, None) if value is RESET else (True, checked(base, key, value))
        for key, value in changes.items()
    }


def _take_the_writers_turn(session: Session) -> None:
    """Changes take turns, so the values read as "before" are the ones a change replaces and two changes of one key
    never both insert it: on PostgreSQL an advisory lock held to the end of the transaction; on SQLite the database's
    write lock, taken by a first statement that writes (and changes nothing), see `write_apart`."""
    if session.connection().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(SETTINGS_LOCK_ID)))
    else:
        session.execute(delete(business_settings).where(false()))


def change_settings(
    session: Session,
    base: Settings,
    changes: dict[str, object],
    *,
    user_id: str | None,
    address: str,
    now: datetime,
) -> list[SettingChange]:
    """Save the changes (a value, or None: back to the environment's) and audit each key whose value in force
    changed; committed. Raises SettingRefused, writing nothing, when any value is bad."""
    values = check_changes(base, changes)
    session.commit()
    _take_the_writers_turn(session)
    before = effective_settings(session.connection(), base)
    done = []
    for key, (saved, value) in values.items():
        session.execute(delete(business_settings).where(business_settings.c.key == key))
        if saved:
            session.execute(
                insert(business_settings).values(
                    key=key, value=structured(key, value), updated_at=now, updated_by=user_id
                )
            )
    after = effective_settings(session.connection(), base)
    for key in values:
        old, new = structured(key, getattr(before, key)), structured(key, getattr(after, key))
        if old != new:
            done.append(SettingChange(key, old, new))
            session.execute(
                audit.entry(
                    user_id=user_id,
                    action=CHANGE_ACTION,
                    parameters={"key": key, "before": old, "after": new},
                    address=address,
                    at=now,
                )
            )
    session.commit()
    return done
