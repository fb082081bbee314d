"""Request dependencies: the settings (the environment's, and those in force) and a database session, from the app
they run in.

Dependencies that do no I/O are `async def`: they run on the event loop instead of taking a worker thread each.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from pantau.business_settings.service import effective_settings
from pantau.core.config import Settings
from pantau.core.database import release_connection
from pantau.core.replica import Reads


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler returns without error."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# Function scope: the commit happens before the response leaves, so a client that follows a redirect (or reads what
# it just wrote) never finds the write missing, and a failed commit is an error response, not a silent loss.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def request_epoch(request: Request) -> int | None:
    """The credentials epoch (`pantau.auth.credential_cache`) as this request first read it, read once per request
    and before anything it guards is looked up; None when nothing may be remembered (no Redis, or Redis silent)."""
    if "pantau_epoch" not in request.scope:
        memo = getattr(request.app.state, "credentials", None)
        request.scope["pantau_epoch"] = memo.epoch() if memo is not None else None
    return request.scope["pantau_epoch"]


async def get_reads(request: Request, session: DbSession) -> Reads:
    """Where the request's figures are read: the replica's connections when one is set and keeps up, else the
    request's own session. Who is calling, audit rows and every other write stay on `session` (the primary)."""
    return Reads(session, request.app.state.reads)


# For what reads figures (sections, drill-down lists, exports, summaries).
ReadsDep = Annotated[Reads, Depends(get_reads)]


def get_effective_settings(request: Request, session: DbSession) -> Settings:
    """The settings in force for this request: the environment's with the business's saved values over them (SPEC
    §8.5); remembered for a few seconds while the credentials epoch stands (any write to them bumps it), else read,
    the connection going back before the handler runs."""
    memo = getattr(request.app.state, "credentials", None)
    epoch = request_epoch(request)
    if memo is not None and epoch is not None:
        remembered = memo.settings(epoch)
        if remembered is not None:
            return remembered
    settings = effective_settings(session.connection(), request.app.state.settings)
    release_connection(session)
    if memo is not None and epoch is not None:
        memo.remember_settings(epoch, settings)
    return settings


def remembered_settings(request: Request) -> tuple[int, Settings] | None:
    """The settings in force as this process last read them, with the credentials epoch of that read (not checked
    here, as for `pantau.auth.dependencies.remembered_caller`); None when nothing is remembered."""
    memo = getattr(request.app.state, "credentials", None)
    return None if memo is None else memo.peek_settings()


# For what computes figures: the SLA target, peak hours, money settings and business hours in force.
EffectiveSettingsDep = Annotated[Settings, Depends(get_effective_settings)]
