"""Rounding, percentages, change and trend exactly as SPEC §3 writes them."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

from pantau.core.numbers import change_percent, comparison, percentage, round1, round1_float, trend


@pytest.mark.parametrize(
    ("value", "expected"), [(12.25, 12.3), (12.24, 12.2), (2 / 3 * 100, 66.7), (None, None), (0, 0.0)]
)
def test_round1_rounds_halves_up(value, expected):
    assert round1(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90.25, 90.3),  # a halfway point a float holds exactly: round() would give 90.2
        (1.45, 1.5),  # a float just under 1.45 whose shortest form is 1.45: round() would give 1.4
        (1200.05, 1200.1),
        (-0.05, -0.1),
        (183.2571, 183.3),
        (0.04, 0.0),
        (2e12 + 0.25, 2e12 + 0.3),
        (Decimal("12.25"), 12.3),
        (None, None),
    ],
)
def test_round1_float_rounds_as_round1(value, expected):
    assert round1_float(value) == expected == round1(value)


def test_round1_float_agrees_with_round1_on_many_floats_and_their_signs():
    generator = random.Random(14)
    values = [-0.0, 0.0, 5e-324, 0.15, 0.35, 2.675, -1.45, 0.04999999999999999, 0.05000000000000001]
    for _ in range(20_000):
        values.append(generator.uniform(-1e6, 1e6))
        values.append(generator.randint(-(10**7), 10**7) / 100)  # hundredths: half of them halfway between tenths
        values.append(generator.randint(0, 10**8) / 1000 + 0.005)
        values.append(generator.uniform(0, 1e11))
    for value in values:
        fast, exact = round1_float(value), round1(value)
        assert (fast, math.copysign(1, fast)) == (exact, math.copysign(1, exact)), value


def test_percentage_of_nothing_is_null_not_100():
    assert percentage(0, 0) is None
    assert percentage(3, 4) == 75.0
    assert percentage(0, 4) == 0.0
    assert percentage(1, 3) == 33.3


def test_change_is_absolute_and_null_without_a_previous_value():
    assert change_percent(90, 100) == 10.0
    assert change_percent(110, 100) == 10.0
    assert change_percent(5, 0) is None
    assert change_percent(5, None) is None
    assert change_percent(None, 5) is None
    assert change_percent(1, 3) == 66.7


@pytest.mark.parametrize(
    ("value", "previous", "t", "expected"),
    [
        (105, 100, 0.05, "stable"),  # exactly previous x (1 + t) is not above it
        (105.1, 100, 0.05, "up"),
        (95, 100, 0.05, "stable"),
        (94.9, 100, 0.05, "down"),
        (21, 20, 0.05, "stable"),
        (3, 0, 0.1, "up"),
        (0, 0, 0.1, "stable"),
        (0, None, 0.1, "stable"),
        (None, 10, 0.1, "stable"),
        (98, 100, 0.02, "stable"),
        (97.9, 100, 0.02, "down"),
    ],
)
def test_trend_thresholds(value, previous, t, expected):
    assert trend(value, previous, t) == expected


def test_comparison_has_the_four_keys():
    assert comparison(12, 10, 0.05) == {"value": 12, "previous": 10, "change": 20.0, "trend": "up"}
