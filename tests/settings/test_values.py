"""Each setting's text form, its structured form and the messages that refuse a bad value (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pantau.business_settings.keys import SettingRefused, checked, structured, text
from pantau.core.config import Settings

BASE = Settings(_env_file=None)


def test_business_hours_read_days_spans_and_several_ranges_a_day():
    hours = checked(BASE, "business_hours", "mon-fri 08:00-17:00; sat 09:00-12:00,13:00-15:00")
    assert hours == {
        "mon": [("08:00", "17:00")],
        "tue": [("08:00", "17:00")],
        "wed": [("08:00", "17:00")],
        "thu": [("08:00", "17:00")],
        "fri": [("08:00", "17:00")],
        "sat": [("09:00", "12:00"), ("13:00", "15:00")],
    }
    assert text("business_hours", hours) == "mon-fri 08:00-17:00; sat 09:00-12:00,13:00-15:00"
    # The structured form reads back to the same value.
    assert checked(BASE, "business_hours", structured("business_hours", hours)) == hours


def test_business_hours_run_together_only_neighbouring_days_with_the_same_hours():
    hours = checked(BASE, "business_hours", "mon,wed 08:00-17:00; tue 08:00-16:00; sun 10:00-24:00")
    assert text("business_hours", hours) == "mon 08:00-17:00; tue 08:00-16:00; wed 08:00-17:00; sun 10:00-24:00"


def test_empty_business_hours_mean_none_set():
    assert checked(BASE, "business_hours", "") == {}
    assert text("business_hours", {}) == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mon-fri 18:00-17:00", "business_hours: '18:00-17:00' ends before it starts"),
        ("mon-fry 08:00-17:00", "business_hours: 'fry' is not a weekday"),
        ("fri-mon 08:00-17:00", "business_hours: 'fri-mon': a span of days runs forward"),
        ("mon 08:00-12:00,11:00-13:00", "business_hours: mon: time ranges overlap"),
        ("mon 8h-17h", "business_hours: '8h' is not a time like 08:00"),
        ("mon 08:00-25:00", "business_hours: '25:00' is not a time of day"),
        ("mon-fri", "business_hours: 'mon-fri' is not days and times"),
    ],
)
def test_bad_business_hours_are_refused_naming_the_key_and_the_fault(value, message):
    with pytest.raises(SettingRefused) as refused:
        checked(BASE, "business_hours", value)
    assert refused.value.detail.startswith(message)
    assert refused.value.detail.endswith("(example: mon-fri 08:00-17:00; sat 09:00-13:00)")


def test_holidays_are_sorted_dates_each_once():
    days = checked(BASE, "holidays", "2027-01-01, 2026-12-25,2027-01-01")
    assert days == [date(2026, 12, 25), date(2027, 1, 1)]
    assert (text("holidays", days), structured("holidays", days)) == (
        "2026-12-25,2027-01-01",
        ["2026-12-25", "2027-01-01"],
    )
    with pytest.raises(SettingRefused, match=r"^holidays: '2026-02-30' is not a date like 2026-12-25"):
        checked(BASE, "holidays", "2026-02-30")


def test_peak_hours_read_clock_times_and_the_older_hour_form():
    assert checked(BASE, "peak_hours", "09:00-12:00,14:00-17:00") == [(9, 12), (14, 17)]
    assert checked(BASE, "peak_hours", "14-17,9-12") == [(9, 12), (14, 17)]
    assert structured("peak_hours", [(9, 12)]) == [["09:00", "12:00"]]
    assert checked(BASE, "peak_hours", [["09:00", "12:00"]]) == [(9, 12)]
    with pytest.raises(SettingRefused, match=r"^peak_hours: '09:30-12:00': peak hours start and end on the hour"):
        checked(BASE, "peak_hours", "09:30-12:00")


def test_money_settings():
    assert checked(BASE, "cost_per_conversation", "2500.50") == Decimal("2500.50")
    assert checked(BASE, "cost_per_conversation", "") is None
    assert checked(BASE, "whatsapp_rates", '{"marketing": 500, "utility": "250.5"}') == {
        "marketing": Decimal("500"),
        "utility": Decimal("250.5"),
    }
    assert checked(BASE, "whatsapp_rates", "marketing=500") == {"marketing": Decimal("500")}
    assert structured("whatsapp_rates", {"marketing": Decimal("500")}) == {"marketing": "500"}
    assert checked(BASE, "currency", "usd") == "USD"
    with pytest.raises(SettingRefused, match=r"^whatsapp_rates: marketing: a rate is a number of 0 or more"):
        checked(BASE, "whatsapp_rates", '{"marketing": -1}')
    with pytest.raises(SettingRefused, match=r"^cost_per_conversation: Input should be greater than or equal to 0"):
        checked(BASE, "cost_per_conversation", "-5")
    with pytest.raises(SettingRefused, match=r"^currency: 'rupiah' is not a three-letter ISO 4217 code"):
        checked(BASE, "currency", "rupiah")


def test_the_sla_target_is_whole_positive_seconds_up_to_a_week():
    assert checked(BASE, "sla_first_response_seconds", "600") == 600
    for bad in ("0", "-1", "90.5", "604801", "soon"):
        with pytest.raises(SettingRefused, match=r"^sla_first_response_seconds: "):
            checked(BASE, "sla_first_response_seconds", bad)


def test_an_unknown_key_is_refused_with_the_keys_there_are():
    with pytest.raises(SettingRefused, match=r"^sla_target: no such setting; use one of sla_first_response_seconds, "):
        checked(BASE, "sla_target", "600")


def test_the_environment_reads_the_same_forms():
    settings = Settings(
        _env_file=None, business_hours="mon-fri 08:00-17:00", holidays="2026-12-25", peak_hours="10:00-11:00"
    )
    assert (settings.business_hours["fri"], settings.holidays, settings.peak_hours) == (
        [("08:00", "17:00")],
        [date(2026, 12, 25)],
        [(10, 11)],
    )
