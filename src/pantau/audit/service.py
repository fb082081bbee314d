"""The audit log: who read (or changed) what, when, with which parameters, from where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, func, insert, select
from sqlalchemy.orm import Session

from pantau.core import clock
from pantau.core.database import write_apart
from pantau.models import AuditLogEntry, User

audit_log = AuditLogEntry.__table__
users = User.__table__


def record(session: Session, *, user_id: str, action: str, parameters: dict, address: str) -> None:
    """Write one entry, committed before the caller's answer leaves (no answer goes out without its entry), in a
    transaction of its own that begins by writing (see `write_apart`)."""
    write_apart(session, entry(user_id=user_id, action=action, parameters=parameters, address=address))


def entry(*, user_id: str | None, action: str, parameters: dict, address: str, at: datetime | None = None) -> Insert:
    """The statement that writes one entry, for a caller that writes it inside a transaction of its own."""
    return insert(audit_log).values(
        user_id=user_id, action=action, parameters=parameters, address=address, created_at=at or clock.now()
    )


def entries(session: Session, *, action: str | None, user_id: str | None, limit: int, offset: int) -> tuple[int, list]:
    """The newest entries first, with the reader's e-mail, and how many match in all."""
    conditions = []
    if action is not None:
        conditions.append(audit_log.c.action == action)
    if user_id is not None:
        conditions.append(audit_log.c.user_id == user_id)
    total = session.execute(select(func.count()).select_from(audit_log).where(*conditions)).scalar_one()
    rows = (
        session.execute(
            select(audit_log, users.c.email)
            .select_from(audit_log.outerjoin(users, users.c.id == audit_log.c.user_id))
            .where(*conditions)
            .order_by(audit_log.c.created_at.desc(), audit_log.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        .mappings()
        .all()
    )
    return total, list(rows)
