"""Reading exported files back the way a spreadsheet user would: CSV with the csv module, XLSX with openpyxl."""

from __future__ import annotations

import csv
import io

from httpx2 import Response
from openpyxl import load_workbook


def csv_rows(response: Response) -> list[list[str]]:
    """The rows of a CSV answer (header first); checks the BOM and the CRLF line ends on the way."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


def workbook(response: Response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(sheet) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def number(cell: str) -> int | float | None:
    """A CSV cell as the number it holds ('' is None)."""
    if cell == "":
        return None
    value = float(cell)
    return int(value) if cell.lstrip("-").isdigit() else value
