"""`pantau bench export` downloads the per-conversation export from a server of its own and reports its rows, size
and the worker's memory (no speed is asserted: speed is reported by the command, not tested)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pantau.bench.export import run_export_bench
from pantau.migrations.runner import upgrade
from pantau.models import ApiToken
from tests.conftest import make_settings
from tests.support.builders import Dataset
from tests.support.databases import engine_for


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_bench_counts_the_cohort_and_reads_the_workers_memory(fresh_database_url, file_format):
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        data = Dataset(connection)
        data.make_user("owner", id="olga")
        for days_ago in (1, 2, 3, 40):  # the last is outside 7d
            data.make_conversation(now - timedelta(days=days_ago))
    report = run_export_bench(engine, make_settings(fresh_database_url), {"dateRange": "7d"}, file_format)
    with engine.connect() as connection:
        active_tokens = connection.execute(
            select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
        ).scalar_one()
    engine.dispose()
    assert active_tokens == 0  # the token it measured with is revoked
    assert report.rows == 3
    assert report.size_bytes > 0 and report.seconds > 0
    assert report.worker_peak_mb >= report.worker_before_mb > 0
