"""Customer load (SPEC §5.4): each figure on a hand-built dataset, on SQLite and PostgreSQL.

`now` is Wednesday 2026-03-04 10:30 in Jakarta (UTC+7); the default range is the 24 hours before it.
"""

from __future__ import annotations

from datetime import timedelta

from pantau.dashboard import customer_load
from tests.support.builders import local
from tests.support.sections import ORGANISATION, own_scope, run_section, team_scope

NOW = local("2026-03-04 10:30")
WEDNESDAY, THURSDAY, SUNDAY, SATURDAY = 3, 4, 0, 6


def run(connection, **kwargs):
    return run_section(customer_load.compute, connection, now=NOW, default="24h", **kwargs)


def incoming_counts(result) -> dict[str, int]:
    """The buckets that received conversations, by their local start."""
    return {b["timestamp"]: b["count"] for b in result["incomingChatsPerHour"] if b["count"]}


def busy_cells(result) -> dict[tuple[int, int], int]:
    return {(c["dayOfWeek"], c["hour"]): c["count"] for c in result["heatmap"] if c["count"]}


def answered(data, created_at, seconds, **conversation):
    conv = data.make_conversation(created_at, **conversation)
    data.make_message(conv, created_at + timedelta(seconds=seconds), sender="agent")
    return conv


def test_empty_range_gives_zero_buckets_and_nulls(connection):
    result = run(connection)
    buckets = result["incomingChatsPerHour"]
    # 24 h from 03-03 10:30: the hour buckets from 03-03 10:00 through 03-04 10:00.
    assert len(buckets) == 25
    assert buckets[0] == {"timestamp": "2026-03-03T10:00:00+07:00", "hour": "10:00", "count": 0}
    assert buckets[-1] == {"timestamp": "2026-03-04T10:00:00+07:00", "hour": "10:00", "count": 0}
    assert result["peakHour"] is None
    assert result["newVsReturning"] == {"new": 0, "returning": 0, "percentageReturning": None}
    assert result["avgWaitTime"] == {
        "peak": None,
        "offPeak": None,
        "peakHours": [{"start": 9, "end": 12}, {"start": 14, "end": 17}],
    }
    assert len(result["heatmap"]) == 168
    assert result["heatmap"][0] == {"dayOfWeek": 0, "hour": 0, "count": 0}
    assert result["heatmap"][-1] == {"dayOfWeek": 6, "hour": 23, "count": 0}
    assert result["nextPeakForecast"] is None
    assert result["range"]["start"] == "2026-03-03T10:30:00+07:00"
    assert result["generatedAt"] == "2026-03-04T10:30:00+07:00"


def test_incoming_chats_are_counted_per_local_hour_inside_the_range(data, connection):
    data.make_conversation(local("2026-03-03 10:29:59"))  # before the range
    data.make_conversation(local("2026-03-03 10:30"))
    data.make_conversation(local("2026-03-03 10:59"))
    data.make_conversation(local("2026-03-04 09:15"))
    data.make_conversation(local("2026-03-04 10:29:59"))
    result = run(connection)
    assert incoming_counts(result) == {
        "2026-03-03T10:00:00+07:00": 2,
        "2026-03-04T09:00:00+07:00": 1,
        "2026-03-04T10:00:00+07:00": 1,
    }
    assert result["incomingChatsPerHour"][23] == {"timestamp": "2026-03-04T09:00:00+07:00", "hour": "09:00", "count": 1}


def test_peak_hour_is_the_busiest_bucket_and_the_earliest_of_equals(data, connection):
    for at in ["2026-03-03 15:10", "2026-03-03 15:50", "2026-03-04 08:00", "2026-03-04 08:59", "2026-03-04 09:00"]:
        data.make_conversation(local(at))
    assert run(connection)["peakHour"] == {"timestamp": "2026-03-03T15:00:00+07:00", "hour": "15:00", "count": 2}


def test_ranges_over_seven_days_use_local_day_buckets_from_midnight_to_midnight(data, connection):
    for at in [
        "2026-02-19 23:59:59",
        "2026-02-20 00:00",
        "2026-02-28 23:59:59",
        "2026-03-01 00:00",
        "2026-03-01 23:59:59",
        "2026-03-02 00:00",
    ]:
        data.make_conversation(local(at))
    result = run(connection, start_date="2026-02-20", end_date="2026-03-01")
    buckets = result["incomingChatsPerHour"]
    assert len(buckets) == 10
    assert buckets[0] == {"timestamp": "2026-02-20T00:00:00+07:00", "hour": "00:00", "count": 1}
    assert incoming_counts(result) == {
        "2026-02-20T00:00:00+07:00": 1,
        "2026-02-28T00:00:00+07:00": 1,
        "2026-03-01T00:00:00+07:00": 2,
    }
    assert result["peakHour"] == {"timestamp": "2026-03-01T00:00:00+07:00", "hour": "00:00", "count": 2}


def test_seven_days_still_use_hour_buckets(data, connection):
    data.make_conversation(local("2026-03-01 17:20"))
    result = run(connection, start_date="2026-02-23", end_date="2026-03-01")
    assert len(result["incomingChatsPerHour"]) == 7 * 24
    assert incoming_counts(result) == {"2026-03-01T17:00:00+07:00": 1}


def test_returning_contacts_had_a_conversation_before_the_range(data, connection):
    regular, repeat, at_start, lapsed, just_before = (data.make_contact() for _ in range(5))
    data.make_conversation(local("2026-03-01 10:00"), contact=regular)
    data.make_conversation(local("2026-03-04 09:00"), contact=regular)
    data.make_conversation(local("2026-03-03 12:00"), contact=repeat)  # two in range, none before: new, once
    data.make_conversation(local("2026-03-04 08:00"), contact=repeat)
    data.make_conversation(local("2026-03-03 10:30"), contact=at_start)  # the range's first instant: new
    data.make_conversation(local("2026-02-01 10:00"), contact=lapsed)  # nothing in range: not counted
    data.make_conversation(local("2026-03-03 10:29:59"), contact=just_before)
    data.make_conversation(local("2026-03-04 10:00"), contact=just_before)
    assert run(connection)["newVsReturning"] == {"new": 2, "returning": 2, "percentageReturning": 50.0}


def test_a_new_contact_counts_once_even_with_two_conversations_at_the_same_instant(data, connection):
    twin, later = data.make_contact(), data.make_contact()
    data.make_conversation(local("2026-03-04 09:00"), contact=twin, id="twin-b")
    data.make_conversation(local("2026-03-04 09:00"), contact=twin, id="twin-a")
    data.make_conversation(local("2026-03-04 11:00"), contact=later)  # after now, so outside the range
    assert run(connection)["newVsReturning"] == {"new": 1, "returning": 0, "percentageReturning": 0.0}


def test_returning_is_judged_inside_the_scope(data, connection):
    """A contact seen before only by another team is new to this team."""
    team_a, team_b = data.make_team("A"), data.make_team("B")
    moved = data.make_contact()
    data.make_conversation(local("2026-03-01 10:00"), contact=moved, team=team_b)
    data.make_conversation(local("2026-03-04 09:00"), contact=moved, team=team_a)
    expected = {
        team_a: {"new": 1, "returning": 0, "percentageReturning": 0.0},
        None: {"new": 0, "returning": 1, "percentageReturning": 100.0},
    }
    assert run(connection, scope=team_scope(team_a))["newVsReturning"] == expected[team_a]
    assert run(connection, scope=ORGANISATION)["newVsReturning"] == expected[None]


def test_avg_wait_time_splits_the_cohort_by_the_local_hour_it_was_created_in(data, connection):
    answered(data, local("2026-03-04 09:00"), 60)  # peak
    answered(data, local("2026-03-03 11:59"), 120)  # peak
    answered(data, local("2026-03-03 12:00"), 300)  # 12:00 ends the first peak span: off-peak
    answered(data, local("2026-03-04 08:59"), 100)  # off-peak
    assert run(connection)["avgWaitTime"] == {
        "peak": 90.0,
        "offPeak": 200.0,
        "peakHours": [{"start": 9, "end": 12}, {"start": 14, "end": 17}],
    }


def test_avg_wait_time_leaves_out_unanswered_and_bot_only_conversations(data, connection):
    answered(data, local("2026-03-04 10:00"), 30)
    data.make_conversation(local("2026-03-04 10:00"))  # unanswered, older than the SLA target
    data.make_conversation(local("2026-03-04 10:28"))  # unanswered, younger than the SLA target
    data.make_conversation(local("2026-03-04 10:00"), handled_by_bot=True)  # bot-only: needs no human
    escalated = data.make_conversation(
        local("2026-03-04 09:30"), handled_by_bot=True, escalated_at=local("2026-03-04 09:50")
    )
    data.make_message(escalated, local("2026-03-04 09:51"), sender="agent")  # 60 s after the hand-off
    assert run(connection)["avgWaitTime"]["peak"] == 45.0
    assert run(connection)["avgWaitTime"]["offPeak"] is None


def test_avg_wait_time_follows_the_peak_hours_setting(data, connection):
    answered(data, local("2026-03-04 08:59"), 100)
    answered(data, local("2026-03-04 09:00"), 60)
    result = run(connection, peak_hours=[(8, 9)])["avgWaitTime"]
    assert result == {"peak": 100.0, "offPeak": 60.0, "peakHours": [{"start": 8, "end": 9}]}


def test_heatmap_of_a_short_range_covers_the_last_seven_local_days(data, connection):
    data.make_conversation(local("2026-03-04 09:00"))
    data.make_conversation(local("2026-02-26 00:00"))  # the 7-day window's first instant
    data.make_conversation(local("2026-02-25 23:59:59"))  # just before it
    data.make_conversation(local("2026-03-01 05:00"))  # Sunday in Jakarta, still Saturday in UTC
    assert busy_cells(run(connection)) == {(WEDNESDAY, 9): 1, (THURSDAY, 0): 1, (SUNDAY, 5): 1}


def test_heatmap_of_a_range_of_seven_days_or_more_covers_the_range(data, connection):
    data.make_conversation(local("2026-01-31 23:59:59"))  # Saturday before the range
    data.make_conversation(local("2026-02-01 00:00"))  # Sunday, the range's first instant
    data.make_conversation(local("2026-02-07 23:59:59"))  # Saturday, the range's last second
    data.make_conversation(local("2026-03-04 09:00"))  # in the last 7 days, not in the range
    result = run(connection, start_date="2026-02-01", end_date="2026-02-07")
    assert busy_cells(result) == {(SUNDAY, 0): 1, (SATURDAY, 23): 1}


def _two_busy_weeks(data):
    # Forecast hours: Wednesday 11:00 to Thursday 10:00. History: 02-04 11:00 to 03-04 11:00, four weeks.
    for at in ["2026-02-25 14:10", "2026-02-25 14:20", "2026-02-25 14:30", "2026-02-18 14:00"]:
        data.make_conversation(local(at))  # Wednesday 14:00: 3 + 1
    for at in ["2026-02-26 09:05", "2026-02-26 09:10", "2026-02-19 09:00", "2026-02-19 09:59"]:
        data.make_conversation(local(at))  # Thursday 09:00: 2 + 2, a tie with Wednesday 14:00
    data.make_conversation(local("2026-03-04 10:15"))  # this week, not a forecast hour


def test_next_peak_forecast_takes_the_mean_over_four_weeks_quiet_ones_included(data, connection):
    _two_busy_weeks(data)
    data.make_conversation(local("2026-01-28 14:00"))  # five weeks ago: outside the history, but it had begun
    # Weeks 1 and 2 have conversations, weeks 3 and 4 were quiet: 4 / 4.
    assert run(connection)["nextPeakForecast"] == {
        "timestamp": "2026-03-04T14:00:00+07:00",
        "hour": "14:00",
        "expectedCount": 1.0,
        "basisWeeks": 4,
    }


def test_weeks_before_the_first_conversation_do_not_count(data, connection):
    _two_busy_weeks(data)
    # The first conversation ever is 02-18 14:00: weeks 3 and 4 ended before it. 4 / 2.
    assert run(connection)["nextPeakForecast"] == {
        "timestamp": "2026-03-04T14:00:00+07:00",
        "hour": "14:00",
        "expectedCount": 2.0,
        "basisWeeks": 2,
    }


def test_a_week_with_conversations_only_at_other_hours_still_counts_in_the_mean(data, connection):
    for at in ["2026-02-25 14:10", "2026-02-25 14:20", "2026-02-18 14:00", "2026-02-11 14:00"]:
        data.make_conversation(local(at))
    data.make_conversation(local("2026-02-06 03:00"))  # week 4 (02-04 11:00 to 02-11 11:00), no forecast hour
    # 4 conversations at Wednesday 14:00 over 4 weeks with data.
    assert run(connection)["nextPeakForecast"] == {
        "timestamp": "2026-03-04T14:00:00+07:00",
        "hour": "14:00",
        "expectedCount": 1.0,
        "basisWeeks": 4,
    }


def test_next_peak_forecast_history_starts_exactly_four_weeks_before_the_first_forecast_hour(data, connection):
    data.make_conversation(local("2026-02-04 10:59:59"))
    assert run(connection)["nextPeakForecast"] is None
    data.make_conversation(local("2026-02-04 11:00"))
    # History had begun before all 4 weeks (the 10:59:59 conversation): 1 / 4 = 0.25, shown 0.3.
    assert run(connection)["nextPeakForecast"] == {
        "timestamp": "2026-03-04T11:00:00+07:00",
        "hour": "11:00",
        "expectedCount": 0.3,
        "basisWeeks": 4,
    }


def test_the_next_forecast_hour_starts_at_the_next_hour_boundary(data, connection):
    data.make_conversation(local("2026-02-25 10:45"))  # the current hour's slot: not forecast
    data.make_conversation(local("2026-02-26 10:45"))  # Thursday 10:00, the last forecast hour
    result = run_section(customer_load.compute, connection, now=local("2026-03-04 10:00"), default="24h")
    assert result["nextPeakForecast"]["timestamp"] == "2026-03-05T10:00:00+07:00"


def test_each_scope_counts_only_its_own_conversations(data, connection):
    team_a, team_b = data.make_team("A"), data.make_team("B")
    ana = data.make_user("agent", team=team_a)
    bob = data.make_user("agent", team=team_b)
    customer = data.make_contact()
    data.make_conversation(local("2026-02-25 14:00"), team=team_b, assigned_to=bob, contact=customer)
    answered(data, local("2026-03-04 09:00"), 60, team=team_a, assigned_to=ana, contact=customer)
    answered(data, local("2026-03-04 09:00"), 120, team=team_b, assigned_to=bob)
    answered(data, local("2026-03-04 09:00"), 240, team=team_b, assigned_to=ana)  # ana's, in team B
    data.make_conversation(local("2026-03-04 09:00"), team=team_a)  # unassigned, team A
    # The customer's earlier conversation is bob's (team B): returning only where it is visible, in the organisation.
    # It also is the only forecast history (Wednesday 14:00); today's conversations are at no forecast hour.
    expected = {
        # (conversations in range, new, returning, mean peak wait, expected count at the forecast peak)
        "ana": (own_scope(ana), 2, 2, 0, 150.0, 0.0),
        "team A": (team_scope(team_a), 3, 3, 0, 150.0, 0.0),
        "team B": (team_scope(team_b), 2, 2, 0, 180.0, 1.0),
        "organisation": (ORGANISATION, 4, 3, 1, 140.0, 1.0),
    }
    for name, (scope, incoming, new, returning, peak, forecast) in expected.items():
        result = run(connection, scope=scope)
        assert (
            sum(incoming_counts(result).values()),
            sum(busy_cells(result).values()),
            result["newVsReturning"]["new"],
            result["newVsReturning"]["returning"],
            result["avgWaitTime"]["peak"],
            result["nextPeakForecast"]["expectedCount"],
        ) == (incoming, incoming, new, returning, peak, forecast), name
