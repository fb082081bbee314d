"""What every exported cell goes through: text a spreadsheet would run as a formula is neutralised, durations get a
readable twin, and CSV is written the way spreadsheets open it without asking (UTF-8 with a BOM, RFC 4180)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from pantau.reports.workbook import safe_text

__all__ = ["csv_batches", "csv_lines", "formatted_duration", "safe_row", "safe_text"]

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
