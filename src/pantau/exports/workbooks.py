"""XLSX in constant memory: XlsxWriter's constant-memory mode writes each row to a temporary file as soon as the next
one starts, and the finished file is read back in chunks, so neither a million rows nor the whole file is ever held in
memory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import xlsxwriter

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_READ_CHUNK = 256 * 1024
# Excel refuses longer sheet names, and these characters in one.
_SHEET_NAME_LENGTH = 31
_NOT_IN_SHEET_NAMES = str.maketrans({character: " " for character in "[]:*?/\\"})


@dataclass(frozen=True)
class Sheet:
    name: str
    header: list[str]
    rows: Iterable[Iterable[object]]


def sheet_name(name: str) -> str:
    return name.translate(_NOT_IN_SHEET_NAMES)[:_SHEET_NAME_LENGTH]


# Text stays text: never read as a formula (=...), a link or a number, whatever it looks like.
_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def xlsx_chunks(sheets: Iterable[Sheet]) -> Iterator[bytes]:
    """The workbook's bytes in chunks: text cells are text (a formula-looking one never runs, no apostrophe needed:
    a text cell is never guessed at, unlike a CSV cell), numbers are numbers, flags are booleans, None an empty
    cell; the header row in bold."""
    with tempfile.TemporaryDirectory() as directory, tempfile.TemporaryFile(dir=directory) as file:
        workbook = xlsxwriter.Workbook(file, {**_WORKBOOK_OPTIONS, "tmpdir": directory})
        bold = workbook.add_format({"bold": True})
        for sheet in sheets:
            worksheet = workbook.add_worksheet(sheet_name(sheet.name))
            first = 0
            if sheet.header:
                worksheet.write_row(0, 0, sheet.header, bold)
                first = 1
            write_row = worksheet.write_row
            for number, row in enumerate(sheet.rows, start=first):
                write_row(number, 0, row)
        workbook.close()
        file.seek(0)
        while chunk := file.read(_READ_CHUNK):
            yield chunk
