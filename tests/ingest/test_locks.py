"""`insert_all_unless_present` writes exactly the rows whose keys are new, each value as the column stores it (an
enum, an instant in another zone, a column given as null for every row), and tells which keys it inserted;
`lock_keys` holds one lock per distinct key until the transaction ends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from pantau.ingest.locks import insert_all_unless_present, lock_keys
from pantau.models import Message
from pantau.models.enums import DeliveryStatus, Direction, SenderType
from tests.support.builders import Dataset, local

pytestmark = pytest.mark.commits

_messages = Message.__table__


def _row(message_id: str, conversation_id: str, created_at: datetime, status: DeliveryStatus | None) -> dict:
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "direction": Direction.outbound,
        "sender_type": SenderType.bot,
        "sender_id": None,
        "whatsapp_message_id": f"wamid.{message_id}",
        "created_at": created_at,
        "status": status,
        "sent_at": None,
    }


def test_only_new_keys_are_inserted_with_their_values(ingest_engine):
    with ingest_engine.begin() as connection:
        conversation = Dataset(connection).make_conversation(local("2026-03-02 09:00"), inbound_at=None, id="c-1")
        insert_all_unless_present(
            connection, _messages, [_row("m-1", conversation, local("2026-03-02 09:01"), DeliveryStatus.sent)], "id"
        )
    with ingest_engine.begin() as connection:
        inserted = insert_all_unless_present(
            connection,
            _messages,
            [
                _row("m-3", conversation, local("2026-03-02 09:03"), DeliveryStatus.read),
                _row("m-1", conversation, local("2026-03-02 09:09"), DeliveryStatus.failed),
                _row("m-2", conversation, local("2026-03-02 09:02"), None),
            ],
            "id",
        )
    assert inserted == {"m-2", "m-3"}
    assert insert_all_unless_present(ingest_engine.connect(), _messages, [], "id") == set()
    with ingest_engine.connect() as connection:
        found = connection.execute(
            select(
                _messages.c.id,
                _messages.c.direction,
                _messages.c.sender_type,
                _messages.c.sender_id,
                _messages.c.whatsapp_message_id,
                _messages.c.created_at,
                _messages.c.status,
                _messages.c.sent_at,
            ).order_by(_messages.c.id)
        ).all()
    bot = (Direction.outbound, SenderType.bot, None)
    assert [tuple(row) for row in found] == [
        ("m-1", *bot, "wamid.m-1", datetime(2026, 3, 2, 2, 1, tzinfo=UTC), "sent", None),
        ("m-2", *bot, "wamid.m-2", datetime(2026, 3, 2, 2, 2, tzinfo=UTC), None, None),
        ("m-3", *bot, "wamid.m-3", datetime(2026, 3, 2, 2, 3, tzinfo=UTC), "read", None),
    ]


def test_a_value_longer_than_its_column_is_refused_not_cut_short(ingest_engine):
    if ingest_engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not hold a VARCHAR to its length")
    with ingest_engine.begin() as connection:
        conversation = Dataset(connection).make_conversation(local("2026-03-02 09:00"), inbound_at=None, id="c-1")
    too_long = _row("m-1", conversation, local("2026-03-02 09:01"), None) | {"whatsapp_message_id": "w" * 256}
    with pytest.raises(DBAPIError, match="too long"), ingest_engine.begin() as connection:
        insert_all_unless_present(connection, _messages, [too_long], "id")
    with ingest_engine.connect() as connection:
        assert connection.execute(select(_messages.c.id)).all() == []


def test_lock_keys_holds_one_lock_per_key_until_the_transaction_ends(ingest_engine):
    if ingest_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock covers every key: lock_keys takes none")
    advisory = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
    with ingest_engine.begin() as connection:
        lock_keys(connection, ["message:m-2", "conversation:c-1", "message:m-2", "message:m-1"])
        assert connection.execute(advisory).scalar() == 3
    with ingest_engine.connect() as connection:
        assert connection.execute(advisory).scalar() == 0
