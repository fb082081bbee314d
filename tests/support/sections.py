"""Running a dashboard section directly on the test's connection, as a given scope, at a fixed `now`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from pantau.auth.scope import Scope
from pantau.core.config import Settings
from pantau.core.windows import resolve_window
from pantau.dashboard.context import SectionContext
from pantau.dashboard.router import SECTIONS
from pantau.models.enums import Role

ORGANISATION = Scope(level="all", role=Role.owner, user_id="owner")


def team_scope(team_id: str, user_id: str = "supervisor") -> Scope:
    return Scope(level="team", role=Role.supervisor, user_id=user_id, team_ids=(team_id,))


def own_scope(user_id: str) -> Scope:
    return Scope(level="own", role=Role.agent, user_id=user_id)


def run_section(
    compute,
    connection: Connection,
    *,
    now: datetime,
    scope: Scope = ORGANISATION,
    preset: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    default: str = "today",
    zone: str = "Asia/Jakarta",
    use_snapshots: bool = True,
    **setting_overrides,
) -> dict:
    """The section's JSON (camelCase keys), exactly as the API would send it."""
    settings = Settings(_env_file=None, timezone=zone, **setting_overrides)
    window = resolve_window(
        now=now, zone=ZoneInfo(zone), preset=preset, start_date=start_date, end_date=end_date, default=default
    )
    ctx = SectionContext(
        connection=connection, scope=scope, window=window, settings=settings, use_snapshots=use_snapshots
    )
    return compute(ctx).model_dump(mode="json")


# The sections' names, from the registry the app serves (pinned to SPEC §5 in tests/dashboard/test_section_registry.py),
# in the page's order: every section, those with a range, those only management roles may open, those an agent sees.
EVERY_SECTION = list(SECTIONS)
RANGED_SECTIONS = [name for name, section in SECTIONS.items() if section.ranged]
MANAGEMENT_SECTIONS = [name for name, section in SECTIONS.items() if section.management]
AGENT_SECTIONS = [name for name, section in SECTIONS.items() if not section.management]
