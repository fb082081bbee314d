"""XLSX in constant memory: openpyxl's write-only mode writes each row to disk as it comes, and the finished file is
read back in chunks, so neither a million rows nor the whole file is ever held in memory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from pantau.exports.cells import safe_row

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
    # Rows whose text is neutralised already (the per-conversation export's), written as they are.
    neutralised: bool = False


def sheet_name(name: str) -> str:
    return name.translate(_NOT_IN_SHEET_NAMES)[:_SHEET_NAME_LENGTH]


def xlsx_chunks(sheets: Iterable[Sheet]) -> Iterator[bytes]:
    """The workbook's bytes in chunks; every cell neutralised, the header row in bold."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet_name(sheet.name))
        header = []
        for title in safe_row(sheet.header):
            cell = WriteOnlyCell(worksheet, value=title)
            cell.font = bold
            header.append(cell)
        if header:
            worksheet.append(header)
        for row in sheet.rows:
            worksheet.append(row if sheet.neutralised else safe_row(row))
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(_READ_CHUNK):
            yield chunk
