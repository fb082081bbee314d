"""What every exported cell goes through: text a spreadsheet would run as a formula is neutralised, durations get a
readable twin, and CSV is written the way spreadsheets open it without asking (UTF-8 with a BOM, RFC 4180)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pantau.reports.workbook import safe_text

__all__ = ["csv_batches", "csv_lines", "formatted_duration", "local_times", "safe_row", "safe_text"]

BOM = "\ufeff"


def safe_row(row: Iterable[object]) -> list[object]:
    return [safe_text(cell) for cell in row]


def formatted_duration(seconds: float | None) -> str | None:
    """Seconds as H:MM:SS (whole seconds, rounded), the way a spreadsheet writes a duration; None stays None."""
    if seconds is None:
        return None
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))
_MINUTE = timedelta(minutes=1)
_LAST_OF_HOUR = timedelta(hours=1) - timedelta(microseconds=1)
# Hours of local time kept at once: rows come oldest first, so the hours in use move on with them.
_HOURS_KEPT = 256


def local_times(zone: ZoneInfo) -> Callable[[datetime | None], str | None]:
    """A writer of instants as local time in `zone`, the text `moment.astimezone(zone).isoformat()` gives
    (`2026-03-04T10:03:00+07:00`, the microseconds when there are some), None for None, at a fraction of the cost:
    the local date, hour and offset are worked out once per UTC hour (in an hour with the same whole-minute offset
    at its first and last instant, local minutes and seconds follow the UTC ones: no zone changes its offset twice
    within an hour), then each instant is a few strings put together. An hour where the offset changes (a daylight
    saving switch) or is not whole minutes, and an instant that is not in UTC, are converted one by one as before."""
    hours: dict[tuple[int, int, int, int], tuple[tuple[str, ...], tuple[str, ...], str] | None] = {}

    def slow(moment: datetime) -> str:
        return moment.astimezone(zone).isoformat()

    def hour_of(moment: datetime) -> tuple[tuple[str, ...], tuple[str, ...], str] | None:
        start = moment.replace(minute=0, second=0, microsecond=0)
        first = start.astimezone(zone)
        offset = first.utcoffset()
        if offset is None or offset % _MINUTE or (start + _LAST_OF_HOUR).astimezone(zone).utcoffset() != offset:
            return None
        shift = (offset // _MINUTE) % 60  # UTC minute m is local minute (m + shift) % 60
        text = first.isoformat()  # YYYY-MM-DDTHH:MM:SS+HH:MM
        suffix, hour = text[19:], text[:14]
        next_hour = (start + (60 - shift) * _MINUTE).astimezone(zone).isoformat()[:14] if shift else hour
        minutes = tuple(
            (hour if minute + shift < 60 else next_hour) + _TWO_DIGITS[(minute + shift) % 60] + ":"
            for minute in range(60)
        )
        return minutes, tuple(seconds + suffix for seconds in _TWO_DIGITS), suffix

    def local(moment: datetime | None) -> str | None:
        if moment is None:
            return None
        if moment.tzinfo is not UTC:
            return slow(moment)
        key = (moment.year, moment.month, moment.day, moment.hour)
        try:
            hour = hours[key]
        except KeyError:
            if len(hours) >= _HOURS_KEPT:
                hours.clear()
            hour = hours[key] = hour_of(moment)
        if hour is None:
            return slow(moment)
        minutes, seconds, suffix = hour
        if microsecond := moment.microsecond:
            return f"{minutes[moment.minute]}{_TWO_DIGITS[moment.second]}.{microsecond:06d}{suffix}"
        return minutes[moment.minute] + seconds[moment.second]

    return local


def _csv_cell(value: object) -> object:
    # JSON's true and false, not Python's; None is an empty cell.
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# Rows are sent in chunks of about this many characters: one per row would cost a network write each.
CHUNK = 64 * 1024


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """The CSV file as UTF-8 chunks, BOM first, lines ended by CRLF, fields quoted when they hold a separator, a quote
    or a line break (RFC 4180); every cell neutralised. Holds one chunk at a time, whatever the number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in safe_row(row)])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_batches(header: list[str], batches: Iterable[list[list[object]]]) -> Iterator[bytes]:
    """The CSV file as UTF-8, a chunk per batch of rows whose cells are neutralised and written as CSV cells already
    (the per-conversation export: `pantau.exports.conversations.conversation_batches`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(safe_row(header))
    for rows in batches:
        writer.writerows(rows)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
