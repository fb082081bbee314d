"""The settings a business runs (SPEC §8.5), key by key: how each is checked, stored and written out.

A value is checked by the environment's own validators (`pantau.core.config.Settings`), so a key reads the same from
`.env`, the settings page and the CLI. Each key has a structured form (the database's and the API's JSON) and a text
form (the CLI's and the form's).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from pantau.core.business_time import (
    business_hours_text,
    clock_time,
    holidays_text,
    peak_hours_text,
)
from pantau.core.config import Settings


class SettingRefused(ValueError):
    """A value a key cannot take; `detail` starts with the key's name."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.detail = f"{key}: {message}"


@dataclass(frozen=True)
class Key:
    name: str
    structured: Callable[[Any], object]
    text: Callable[[Any], str]
    example: str


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("sla_first_response_seconds", int, str, "300"),
        Key(
            "business_hours",
            lambda hours: {day: [list(each) for each in ranges] for day, ranges in hours.items()},
            business_hours_text,
            "mon-fri 08:00-17:00; sat 09:00-13:00",
        ),
        Key("holidays", lambda days: [day.isoformat() for day in days], holidays_text, "2026-12-25,2027-01-01"),
        Key(
            "peak_hours",
            lambda ranges: [[clock_time(start * 60), clock_time(end * 60)] for start, end in ranges],
            peak_hours_text,
            "09:00-12:00,14:00-17:00",
        ),
        Key("cost_per_conversation", _money, lambda value: "" if value is None else str(value), "2500"),
        Key(
            "whatsapp_rates",
            lambda rates: {category: str(rate) for category, rate in rates.items()},
            lambda rates: json.dumps({category: str(rate) for category, rate in rates.items()}),
            '{"marketing": "586.33", "utility": "356.65", "authentication": "356.65", "service": "0"}',
        ),
        Key("currency", str, str, "IDR"),
    )
}


def known_key(name: str) -> Key:
    key = KEYS.get(name)
    if key is None:
        raise SettingRefused(name, f"no such setting; use one of {', '.join(KEYS)}")
    return key


def checked(base: Settings, name: str, value: object) -> Any:
    """`value` (text or structured form) as the setting holds it, checked as the environment's would be."""
    known_key(name)
    if isinstance(value, bool):
        raise SettingRefused(name, f"give a value like {KEYS[name].example}")
    if isinstance(value, float | int) and name != "sla_first_response_seconds":
        value = str(value)
    copy = base.model_copy()
    try:
        Settings.__pydantic_validator__.validate_assignment(copy, name, value)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = error["msg"].removeprefix("Value error, ")
        # Where inside the value, for a structured one (a rate's category): `whatsapp_rates: marketing: ...`.
        inside = [str(part) for part in error["loc"][1:]]
        message = ": ".join([*inside, message])
        raise SettingRefused(name, f"{message} (example: {KEYS[name].example})") from None
    return getattr(copy, name)


def structured(name: str, value: Any) -> object:
    return KEYS[name].structured(value)


def text(name: str, value: Any) -> str:
    return KEYS[name].text(value)


def with_values(base: Settings, values: dict[str, Any]) -> Settings:
    """The settings with these (already checked) values over the environment's."""
    return base.model_copy(update=values) if values else base


def fingerprint(settings: Settings) -> str:
    """A short digest of every business setting's value: answers computed under other settings never share it."""
    canonical = json.dumps(
        {name: structured(name, getattr(settings, name)) for name in KEYS}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
