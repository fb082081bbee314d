"""Output a script can read: `--json` on listings and reports, and the exit codes every command keeps.

Exit codes (README, "Exit codes"): 0 ok, 1 failed, 2 bad usage (Typer's own code for a wrong option or argument),
3 a service Pantau needs (the database, Redis, an SMTP server) did not answer; 130 stopped by Ctrl-C, after
saying what was done.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import typer

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
# Stopped by Ctrl-C (SIGINT), as shells report it: 128 + the signal's number.
EXIT_INTERRUPTED = 130

JSON_HELP = "Print JSON for scripts instead of the table."


def json_option() -> Any:
    """The `--json` flag, the same on every command: `as_json: bool = json_option()`."""
    return typer.Option(False, "--json", help=JSON_HELP)


def plain(value: object) -> object:
    """`value` as JSON's types: dataclasses and mappings as objects, times as ISO 8601, decimals as strings (exact),
    enums as their values, sets and tuples as lists,
    a number that is not finite as null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(plain(key)): plain(item) for key, item in value.items()}
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # JSON has no NaN or infinity
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"{type(value).__name__} has no JSON form")


def print_json(value: object) -> None:
    """Write `value` (see `plain`) to standard output as one JSON document."""
    typer.echo(json.dumps(plain(value), ensure_ascii=False, indent=2))
