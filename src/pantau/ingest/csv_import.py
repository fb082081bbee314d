"""`pantau import TABLE FILE.csv` (SPEC §8.1): history in bulk, checked row by row like the events API.

The file is read as a stream and written in batches, each its own transaction, so memory stays flat whatever the
file's size: a batch is written on a thread of its own while the next one is read and checked, so the database and
the parsing work at the same time, and only those two batches are held.

A row is upserted by its id: a new id inserts, a known one takes the file's values, and a row whose values are
already there is not touched, so importing the same file again changes nothing. A row that cannot be
stored (a bad value, a reference to a row that does not exist, a unique value another row holds) is written to the
rejects file with its line number and the reason (in line order), and never stops the others.

The file itself is the record of what was sent: an import is not journaled body by body; running it again after a
crash applies what was missing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO

from psycopg.types.json import Jsonb
from pydantic import ValidationError
from pydantic.alias_generators import to_snake
from sqlalchemy import JSON, Connection, Engine, Table, any_, bindparam, column, or_, select, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from pantau.ingest.import_tables import REFUSED_COLUMNS, TABLES, ImportTable
from pantau.ingest.schemas import reason_for

BATCH_ROWS = 2000


class ImportRefused(Exception):
    """The file as a whole cannot be imported (an unknown table, a header that does not fit): nothing is written."""


@dataclass
class ImportSummary:
    rows: int = 0
    written: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    dry_run: bool = False

    @property
    def unchanged(self) -> int:
        """Rows already in the database exactly as the file has them (on a dry run: rows that would be written)."""
        return self.rows - self.written - self.rejected


@dataclass(frozen=True)
class Progress:
    rows: int
    bytes_read: int
    rejected: int


@dataclass
class _Row:
    line: int
    cells: list[str]
    values: dict[str, Any] = field(default_factory=dict)


class _CountingReader(io.RawIOBase):
    """The file's bytes, counted as they are read (how far the import is, for the progress bar)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        read = self.raw.readinto(buffer)
        self.count += read or 0
        return read


class _Rejects:
    """The rejects file, opened at the first rejected row: line, reason, then the row as it was."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.header = header
        self.count = 0
        self._file = None
        self._writer = None

    def add(self, row: _Row, reason: str) -> None:
        if self._writer is None:
            self._file = self.path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "reason", *self.header])
        self._writer.writerow([row.line, reason, *row.cells])
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def default_rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def _check_header(spec: ImportTable, header: list[str]) -> None:
    unknown = [name for name in header if name not in spec.table.c or name in REFUSED_COLUMNS]
    for name in unknown:
        if name in REFUSED_COLUMNS:
            raise ImportRefused(f"column {name}: {REFUSED_COLUMNS[name]}")
    if unknown:
        raise ImportRefused(
            f"column {', '.join(unknown)}: not a column of {spec.name}; "
            f"its columns are {', '.join(c.name for c in spec.table.c if c.name not in REFUSED_COLUMNS)}"
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ImportRefused(f"column {', '.join(repeated)}: given more than once in the header")
    missing = [name for name in spec.required if name not in header]
    if missing:
        raise ImportRefused(f"column {', '.join(missing)}: required in a file of {spec.name}")


def _records(text: io.TextIOBase) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted cell may span lines); line 1 is the header."""
    reader = csv.reader(text)
    last_line = 0
    for cells in reader:
        start, last_line = last_line + 1, reader.line_num
        if cells:
            yield start, cells


class _Checker:
    """A CSV row to the values of its table's columns, or the reason it cannot be."""

    def __init__(self, spec: ImportTable, header: list[str]) -> None:
        self.spec = spec
        self.header = header
        self.json_columns = {name for name in header if isinstance(spec.column(name).type, JSON)}
        self.defaults = {name: spec.default(name) for name in header}
        self.required = spec.required

    def _given(self, cells: list[str]) -> dict[str, Any]:
        """The row's filled cells by column, before the table's model checks them."""
        if len(cells) != len(self.header):
            raise ValueError(f"row: {len(cells)} cells where the header has {len(self.header)}")
        given: dict[str, Any] = {}
        for name, cell in zip(self.header, cells, strict=True):
            if cell == "":
                continue
            if name in self.json_columns:
                try:
                    given[name] = json.loads(cell)
                except ValueError:
                    raise ValueError(f'{name}: not JSON (write a list like ["vip", "reseller"])') from None
            else:
                given[name] = cell
        for name in self.required:
            if name not in given:
                raise ValueError(f"{name}: required")
        return given

    def values(self, cells: list[str]) -> dict[str, Any]:
        """Raises ValueError with a reason naming the column."""
        try:
            model = self.spec.model.model_validate(self._given(cells))
        except ValidationError as exc:
            column, sep, rest = reason_for(exc).partition(": ")
            raise ValueError(f"{to_snake(column)}{sep}{rest}") from None
        return self._columns(model)

    def _columns(self, model: Any) -> dict[str, Any]:
        """The header's columns: what the row gave, else the column's default (the model's fields are flat)."""
        given = model.model_fields_set
        fields = model.__dict__
        defaults = self.defaults
        return {name: fields[name] if name in given else defaults[name] for name in self.header}


def _upsert(connection: Connection, spec: ImportTable, columns: list[str], source=None):
    """INSERT ... ON CONFLICT (id) DO UPDATE the file's columns WHERE one of them differs: the rows it counts are
    those inserted or changed. From `source` (a SELECT of the staged rows) when given, else from parameters."""
    table = spec.table
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table)
    if source is not None:
        statement = statement.from_select(columns, source)
    updated = [name for name in columns if name != "id"]
    if not updated:
        return statement.on_conflict_do_nothing(index_elements=["id"])
    return statement.on_conflict_do_update(
        index_elements=["id"],
        set_={name: statement.excluded[name] for name in updated},
        where=or_(*(table.c[name].is_distinct_from(statement.excluded[name]) for name in updated)),
    )


class _Stage:
    """PostgreSQL: a batch travels by COPY into a temporary table of the file's columns, then one INSERT ... SELECT
    upserts it. Parsing one huge multi-row INSERT costs more than the rows themselves."""

    def __init__(self, connection: Connection, spec: ImportTable, columns: list[str]) -> None:
        self.name = f"pantau_import_{spec.name}"
        self.columns = columns
        self.json_positions = [i for i, name in enumerate(columns) if isinstance(spec.column(name).type, JSON)]
        listed = ", ".join(f'"{name}"' for name in columns)
        # A pooled connection may hold the table of an earlier import of other columns.
        connection.exec_driver_sql(f'DROP TABLE IF EXISTS pg_temp."{self.name}"')
        connection.exec_driver_sql(
            f'CREATE TEMPORARY TABLE "{self.name}" ON COMMIT DELETE ROWS '
            f'AS SELECT {listed} FROM "{spec.name}" WITH NO DATA'
        )
        stage = table(self.name, *(column(name) for name in columns))
        self.upsert = _upsert(connection, spec, columns, select(*(stage.c[name] for name in columns)))
        self.copy_statement = f'COPY "{self.name}" ({listed}) FROM STDIN'

    def write(self, connection: Connection, rows: list[_Row]) -> int:
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(self.copy_statement) as copy:
            for row in rows:
                values = [_plain(row.values[name]) for name in self.columns]
                for position in self.json_positions:
                    if values[position] is not None:
                        values[position] = Jsonb(values[position])
                copy.write_row(values)
        return connection.execute(self.upsert).rowcount


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


Refused = list[tuple[_Row, str]]


class _Importer:
    def __init__(self, connection: Connection, spec: ImportTable, header: list[str], dry_run: bool):
        self.connection = connection
        self.spec = spec
        self.header = header
        self.dry_run = dry_run
        postgres = connection.dialect.name == "postgresql"
        self.references = [(name, target, _present_ids(target, postgres)) for name, target in spec.references(header)]
        self.upsert = _upsert(connection, spec, header)
        self.stage = _Stage(connection, spec, header) if postgres else None
        if self.stage is not None:
            connection.commit()
        self.written = 0

    def flush(self, rows: list[_Row]) -> Refused:
        """Write the rows (one per id) in one transaction; the rows refused, with their reasons."""
        refused: Refused = []
        if not rows:
            return refused
        connection = self.connection
        with connection.begin():
            rows = self._with_referents(connection, rows, refused)
            if self.dry_run or not rows:
                return refused
            try:
                with connection.begin_nested():
                    if self.stage is not None:
                        self.written += self.stage.write(connection, rows)
                    else:
                        self.written += connection.execute(self.upsert, [row.values for row in rows]).rowcount
                return refused
            except IntegrityError:
                pass
            # Some row breaks a rule only the database knows (a unique value): find it, row by row.
            for row in rows:
                try:
                    with connection.begin_nested():
                        self.written += connection.execute(self.upsert, [row.values]).rowcount
                except IntegrityError as exc:
                    refused.append((row, _conflict_reason(exc)))
        return refused

    def _with_referents(self, connection: Connection, rows: list[_Row], refused: Refused) -> list[_Row]:
        """The rows whose references exist; the others refused, naming what they point at."""
        for column_name, target, present in self.references:
            wanted = {row.values[column_name] for row in rows if row.values.get(column_name) is not None}
            if not wanted:
                continue
            found = set(connection.execute(present, {"wanted": list(wanted)}).scalars())
            kept = []
            for row in rows:
                value = row.values.get(column_name)
                if value is None or value in found:
                    kept.append(row)
                else:
                    noun = target.name.removesuffix("s").replace("_", " ")
                    refused.append((row, f"{column_name}: no {noun} {value!r} (import {target.name} first)"))
            rows = kept
        return rows


def _present_ids(target: Table, postgres: bool):
    """Which of the ids `wanted` the table holds: on PostgreSQL one array parameter (`= ANY`), not one per id."""
    if postgres:
        wanted = bindparam("wanted", type_=postgresql.ARRAY(target.c.id.type))
        return select(target.c.id).where(target.c.id == any_(wanted))
    return select(target.c.id).where(target.c.id.in_(bindparam("wanted", expanding=True)))


@dataclass
class _Chunk:
    """Up to a batch of rows read in a row: those to write (by id, the last line of an id winning) and those already
    refused, with the progress as it stood when the chunk was cut."""

    rows: dict[str, _Row] = field(default_factory=dict)
    refused: Refused = field(default_factory=list)
    read: int = 0
    progress: Progress | None = None


class _Writer:
    """Writes each chunk on a thread of its own while the next one is read and checked (the database works while
    Python parses), one chunk at a time: the chunk being written and the one being read are all the import holds.

    A chunk's rejects reach the file once it is written, in the order of their lines."""

    def __init__(self, importer: _Importer, rejects: _Rejects, on_progress: Callable[[Progress], None] | None):
        self.importer = importer
        self.rejects = rejects
        self.on_progress = on_progress
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pantau-import")
        self.writing: tuple[_Chunk, Future[Refused]] | None = None

    def submit(self, chunk: _Chunk) -> None:
        self.wait()
        self.writing = (chunk, self.executor.submit(self.importer.flush, list(chunk.rows.values())))

    def wait(self) -> None:
        """Let the chunk being written finish (raising what stopped it), then record its rejects and progress."""
        if self.writing is None:
            return
        chunk, future = self.writing
        self.writing = None
        refused = chunk.refused + future.result()
        refused.sort(key=lambda item: item[0].line)
        for row, reason in refused:
            self.rejects.add(row, reason)
        if chunk.progress is not None and self.on_progress is not None:
            self.on_progress(replace(chunk.progress, rejected=self.rejects.count))

    def close(self) -> None:
        """Wait for the write in flight (whatever stopped the reading, what was read before is written)."""
        try:
            if self.writing is not None:
                self.writing[1].exception()
        finally:
            self.executor.shutdown(wait=True)


def _conflict_reason(exc: IntegrityError) -> str:
    """The rule the row broke, without the database's own words (they may quote other rows' values)."""
    text = str(exc.orig).lower()
    if "email" in text:
        return "email: another user already has this e-mail address"
    if "whatsapp_message_id" in text:
        return "whatsapp_message_id: another message already has this WhatsApp message id"
    return "row: conflicts with what the database holds (a unique value or a check)"


def import_csv(
    engine: Engine,
    table_name: str,
    path: Path,
    *,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportSummary:
    """Import the file into the table; raises ImportRefused (nothing written) when the file as a whole does not fit.
    `on_progress` is called after each batch."""
    spec = TABLES.get(table_name)
    if spec is None:
        raise ImportRefused(f"table {table_name!r}: not a table Pantau imports; use one of {', '.join(TABLES)}")
    rejects_path = rejects_path or default_rejects_path(path)
    summary = ImportSummary(dry_run=dry_run)
    with path.open("rb") as raw:
        counted = _CountingReader(raw)
        text = io.TextIOWrapper(io.BufferedReader(counted), encoding="utf-8-sig", newline="")
        records = _records(text)
        try:
            _, header = next(records)
        except StopIteration:
            raise ImportRefused(f"{path}: empty; the first line must be the header") from None
        except UnicodeDecodeError:
            raise ImportRefused(f"{path}: not UTF-8 text") from None
        header = [name.strip() for name in header]
        _check_header(spec, header)
        checker = _Checker(spec, header)
        rejects = _Rejects(rejects_path, header)
        # The number of rows an INSERT wrote (SQLAlchemy keeps it only when asked).
        connection = engine.connect().execution_options(preserve_rowcount=True)
        try:
            importer = _Importer(connection, spec, header, dry_run)
            writer = _Writer(importer, rejects, on_progress)
            try:
                chunk = _Chunk()
                while True:
                    try:
                        line, cells = next(records)
                    except StopIteration:
                        break
                    except (UnicodeDecodeError, csv.Error) as exc:
                        raise ImportRefused(f"{path}, after line {summary.rows + 1}: unreadable ({exc})") from None
                    summary.rows += 1
                    row = _Row(line=line, cells=cells)
                    try:
                        row.values = checker.values(cells)
                    except ValueError as exc:
                        chunk.refused.append((row, str(exc)))
                    else:
                        chunk.rows[row.values["id"]] = row
                    chunk.read += 1
                    if chunk.read >= batch_rows:
                        chunk.progress = Progress(summary.rows, counted.count, 0)
                        writer.submit(chunk)
                        chunk = _Chunk()
                writer.submit(chunk)
                writer.wait()
            finally:
                writer.close()
        finally:
            rejects.close()
            connection.close()
    summary.written = importer.written
    summary.rejected = rejects.count
    summary.rejects_path = rejects_path if rejects.count else None
    if on_progress is not None:
        on_progress(Progress(summary.rows, counted.count, rejects.count))
    return summary
