"""Timestamps are stored as UTC on both dialects and come back as aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from pantau.models import Conversation
from tests.support.builders import local


def test_aware_times_are_stored_in_utc_and_read_back_equal(data, connection):
    created = local("2026-03-02 07:30:00.250000")  # 00:30:00.25 UTC
    conv = data.make_conversation(created)
    stored = connection.execute(select(Conversation.created_at).where(Conversation.id == conv)).scalar_one()
    assert stored == created
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_sqlite_text_has_no_offset_and_drops_a_zero_fraction(data, connection):
    data.make_conversation(datetime(2026, 3, 2, 1, 0, tzinfo=timezone(timedelta(hours=7))), id="whole")
    data.make_conversation(datetime(2026, 3, 2, 1, 0, 0, 500, tzinfo=UTC), id="fraction")
    rows = dict(connection.execute(text("SELECT id, created_at FROM conversations")).all())
    assert rows == {"whole": "2026-03-01 18:00:00", "fraction": "2026-03-02 01:00:00.000500"}


def test_naive_times_are_taken_as_utc(data, connection):
    conv = data.make_conversation(datetime(2026, 3, 2, 1, 0))
    stored = connection.execute(select(Conversation.created_at).where(Conversation.id == conv)).scalar_one()
    assert stored == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_values_outside_an_enumeration_are_refused_by_the_database(connection, data):
    conv = data.make_conversation(local("2026-03-02 09:00"))
    with pytest.raises(IntegrityError):
        with connection.begin_nested():
            connection.execute(text("UPDATE conversations SET status = 'archived' WHERE id = :id"), {"id": conv})


def test_csat_outside_one_to_five_is_refused(connection, data):
    with pytest.raises(IntegrityError):
        with connection.begin_nested():
            data.make_conversation(local("2026-03-02 09:00"), csat_score=6)
