"""XLSX in constant memory: openpyxl's write-only mode writes each row to disk as it comes, and the finished file is
read back in chunks, so neither a million rows nor the whole file is ever held in memory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font

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


def _as_text(worksheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(worksheet, value=value)
    cell.data_type = "s"
    return cell


def _inert(worksheet, row: Iterable[object]) -> list[object]:
    """The row with every text a text cell. openpyxl reads text starting with = as a formula and an error's name
    (#N/A, ...) as an error: those are written as text cells explicitly. A text cell never runs, so XLSX needs no
    apostrophe (CSV does: a spreadsheet guesses each CSV cell's type)."""
    return [
        _as_text(worksheet, cell) if isinstance(cell, str) and (cell[:1] == "=" or cell in ERROR_CODES) else cell
        for cell in row
    ]


def xlsx_chunks(sheets: Iterable[Sheet]) -> Iterator[bytes]:
    """The workbook's bytes in chunks; text cells are text (never a formula), the header row in bold."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet_name(sheet.name))
        header = []
        for title in sheet.header:
            cell = _as_text(worksheet, title)
            cell.font = bold
            header.append(cell)
        if header:
            worksheet.append(header)
        for row in sheet.rows:
            worksheet.append(_inert(worksheet, row))
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(_READ_CHUNK):
            yield chunk
