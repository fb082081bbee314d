"""How figures are rounded and compared (SPEC §3): 1 decimal, null for "no data", change and trend."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Trend = Literal["up", "down", "stable"]

# Trend thresholds t of SPEC §3, by kind of figure.
CONVERSATIONS_T = 0.05
RESPONSE_TIME_T = 0.05
DELIVERY_RATE_T = 0.02
TICKETS_T = 0.10
MESSAGES_T = 0.10
LEADS_T = 0.10


def round1(value: float | Decimal | None) -> float | None:
    """One decimal, halves rounded away from zero (12.25 -> 12.3), as people round."""
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def round1_float(value: float | Decimal | None) -> float | None:
    """`round1`, the same result for every value, cheaper for a float (a million of them in an export): Python's
    `round` rounds the float's exact binary value to the nearest tenth, and that is `round1`'s answer whenever the
    float's shortest decimal form (which `round1` rounds) is not a halfway hundredth itself (1.45, 0.05). A float
    within a hair of such a halfway point, a very large one (1e12 or more), NaN, an infinity or anything not a float
    goes to `round1`."""
    if type(value) is not float or not -1e12 < value < 1e12:
        return round1(value)
    rounded = round(value, 1)
    # Far wider than the distance between a float and its shortest decimal form (half a unit in its last place, about
    # 1.1e-16 of it) plus the error of this subtraction; far narrower than the tenth between halfway points.
    hair = 1e-9 + abs(value) * 1e-12
    if -hair < abs(value - rounded) - 0.05 < hair:
        return round1(value)
    return rounded


def round2(value: float | Decimal | None) -> float | None:
    """Two decimals for money."""
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def percentage(part: float | int | None, whole: float | int | None) -> float | None:
    """part / whole x 100 with 1 decimal; null when the whole is 0 or unknown (never a made-up 0 or 100)."""
    if part is None or not whole:
        return None
    return round1(Decimal(part) * 100 / Decimal(whole))


def ratio(part: float | Decimal | int | None, whole: float | Decimal | int | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return Decimal(str(part)) / Decimal(str(whole))


def change_percent(value: float | None, previous: float | None) -> float | None:
    """|value - previous| / previous x 100, 1 decimal; null when previous is 0 or null (or value is null)."""
    if value is None or not previous:
        return None
    return round1(abs(Decimal(str(value)) - Decimal(str(previous))) * 100 / Decimal(str(previous)))


def trend(value: float | None, previous: float | None, threshold: float) -> Trend:
    """up above previous x (1 + t), down below previous x (1 - t), else stable; without a previous, up if value > 0."""
    if value is None:
        return "stable"
    if not previous:
        return "up" if value > 0 else "stable"
    current, before, t = Decimal(str(value)), Decimal(str(previous)), Decimal(str(threshold))
    if current > before * (1 + t):
        return "up"
    if current < before * (1 - t):
        return "down"
    return "stable"


def comparison(value: float | None, previous: float | None, threshold: float) -> dict:
    """{value, previous, change, trend}: the four keys of every figure that compares."""
    return {
        "value": value,
        "previous": previous,
        "change": change_percent(value, previous),
        "trend": trend(value, previous, threshold),
    }
