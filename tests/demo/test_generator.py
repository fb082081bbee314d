"""The generator on its own: deterministic, anchored at `now`, shaped like a day of customer service."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from pantau.demo.columns import COLUMNS
from pantau.demo.sizes import SIZES
from tests.demo.conftest import JAKARTA, NOW, fingerprint, generated_rows, small_generator

PEAK_HOURS = {9, 10, 11, 14, 15, 16}
NIGHT_HOURS = {0, 1, 2, 3, 4}


def test_the_same_seed_and_anchor_give_identical_rows():
    first = fingerprint(generated_rows(small_generator("hash").batches()))
    second = fingerprint(generated_rows(small_generator("hash").batches()))
    assert first == second


def test_another_seed_gives_other_rows():
    assert fingerprint(generated_rows(small_generator("hash", seed=7).batches())) != fingerprint(
        generated_rows(small_generator("hash", seed=8).batches())
    )


def test_every_row_matches_its_table_columns_and_nothing_lies_after_now(small_batches):
    latest = datetime.min.replace(tzinfo=NOW.tzinfo)
    for batch in small_batches:
        for row in batch.rows:
            assert len(row) == len(COLUMNS[batch.table])
            for value in row:
                if isinstance(value, datetime):
                    assert value.utcoffset() == timedelta(0)
                    latest = max(latest, value)
    assert latest <= NOW
    # "Today" has traffic up to the current minute.
    assert NOW - latest < timedelta(minutes=5)


def test_new_chats_peak_in_working_hours_and_are_rare_at_night(small_batches):
    position = COLUMNS["conversations"].index("created_at")
    per_hour: Counter[int] = Counter()
    for batch in small_batches:
        if batch.table == "conversations":
            per_hour.update(row[position].astimezone(JAKARTA).hour for row in batch.rows)
    busiest = {hour for hour, _ in per_hour.most_common(4)}
    assert busiest <= PEAK_HOURS
    assert max(per_hour[hour] for hour in NIGHT_HOURS) < 0.2 * per_hour.most_common(1)[0][1]


def test_weekends_are_lighter_than_weekdays(small_batches):
    position = COLUMNS["conversations"].index("created_at")
    per_day: Counter[int] = Counter()
    for batch in small_batches:
        if batch.table == "conversations":
            per_day.update(
                row[position].astimezone(JAKARTA).weekday()
                for row in batch.rows
                if row[position].astimezone(JAKARTA).date() != NOW.astimezone(JAKARTA).date()
            )
    assert max(per_day[5], per_day[6]) < min(per_day[day] for day in (0, 1, 3, 4))


def test_sizes_follow_the_specification():
    assert (SIZES["S"].days, SIZES["S"].conversations) == (7, 5_000)
    assert (SIZES["M"].days, SIZES["M"].agents, SIZES["M"].teams, SIZES["M"].conversations) == (90, 60, 6, 150_000)
    assert (SIZES["L"].days, SIZES["L"].agents, SIZES["L"].conversations) == (365, 200, 1_000_000)
    assert SIZES["L"].postgres_only and not SIZES["M"].postgres_only
