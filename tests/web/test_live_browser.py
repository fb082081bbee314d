"""The page in headless Chromium: pushed answers replace polling (a KPI moves within 2 s of a write, without a
reload), filters resubscribe, and a socket that cannot open leaves the page polling."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx2
import pytest

from pantau.migrations.runner import upgrade
from tests.realtime.world import opened, plant
from tests.support.auth import PASSWORD
from tests.support.databases import dispose_database, engine_for, new_database_url
from tests.web.server import serving

pytestmark = pytest.mark.browser

ACTIVE = "#section-kpi [data-field='activeConversations.value']"
# Pushes must beat the 30-second polling by far: 2 s is the bound for a change to show.
PUSH_SHOWS_WITHIN_MS = 2_000
WAIT_MS = 30_000


def _sign_in(page, base_url: str, person: str, query: str = "") -> None:
    page.goto(f"{base_url}/login?next=/{query}")
    page.fill("#email", f"{person}@example.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    _wait(
        page,
        "document.querySelector('section[data-section]') !== null"
        " && document.querySelectorAll('section[data-section][data-state=\"loading\"]').length === 0",
    )


def _write(base_url: str, token: str, person: str, conversation: str, contact: str) -> None:
    response = httpx2.post(
        f"{base_url}/api/ingest/events",
        json=opened(person, conversation, contact, datetime.now(UTC)),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def world_url(tmp_path):
    """A server of its own over the live dashboard's small organisation (tests/realtime/world.py), on SQLite."""
    url = new_database_url("sqlite", tmp_path)
    engine = engine_for(url)
    upgrade(engine)
    world = plant(engine)
    engine.dispose()
    try:
        with serving(url) as base_url:
            yield base_url, world
    finally:
        dispose_database(url)


def _wait(page, expression: str, timeout: float = WAIT_MS) -> None:
    page.wait_for_function(f"() => {expression}", polling=50, timeout=timeout)


def _active_is(page, value: str, timeout: float = WAIT_MS) -> None:
    _wait(page, f"document.querySelector(\"{ACTIVE}\")?.textContent === '{value}'", timeout)


def test_a_write_shows_on_the_page_within_2_seconds_without_a_reload(browser, world_url, tmp_path):
    base_url, world = world_url
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        _sign_in(page, base_url, "owner")
        _wait(page, "document.getElementById('live').dataset.state === 'live'")
        assert page.text_content(ACTIVE) == "3"
        page.evaluate("window.notReloaded = true")
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))

        _write(base_url, world.ingest_token, "ana", "conv-ana-1", "cust-1")
        _active_is(page, "4", PUSH_SHOWS_WITHIN_MS)
        assert page.evaluate("window.notReloaded") is True
        # Pushed, not polled: the page asked the API nothing for it.
        assert [url for url in requests if "/api/dashboard/" in url] == []
        assert page.get_attribute("#live", "data-state") == "live"
        page.screenshot(path=str(tmp_path / "live.png"))

        # A filter change resubscribes: narrowed to Team Beta, Citra's new conversation moves the KPI.
        page.select_option("#team", "team-b")
        _active_is(page, "1")
        _write(base_url, world.ingest_token, "citra", "conv-citra-1", "cust-2")
        _active_is(page, "2", PUSH_SHOWS_WITHIN_MS)
        assert page.evaluate("window.notReloaded") is True
    finally:
        page.close()


def test_a_socket_that_cannot_open_leaves_the_page_polling(browser, world_url):
    base_url, _ = world_url
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        # A proxy that does not pass the upgrade: every socket is closed at once.
        page.route_web_socket(re.compile(r".*/api/dashboard/realtime$"), lambda socket: socket.close())
        _sign_in(page, base_url, "owner")
        _wait(page, "document.getElementById('live').dataset.state === 'polling'")
        assert page.text_content(ACTIVE) == "3"
    finally:
        page.close()
