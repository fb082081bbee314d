"""A delivery status for an outbound message, from the webhook or the events API (SPEC §8.1).

Statuses arrive out of order and more than once. The first time a kind is seen fills its timestamp (`sent_at`,
`delivered_at`, `read_at`, `failed_at`); `status` is the highest seen, read > delivered > failed > sent > queued, so a
late `sent` never lowers a `read`. The rule is one UPDATE evaluated by the database on the row as it is at that
moment: two statuses of one message applied at once cannot undo each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.expression import ColumnElement, Update

from pantau.models import Message
from pantau.models.enums import DeliveryStatus

RANK = {
    DeliveryStatus.queued: 0,
    DeliveryStatus.sent: 1,
    DeliveryStatus.failed: 2,
    DeliveryStatus.delivered: 3,
    DeliveryStatus.read: 4,
}

_messages = Message.__table__
_TIMESTAMP = {
    DeliveryStatus.sent: _messages.c.sent_at,
    DeliveryStatus.delivered: _messages.c.delivered_at,
    DeliveryStatus.read: _messages.c.read_at,
    DeliveryStatus.failed: _messages.c.failed_at,
}


@dataclass(frozen=True)
class DeliveryReport:
    """One status of one message: when it was reached, and what came with it."""

    status: DeliveryStatus
    at: datetime
    error_code: int | None = None
    error_title: str | None = None
    pricing_category: str | None = None
    billable: bool | None = None


def _rank(status: ColumnElement) -> ColumnElement[int]:
    return case({value.value: rank for value, rank in RANK.items()}, value=status, else_=-1)


def record_delivery(
    connection: Connection, message_id: str | None, report: DeliveryReport, *, whatsapp_message_id: str | None = None
) -> bool:
    """Apply the report to the message (by its id, or by its WhatsApp id); True when it changed anything (a repeat
    changes nothing, and so does a message not known)."""
    status = _messages.c.status
    raises_status = _rank(status) < RANK[report.status]
    values: dict = {status: case((raises_status, literal(report.status, status.type)), else_=status)}
    changes = [raises_status]
    timestamp = _TIMESTAMP.get(report.status)
    if timestamp is not None:
        values[timestamp] = func.coalesce(timestamp, literal(report.at, timestamp.type))
        changes.append(timestamp.is_(None))
    if report.status is DeliveryStatus.failed:
        # The first failure's error is the one kept, like its time.
        for column, value in (
            (_messages.c.error_code, report.error_code),
            (_messages.c.error_title, report.error_title),
        ):
            if value is not None:
                values[column] = func.coalesce(column, literal(value, column.type))
                changes.append(column.is_(None))
    for column, value in (
        (_messages.c.pricing_category, report.pricing_category),
        (_messages.c.billable, report.billable),
    ):
        if value is not None:
            values[column] = value
            changes.append(column.is_distinct_from(value))
    target = (
        _messages.c.id == message_id
        if message_id is not None
        else _messages.c.whatsapp_message_id == whatsapp_message_id
    )
    result = connection.execute(update(_messages).where(target, or_(*changes)).values(values))
    return result.rowcount > 0


# The columns of the reports `record_deliveries` writes, each sent as one array.
_REPORTED = {
    "position": Integer,
    "wamid": String,
    "status": String,
    "rank": Integer,
    "at": DateTime(timezone=True),
    "error_code": Integer,
    "error_title": String,
    "pricing_category": String,
    "billable": Boolean,
}


def _record_deliveries_statement() -> Update:
    """`record_delivery`'s rule for rows of reports unnested from arrays (PostgreSQL): built once, its text the same
    whatever the reports."""
    reported = (
        func.unnest(*(bindparam(f"reported_{name}", type_=ARRAY(kind)) for name, kind in _REPORTED.items()))
        .table_valued(*(column(name, kind) for name, kind in _REPORTED.items()))
        .render_derived(name="reported")
    )
    status = _messages.c.status
    raises_status = _rank(status) < reported.c.rank
    new_values: dict = {status: case((raises_status, reported.c.status), else_=status)}
    changes = [raises_status]
    for kind, timestamp in _TIMESTAMP.items():
        is_kind = reported.c.status == kind.value
        new_values[timestamp] = case((is_kind, func.coalesce(timestamp, reported.c.at)), else_=timestamp)
        changes.append(and_(is_kind, timestamp.is_(None)))
    for target, reported_value in (
        (_messages.c.error_code, cast(reported.c.error_code, Integer)),
        (_messages.c.error_title, cast(reported.c.error_title, String)),
    ):
        # The first failure's error is the one kept, like its time.
        fills = and_(reported.c.status == DeliveryStatus.failed.value, reported_value.is_not(None))
        new_values[target] = case((fills, func.coalesce(target, reported_value)), else_=target)
        changes.append(and_(fills, target.is_(None)))
    for target, reported_value in (
        (_messages.c.pricing_category, cast(reported.c.pricing_category, String)),
        (_messages.c.billable, cast(reported.c.billable, Boolean)),
    ):
        new_values[target] = func.coalesce(reported_value, target)
        changes.append(and_(reported_value.is_not(None), target.is_distinct_from(reported_value)))
    return (
        update(_messages)
        .where(_messages.c.whatsapp_message_id == reported.c.wamid, or_(*changes))
        .values(new_values)
        .returning(reported.c.position)
    )


_RECORD_DELIVERIES = _record_deliveries_statement()


def record_deliveries(connection: Connection, reports: list[tuple[str, DeliveryReport]]) -> list[bool]:
    """`record_delivery` by WhatsApp id for each (wamid, report), the wamids all different (so the order they are
    applied in does not matter): which changed their message. On PostgreSQL one UPDATE for all of them, each row
    held to exactly the rule `record_delivery` applies; elsewhere one after the other."""
    if connection.dialect.name != "postgresql" or len(reports) < 2:
        return [record_delivery(connection, None, report, whatsapp_message_id=wamid) for wamid, report in reports]
    arrays = {
        "position": list(range(len(reports))),
        "wamid": [wamid for wamid, _ in reports],
        "status": [report.status.value for _, report in reports],
        "rank": [RANK[report.status] for _, report in reports],
        "at": [report.at for _, report in reports],
        "error_code": [report.error_code for _, report in reports],
        "error_title": [report.error_title for _, report in reports],
        "pricing_category": [report.pricing_category for _, report in reports],
        "billable": [report.billable for _, report in reports],
    }
    changed = connection.execute(_RECORD_DELIVERIES, {f"reported_{name}": found for name, found in arrays.items()})
    positions = set(changed.scalars())
    return [position in positions for position in range(len(reports))]
