"""The page's languages: Indonesian and English, one dictionary each in `static/i18n/<language>.json`.

The browser scripts read the same files, so every word of the pages has one source. The server renders a page in the
language the browser last chose (the `pantau_lang` cookie the page script keeps beside its localStorage entry), else in
the organisation's default: Indonesian when `TIMEZONE` is an Indonesian zone, English elsewhere.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Literal, TypeGuard, get_args

from fastapi import Request

from pantau.core.config import Settings

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
LANGUAGE_COOKIE = "pantau_lang"

DICTIONARIES = Path(__file__).resolve().parent / "static" / "i18n"
INDONESIAN_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Pontianak")


def is_language(value: object) -> TypeGuard[Language]:
    return value in LANGUAGES


def default_language(settings: Settings) -> Language:
    return "id" if settings.timezone.startswith(INDONESIAN_ZONES) else "en"


def page_language(request: Request, settings: Settings) -> Language:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if is_language(chosen) else default_language(settings)


@cache
def dictionary(language: Language) -> dict[str, str]:
    return json.loads((DICTIONARIES / f"{language}.json").read_text(encoding="utf-8"))


def translate(language: Language, key: str, **values: object) -> str:
    """The phrase for `key`, with `{name}` placeholders filled in."""
    return dictionary(language)[key].format(**values)


def wait_phrase(language: Language, seconds: int) -> str:
    """How long to wait before trying again: seconds under a minute, else whole minutes rounded up."""
    if seconds < 60:
        return translate(language, "wait.seconds", count=seconds)
    minutes = math.ceil(seconds / 60)
    return translate(language, "wait.minute") if minutes == 1 else translate(language, "wait.minutes", count=minutes)
