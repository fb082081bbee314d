"""Fixtures of the page tests: the shop planted in a fresh SQLite database (committed), a real uvicorn server on a free
port serving it, and headless Debian Chromium driven by Playwright (never `playwright install`).

The browser tests run on SQLite only: the numbers the API computes are proven on both databases by the section tests;
here the page is under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pantau.migrations.runner import upgrade
from tests.support.builders import Dataset
from tests.support.databases import dispose_database, engine_for, new_database_url
from tests.web.chromium import launched
from tests.web.server import serving
from tests.web.shop import plant_shop
from tests.web.wide import plant_wide_shop


def _serving_planted(directory, plant, extend=None) -> Iterator[str]:
    url = new_database_url("sqlite", directory)
    engine = engine_for(url)
    upgrade(engine)
    with engine.begin() as connection:
        plant(Dataset(connection), datetime.now(UTC))
    engine.dispose()
    try:
        with serving(url, extend=extend) as base_url:
            yield base_url
    finally:
        dispose_database(url)


@pytest.fixture(scope="session")
def shop_url(tmp_path_factory) -> Iterator[str]:
    """The base URL of a server on the shop, planted once for the session."""
    yield from _serving_planted(tmp_path_factory.mktemp("page"), plant_shop)


class FailingSections:
    """The sections whose API requests fail inside the app while named here: an unexpected exception, answered by
    the app's own 500 handler (`pantau.web.errors`)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def install(self, app) -> None:
        @app.middleware("http")
        async def fail_named_sections(request, call_next):
            section = request.url.path.removeprefix("/api/dashboard/")
            if request.url.path.startswith("/api/dashboard/") and section in self.names:
                raise RuntimeError(f"{section} broke inside the app")
            return await call_next(request)


@pytest.fixture(scope="session")
def failing_sections() -> FailingSections:
    return FailingSections()


@pytest.fixture(scope="session")
def breakable_shop_url(tmp_path_factory, failing_sections) -> Iterator[str]:
    """A server on another copy of the shop whose sections fail for real while `failing_sections` names them."""
    yield from _serving_planted(tmp_path_factory.mktemp("breakable-page"), plant_shop, failing_sections.install)


@pytest.fixture(scope="session")
def wide_shop_url(tmp_path_factory) -> Iterator[str]:
    """The base URL of a server on the shop with wide values (tests/web/wide.py), planted once for the session."""
    yield from _serving_planted(tmp_path_factory.mktemp("wide-page"), plant_wide_shop)


@pytest.fixture(scope="session")
def browser():
    with launched() as chromium:
        yield chromium
