"""The live dashboard's tests run a real server (uvicorn) on a fresh migrated database of each dialect and talk to it
over real WebSockets (the `websockets` client) and HTTP (httpx2)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import httpx2
import pytest
from websockets.sync.client import ClientConnection, connect

from pantau.migrations.runner import upgrade
from tests.realtime.world import World, plant
from tests.support.databases import engine_for
from tests.web.server import serving

# An upper bound on waiting for something that should happen at once; a test never passes because time ran out.
WAIT_SECONDS = 30.0


class Socket:
    """A client of /api/dashboard/realtime that keeps every message it got and checks each push with `check`."""

    def __init__(self, connection: ClientConnection, check: Callable[[dict, str], None] | None = None) -> None:
        self.connection = connection
        self.check = check
        self.messages: list[dict] = []
        self.raw: list[str] = []

    def send(self, message: dict | str) -> None:
        self.connection.send(message if isinstance(message, str) else json.dumps(message))

    def receive(self) -> dict:
        text = self.connection.recv(timeout=WAIT_SECONDS)
        message = json.loads(text)
        if self.check is not None and message.get("type") == "section":
            self.check(message, text)
        self.messages.append(message)
        self.raw.append(text)
        return message

    def until(self, wanted: Callable[[dict], bool]) -> dict:
        """The first message (from now on) that is wanted; the others are kept (and checked) on the way."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            message = self.receive()
            if wanted(message):
                return message
        raise AssertionError("the wanted message did not come")

    def subscribe(self, sections: list[str], **filters: str) -> dict:
        self.send({"type": "subscribe", "sections": sections, "filters": filters})
        return self.until(lambda m: m["type"] in ("subscribed", "error"))

    def pushes(self, section: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == "section" and m["section"] == section]


@pytest.fixture
def world_url(fresh_database_url) -> Iterator[tuple[str, World, str]]:
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    world = plant(engine)
    engine.dispose()
    with serving(fresh_database_url) as base_url:
        yield base_url, world, fresh_database_url


def open_socket(base_url: str, headers: dict[str, str], check=None, origin: str | None = None) -> Socket:
    url = base_url.replace("http://", "ws://") + "/api/dashboard/realtime"
    return Socket(connect(url, additional_headers=headers, origin=origin, open_timeout=WAIT_SECONDS, proxy=None), check)


def http_section(base_url: str, headers: dict[str, str], section: str) -> bytes:
    response = httpx2.get(f"{base_url}/api/dashboard/{section}", headers=headers)
    assert response.status_code == 200, response.text
    return response.content
