"""The business time of a first response (SPEC §8.5): only the seconds inside business hours (per weekday, local to
TIMEZONE, range end excluded, 24:00 the end of the day) and outside holidays (whole local dates), between s0 and the
first agent message. Counted by the calendar in Python, and by the database for each conversation, on SQLite and
PostgreSQL: both must agree to the microsecond."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import select

from pantau.core.business_time import business_calendar, parse_business_hours, parse_holidays
from pantau.core.config import Settings
from pantau.metrics.facts import conversation_facts, conversations
from pantau.metrics.parts import sla_response_seconds
from tests.support.builders import local

# Monday to Friday 08:00-17:00, Saturday evening until midnight; Tuesday 10 March 2026 is a holiday.
HOURS = "mon-fri 08:00-17:00; sat 18:00-24:00"
HOLIDAYS = "2026-03-10"
JAKARTA = business_calendar("Asia/Jakarta", parse_business_hours(HOURS), parse_holidays(HOLIDAYS))

CASES = {
    # Written at 23:00 on Monday, answered at 08:04 on Tuesday: only the 4 minutes after opening count.
    "across-a-night": ("2026-03-02 23:00", "2026-03-03 08:04", 240),
    "inside-one-range": ("2026-03-04 09:00", "2026-03-04 09:03:20", 200),
    "started-before-opening": ("2026-03-04 07:30", "2026-03-04 08:02", 120),
    "across-closing-time": ("2026-03-04 16:55", "2026-03-04 17:30", 300),
    # Saturday 23:59 to Monday 08:01: the last minute of Saturday's range (it ends at 24:00), Sunday has none.
    "across-a-weekend": ("2026-03-07 23:59", "2026-03-09 08:01", 120),
    "range-ending-at-midnight": ("2026-03-07 23:30", "2026-03-08 00:30", 1800),
    # Monday 16:00 to Wednesday 08:10 across Tuesday's holiday: an hour on Monday, ten minutes on Wednesday.
    "across-a-holiday": ("2026-03-09 16:00", "2026-03-11 08:10", 4200),
    "inside-a-holiday": ("2026-03-10 09:00", "2026-03-10 12:00", 0),
    "wholly-outside-business-hours": ("2026-03-04 18:00", "2026-03-04 19:00", 0),
    "fractions-of-a-second": ("2026-03-04 16:59:59.250000", "2026-03-05 08:00:00.500000", 1.25),
}


@pytest.mark.parametrize("case", CASES)
def test_the_calendar_counts_business_seconds(case):
    start, answered, expected = CASES[case]
    assert JAKARTA.business_seconds(local(start), local(answered)) == expected


def test_a_time_zone_other_than_utc_counts_the_local_day():
    """In Asia/Tokyo (+09:00), 23:30 on Tuesday is 14:30 UTC and 08:10 on Wednesday is 23:10 UTC on Tuesday: the
    business hours and the holiday are those of the local days, not the UTC ones."""
    tokyo = business_calendar("Asia/Tokyo", parse_business_hours("mon-fri 08:00-17:00"), parse_holidays("2026-03-05"))
    written, answered = local("2026-03-03 23:30", "Asia/Tokyo"), local("2026-03-04 08:10", "Asia/Tokyo")
    assert answered.astimezone(UTC).date() == written.astimezone(UTC).date()
    assert tokyo.business_seconds(written, answered) == 600
    # Thursday 5 March, a holiday in Tokyo, starts at 15:00 UTC on Wednesday.
    assert tokyo.business_seconds(local("2026-03-04 16:00", "Asia/Tokyo"), local("2026-03-06 08:01", "Asia/Tokyo")) == (
        3600 + 60
    )


def test_without_business_hours_there_is_no_calendar():
    assert business_calendar("Asia/Jakarta", {}, parse_holidays(HOLIDAYS)) is None
    assert Settings(_env_file=None, holidays=HOLIDAYS).business_calendar is None
    settings = Settings(_env_file=None, business_hours=HOURS, holidays=HOLIDAYS)
    assert settings.business_calendar == JAKARTA


def test_the_calendar_key_reads_back():
    assert type(JAKARTA).from_key(JAKARTA.key) == JAKARTA
    assert JAKARTA.key == "Asia/Jakarta|mon-fri 08:00-17:00; sat 18:00-24:00|2026-03-10"


def test_the_database_counts_each_first_response_as_the_calendar_does(data, connection):
    """Every case above as a conversation, and two in Asia/Tokyo: the business time the database gives each is the
    calendar's, exactly, on SQLite and PostgreSQL."""
    expected = {}
    for case, (start, answered, seconds) in CASES.items():
        data.make_answered_conversation(
            local(start), (local(answered) - local(start)).total_seconds(), id=f"conv-{case}"
        )
        expected[f"conv-{case}"] = seconds
    facts = conversation_facts(conversations.c.id.in_(list(expected)))
    rows = connection.execute(select(facts.c.id, sla_response_seconds(facts, JAKARTA))).all()
    assert {row[0]: float(row[1]) for row in rows} == expected


def test_the_database_reads_the_local_day_of_another_time_zone(data, connection):
    tokyo = business_calendar("Asia/Tokyo", parse_business_hours("mon-fri 08:00-17:00"), parse_holidays("2026-03-05"))
    written = local("2026-03-03 23:30", "Asia/Tokyo")
    data.make_answered_conversation(written, 8 * 3600 + 40 * 60, id="tokyo-night")
    holiday_eve = local("2026-03-04 16:00", "Asia/Tokyo")
    data.make_answered_conversation(
        holiday_eve, (local("2026-03-06 08:01", "Asia/Tokyo") - holiday_eve).total_seconds(), id="tokyo-holiday"
    )
    facts = conversation_facts(conversations.c.id.in_(["tokyo-night", "tokyo-holiday"]))
    rows = dict(connection.execute(select(facts.c.id, sla_response_seconds(facts, tokyo))).all())
    assert {key: float(value) for key, value in rows.items()} == {"tokyo-night": 600, "tokyo-holiday": 3660}


def test_escalation_starts_the_business_clock(data, connection):
    """s0 is `escalated_at` when set: a conversation written on Friday evening, escalated at 08:00 on Monday,
    answered at 08:03, waited 180 business seconds."""
    conversation = data.make_conversation(local("2026-03-06 19:00"), escalated_at=local("2026-03-09 07:59"))
    data.make_message(conversation, local("2026-03-09 08:03"), sender="agent")
    facts = conversation_facts(conversations.c.id == conversation)
    assert float(connection.execute(select(sla_response_seconds(facts, JAKARTA))).scalar_one()) == 180
