"""The page tests' shop is valid whatever the hour it is planted at: no message sent before it was created, delivered
before it was sent or read before it was delivered, nothing after the planting moment, and so no negative queue wait
(a shop planted in the first minutes of the Jakarta day once gave "-0 dtk")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, or_, select

from pantau.dashboard import whatsapp_performance
from pantau.models import Conversation, Message
from tests.support.sections import run_section
from tests.web.shop import plant_shop
from tests.web.wide import plant_wide_shop

# Planting moments in UTC; Jakarta is UTC+7, so 17:01 UTC is 00:01 local, the first minute of a day.
PLANTED_AT = [
    datetime(2026, 3, 1, 17, 1, tzinfo=UTC),  # 00:01 local
    datetime(2026, 3, 1, 17, 20, tzinfo=UTC),  # 00:20 local
    datetime(2026, 3, 1, 19, 59, tzinfo=UTC),  # 02:59 local, just under the three hours the shop squeezes into
    datetime(2026, 3, 2, 3, 0, tzinfo=UTC),  # 10:00 local
    datetime(2026, 3, 2, 16, 59, tzinfo=UTC),  # 23:59 local
]


def out_of_order(connection, now: datetime) -> list[str]:
    messages = Message.__table__.c
    conversations = Conversation.__table__.c
    bad_messages = select(messages.id).where(
        or_(
            messages.sent_at < messages.created_at,
            messages.delivered_at < messages.sent_at,
            messages.read_at < messages.delivered_at,
            messages.read_at < messages.sent_at,
            messages.failed_at < messages.created_at,
            messages.created_at > now,
            messages.sent_at > now,
            messages.read_at > now,
        )
    )
    bad_conversations = select(conversations.id).where(
        or_(conversations.resolved_at < conversations.created_at, conversations.created_at > now)
    )
    return list(connection.scalars(bad_messages)) + list(connection.scalars(bad_conversations))


@pytest.mark.parametrize("now", PLANTED_AT, ids=lambda moment: f"{moment:%H%M}utc")
@pytest.mark.parametrize("plant", [plant_shop, plant_wide_shop], ids=["shop", "wide"])
def test_the_shop_is_in_order_and_its_queue_waits_are_not_negative_at_any_hour(data, connection, plant, now):
    plant(data, now)

    assert out_of_order(connection, now) == []
    queue = run_section(whatsapp_performance.compute, connection, now=now, default="24h")["queueMetrics"]
    assert queue["avgQueueWaitSeconds"] >= 0
    assert queue["oldestQueuedSeconds"] >= 0


def test_the_shop_counts_created_messages(data, connection):
    """The check above reads real rows: a planted shop has messages."""
    plant_shop(data, PLANTED_AT[0])

    assert connection.scalar(select(func.count()).select_from(Message)) > 100
