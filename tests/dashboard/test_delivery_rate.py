"""The delivery rate has one definition (`metrics.message_parts.delivery_rate`): the KPI strip and WhatsApp
performance show the same figure for the same messages, on SQLite and PostgreSQL, live and from snapshots."""

from __future__ import annotations

import pytest

from pantau.dashboard import kpi, whatsapp_performance
from pantau.metrics.message_parts import MessageParts, delivery_rate
from pantau.metrics.snapshots import write_snapshots
from pantau.models.enums import SnapshotType
from tests.support.builders import local
from tests.support.sections import run_section

NOW = local("2026-03-04 10:30")


def build(data) -> None:
    """Today: two delivered (one of them read), one sent, four failed, one queued, one inbound."""
    conversation = data.make_conversation(local("2026-03-04 08:00"))
    at = local("2026-03-04 08:05")
    for status in ("delivered", "read", "sent", "failed", "failed", "failed", "failed", "queued"):
        data.make_message(conversation, at, sender="agent", status=status)
    data.make_message(conversation, at, sender="customer")


@pytest.mark.parametrize("use_snapshots", [False, True])
def test_the_kpi_strip_and_whatsapp_performance_show_the_same_rate(data, connection, use_snapshots):
    build(data)
    if use_snapshots:
        write_snapshots(
            connection,
            [SnapshotType.hourly, SnapshotType.daily],
            [(local("2026-03-04 00:00"), NOW)],
            now=NOW,
            zone=NOW.tzinfo,
            sla_target_seconds=300,
        )
    strip = run_section(kpi.compute, connection, now=NOW, use_snapshots=use_snapshots)
    performance = run_section(
        whatsapp_performance.compute, connection, now=NOW, preset="today", use_snapshots=use_snapshots
    )
    # Delivered (or read) 2 of 7 attempted (sent or further, or failed); the queued and the inbound are not counted.
    assert strip["whatsappDeliveryRate"]["value"] == performance["messageFunnel"]["deliveryRate"] == 28.6


def test_the_rate_of_parts_and_of_counts():
    parts = MessageParts(outbound={"session": [8, 1, 3, 2, 1, 4]})  # total, queued, sent, delivered, read, failed
    assert parts.delivery_rate == delivery_rate(2, 7) == 28.6
    assert MessageParts().delivery_rate is None
