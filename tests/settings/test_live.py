"""A settings change reaches the live pages (SPEC §8.5): a page subscribed to the KPI strip is pushed the strip under
the new SLA target as soon as an owner saves it. A real server, real WebSockets, on each dialect."""

from __future__ import annotations

import httpx2

from tests.realtime.conftest import open_socket, world_url  # noqa: F401 - the live dashboard's served world
from tests.support.auth import PASSWORD


def target(message: dict) -> int:
    return message["data"]["avgResponseTime"]["slaTargetSeconds"]


def test_a_saved_sla_target_is_pushed_to_a_subscribed_page(world_url):  # noqa: F811
    base_url, world, _database_url = world_url
    # A supervisor's page: a settings change touches every scope.
    socket = open_socket(base_url, world.headers("sup-a"))
    try:
        assert socket.subscribe(["kpi"])["type"] == "subscribed"
        first = socket.until(lambda m: m.get("type") == "section" and m["section"] == "kpi")
        assert target(first) == 300

        with httpx2.Client(base_url=base_url) as owner:
            signed_in = owner.post("/login", data={"email": "owner@example.test", "password": PASSWORD})
            assert signed_in.status_code == 303, signed_in.text
            saved = owner.patch("/api/settings", json={"sla_first_response_seconds": 450})
            assert saved.status_code == 200, saved.text

        pushed = socket.until(lambda m: m.get("type") == "section" and m["section"] == "kpi" and target(m) != 300)
        assert target(pushed) == 450
    finally:
        socket.connection.close()
