"""The dialect-neutral SQL expressions give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pantau.core.sql import bucket_key, epoch, local_date, percentile, seconds_between
from pantau.core.windows import resolve_window
from pantau.models import Conversation, Message
from tests.support.builders import local, utc

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_seconds_between_is_exact_to_the_microsecond(data, connection):
    conv = data.make_conversation(utc("2026-03-01 10:00:00"), inbound_at=None)
    data.make_message(conv, utc("2026-03-01 10:05:00.000001"), sender="agent")
    m = Message.__table__
    c = Conversation.__table__
    seconds = connection.execute(
        select(seconds_between(m.c.created_at, c.c.created_at)).select_from(m.join(c, m.c.conversation_id == c.c.id))
    ).scalar_one()
    assert seconds == 300.000001


def test_epoch_of_a_stored_instant(data, connection):
    data.make_conversation(utc("1970-01-02 00:00:00"))
    assert connection.execute(select(epoch(Conversation.created_at))).scalar_one() == 86400.0


def test_local_date_follows_the_zone_across_utc_midnight(data, connection):
    # 23:30 UTC on Saturday 2026-02-28 is 06:30 on Sunday 2026-03-01 in Jakarta.
    data.make_conversation(utc("2026-02-28 23:30"))
    assert connection.execute(select(local_date(Conversation.created_at, JAKARTA))).scalar_one() == "2026-03-01"


def test_local_date_in_a_dst_zone_on_the_fall_back_night(data, connection):
    new_york = ZoneInfo("America/New_York")
    data.make_conversation(utc("2026-11-01 05:30"), id="edt")  # 01:30 EDT
    data.make_conversation(utc("2026-11-01 06:30"), id="est")  # 01:30 EST, the repeated hour
    rows = connection.execute(
        select(
            Conversation.id,
            local_date(Conversation.created_at, new_york),
        ).order_by(Conversation.id)
    ).all()
    assert [tuple(r) for r in rows] == [("edt", "2026-11-01"), ("est", "2026-11-01")]


def test_percentile_interpolates_linearly_and_ignores_nulls(data, connection):
    for minute, csat in [(0, 1), (1, 2), (2, 4), (3, 5), (4, None)]:
        data.make_conversation(utc(f"2026-03-01 10:0{minute}"), csat_score=csat)
    median, p90 = connection.execute(
        select(percentile(Conversation.csat_score, 0.5), percentile(Conversation.csat_score, 0.9))
    ).one()
    assert median == 3.0
    assert round(p90, 6) == 4.7


def test_percentile_of_no_rows_is_null(connection):
    assert connection.execute(select(percentile(Conversation.csat_score, 0.5))).scalar_one() is None


def test_bucket_keys_match_the_window_buckets(data, connection):
    now = local("2026-03-04 10:30")
    today = resolve_window(now=now, zone=JAKARTA, preset="today")
    week = resolve_window(now=now, zone=JAKARTA, preset="7d")
    for moment in ["2026-03-04 00:00", "2026-03-04 00:59:59.999999", "2026-03-04 09:00", "2026-03-04 10:29"]:
        data.make_conversation(local(moment))
    data.make_conversation(local("2026-02-26 00:00"))
    hour = bucket_key(Conversation.created_at, today, "hour")
    hourly = dict(
        connection.execute(
            select(hour, func.count()).where(Conversation.created_at >= today.start).group_by(hour)
        ).all()
    )
    assert hourly == {0: 2, 9: 1, 10: 1}
    day = bucket_key(Conversation.created_at, week, "day")
    daily = dict(connection.execute(select(day, func.count()).group_by(day)).all())
    assert daily == {"2026-03-04": 4, "2026-02-26": 1}
    assert {b.key for b in week.buckets("day")} >= set(daily)
