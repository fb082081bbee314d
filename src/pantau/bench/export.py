"""`pantau bench export`: the per-conversation export (SPEC §10: 1M rows of L on PostgreSQL at ≥ 50,000 rows/s with
the worker under 300 MB).

The export is downloaded whole from a real `pantau serve` process (one worker, the configured database) with an
owner's API token, as a client would: the time runs from the request to the last byte, the rows are the cohort's
conversations counted in SQL, and the worker's memory is read from the operating system before the download (its
resident set) and after (its peak, VmHWM, which no later moment can lower)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx2
from sqlalchemy import Engine, func, select

from pantau.auth.scope import resolve_scope
from pantau.bench.runner import _database, _machine, _owner, _peak_memory_mb, _revoke, _token_for, served
from pantau.core import clock
from pantau.core.config import Settings
from pantau.core.windows import resolve_window
from pantau.metrics.facts import cohort_in_scope
from pantau.models import Conversation


@dataclass(frozen=True)
class ExportReport:
    database: str
    machine: str
    file_format: str
    parameters: dict[str, str]
    rows: int
    seconds: float
    size_bytes: int
    worker_before_mb: float | None
    worker_peak_mb: float | None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")


def _resident_mb(pid: int) -> float | None:
    """The process's resident memory now (VmRSS)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_export_bench(engine: Engine, settings: Settings, parameters: dict[str, str], file_format: str) -> ExportReport:
    """Download the export once with `parameters` (dateRange, or startDate and endDate) in `file_format`."""
    owner = _owner(engine)
    window = resolve_window(
        now=clock.now(),
        zone=settings.zone,
        preset=parameters.get("dateRange"),
        start_date=parameters.get("startDate"),
        end_date=parameters.get("endDate"),
        default="today",
    )
    with engine.connect() as connection:
        conversations = Conversation.__table__
        rows = connection.execute(
            select(func.count())
            .select_from(conversations)
            .where(cohort_in_scope(resolve_scope(owner), window.start, window.end))
        ).scalar_one()
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    token = _token_for(engine, owner)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with served(settings) as (base_url, pid), httpx2.Client(base_url=base_url, headers=headers) as client:
            before = _resident_mb(pid)
            size = 0
            started = time.perf_counter()
            with client.stream(
                "GET",
                "/api/export/conversations",
                params={**parameters, "format": file_format},
                timeout=httpx2.Timeout(60, read=None),
            ) as response:
                if response.status_code != 200:
                    raise RuntimeError(f"the export answered {response.status_code}: {response.read()[:500]!r}")
                for chunk in response.iter_bytes():
                    size += len(chunk)
            seconds = time.perf_counter() - started
            peak = _peak_memory_mb(pid)
    finally:
        _revoke(engine, token)
    return ExportReport(
        database=_database(engine),
        machine=_machine(),
        file_format=file_format,
        parameters=parameters,
        rows=rows,
        seconds=seconds,
        size_bytes=size,
        worker_before_mb=before,
        worker_peak_mb=peak,
    )
