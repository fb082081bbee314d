"""The socket against a real server, on SQLite and PostgreSQL: credentials and Origin, subscribe messages checked as
the HTTP API checks its parameters, and pushes that never carry anything outside the subscriber's scope."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx2
import psycopg
import pytest
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed

from pantau.models import ApiToken
from pantau.realtime import endpoint
from pantau.realtime.database_watch import CHANNEL, libpq_url
from tests.realtime.conftest import Socket, http_section, open_socket
from tests.realtime.world import PEOPLE, opened
from tests.support.auth import PASSWORD
from tests.support.builders import Dataset
from tests.support.databases import engine_for
from tests.support.sections import AGENT_SECTIONS
from tests.support.sections import EVERY_SECTION as ALL_SECTIONS


def _never_mentions(*outsiders: str):
    """A push check: the push's text names none of the outsiders (their ids, names, conversations)."""

    def check(message: dict, text: str) -> None:
        for outsider in outsiders:
            assert outsider not in text, f"{message['section']} pushed {outsider!r}"

    return check


def _outside(*people: str) -> list[str]:
    words = []
    for person in people:
        words += [f'"{person}"', PEOPLE[person][2], f"conv-{person}"]
    return words


def _active(message: dict) -> int:
    return message["data"]["activeConversations"]["value"]


def _send_events(base_url: str, token: str, body: dict) -> None:
    response = httpx2.post(f"{base_url}/api/ingest/events", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert all(result["outcome"] == "accepted" for result in response.json()["results"]), response.text


def test_pushes_stay_in_scope_and_match_the_http_answer(world_url):
    base_url, world, _ = world_url
    ana = open_socket(base_url, world.headers("ana"), _never_mentions(*_outside("budi", "citra", "sup-b")))
    sup_a = open_socket(base_url, world.headers("sup-a"), _never_mentions(*_outside("citra", "sup-b"), "team-b"))
    owner = open_socket(base_url, world.headers("owner"))
    assert ana.subscribe(AGENT_SECTIONS)["sections"] == AGENT_SECTIONS
    assert sup_a.subscribe(ALL_SECTIONS)["sections"] == ALL_SECTIONS
    owner.subscribe(["kpi"])
    for socket, expected in ((ana, 1), (sup_a, 2), (owner, 3)):
        assert _active(socket.until(lambda m: m.get("section") == "kpi")) == expected

    now = datetime.now(UTC)
    # Team B's and Budi's new conversations: outside Ana's scope, Budi's inside Sinta's.
    _send_events(base_url, world.ingest_token, opened("citra", "conv-citra-1", "cust-1", now))
    assert _active(owner.until(lambda m: m.get("section") == "kpi")) == 4
    _send_events(base_url, world.ingest_token, opened("budi", "conv-budi-1", "cust-2", now))
    assert _active(owner.until(lambda m: m.get("section") == "kpi")) == 5
    assert _active(sup_a.until(lambda m: m.get("section") == "kpi" and _active(m) == 3)) == 3
    # Ana's own: her KPI moves, and it is what the API answers her.
    _send_events(base_url, world.ingest_token, opened("ana", "conv-ana-1", "cust-3", now))
    pushed = ana.until(lambda m: m.get("section") == "kpi" and _active(m) == 2)
    assert [_active(m) for m in ana.pushes("kpi")] == [1, 2]
    raw = ana.raw[ana.messages.index(pushed)]
    assert json.loads(raw)["data"] == json.loads(http_section(base_url, world.headers("ana"), "kpi"))
    assert http_section(base_url, world.headers("ana"), "kpi").decode() in raw
    sup_a.until(lambda m: m.get("section") == "kpi" and _active(m) == 4)
    for socket in (ana, sup_a, owner):
        socket.connection.close()


def test_a_page_of_another_site_is_refused(world_url):
    base_url, _, _ = world_url
    with httpx2.Client(base_url=base_url) as browser:
        signed_in = browser.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
        assert signed_in.status_code in (200, 303), signed_in.text
        cookie = {"Cookie": f"pantau_session={browser.cookies['pantau_session']}"}
    host = base_url.removeprefix("http://")
    foreign = open_socket(base_url, cookie, origin="http://evil.example")
    with pytest.raises(ConnectionClosed) as closed:
        foreign.connection.recv(timeout=30)
    assert closed.value.rcvd.code == 1008
    no_origin = open_socket(base_url, cookie)
    with pytest.raises(ConnectionClosed) as closed:
        no_origin.connection.recv(timeout=30)
    assert closed.value.rcvd.code == 1008
    page = open_socket(base_url, cookie, origin=f"http://{host}")
    assert page.subscribe(["kpi"])["type"] == "subscribed"
    page.connection.close()


def test_no_credentials_or_an_ingest_token_is_refused(world_url):
    base_url, world, _ = world_url
    for headers in ({}, {"Authorization": "Bearer pt_unknown"}, {"Authorization": f"Bearer {world.ingest_token}"}):
        socket = open_socket(base_url, headers)
        with pytest.raises(ConnectionClosed) as closed:
            socket.connection.recv(timeout=30)
        assert closed.value.rcvd.code == 1008


def test_bad_subscribe_messages_get_an_error_and_the_socket_stays_usable(world_url):
    base_url, world, _ = world_url
    socket: Socket = open_socket(base_url, world.headers("ana"))
    refused = [
        ("not json", 400, "invalid_message", "message: not JSON"),
        ({"type": "watch", "sections": ["kpi"]}, 400, "invalid_message", "type:"),
        ({"type": "subscribe", "sections": []}, 400, "invalid_message", "sections:"),
        ({"type": "subscribe", "sections": ["nope"]}, 404, "unknown_section", "section: no section 'nope'"),
        ({"type": "subscribe", "sections": ["business-impact"]}, 403, "forbidden", "business-impact:"),
        (
            {"type": "subscribe", "sections": ["customer-load"], "filters": {"dateRange": "fortnight"}},
            400,
            "invalid_parameter",
            "dateRange",
        ),
        (
            {"type": "subscribe", "sections": ["customer-load"], "filters": {"startDate": "2026-3-1"}},
            400,
            "invalid_parameter",
            "startDate",
        ),
        ({"type": "subscribe", "sections": ["kpi"], "filters": {"teamId": "team-b"}}, 403, "forbidden", "teamId"),
        ({"type": "subscribe", "sections": ["kpi"], "filters": {"agentId": "budi"}}, 403, "forbidden", "agentId"),
        ({"type": "subscribe", "sections": ["kpi"], "filters": {"teamId": 7}}, 400, "invalid_parameter", "teamId"),
        ({"type": "subscribe", "sections": ["kpi"], "filters": {"colour": "red"}}, 400, "invalid_message", "filters"),
    ]
    for message, status, error, detail in refused:
        socket.send(message)
        answer = socket.receive()
        assert answer["type"] == "error", message
        assert (answer["status"], answer["error"]) == (status, error), answer
        assert answer["detail"].startswith(detail), answer
        http = None
        if isinstance(message, dict) and message.get("sections") == ["customer-load"]:
            http = httpx2.get(
                f"{base_url}/api/dashboard/customer-load", params=message["filters"], headers=world.headers("ana")
            )
            assert http.json() == {"error": error, "detail": answer["detail"]}
    # Still usable: a good subscription gets its pushes.
    assert socket.subscribe(["kpi"], dateRange="")["type"] == "subscribed"
    assert _active(socket.until(lambda m: m.get("type") == "section")) == 1
    socket.connection.close()


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_rows_a_crm_writes_straight_into_postgresql_are_pushed(world_url):
    base_url, world, database_url = world_url
    owner = open_socket(base_url, world.headers("owner"))
    owner.subscribe(["kpi"])
    assert _active(owner.until(lambda m: m.get("section") == "kpi")) == 3
    engine = engine_for(database_url)
    try:
        with engine.begin() as connection:
            Dataset(connection).make_conversation(datetime.now(UTC), id="conv-crm-1", team="team-b", contact="cust-9")
    finally:
        engine.dispose()
    assert _active(owner.until(lambda m: m.get("section") == "kpi" and _active(m) == 4)) == 4
    owner.connection.close()


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_ingest_commits_do_not_notify_they_announce_their_scopes_themselves(world_url):
    base_url, world, database_url = world_url
    engine = engine_for(database_url)
    try:
        with psycopg.connect(libpq_url(engine.url), autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            _send_events(base_url, world.ingest_token, opened("ana", "conv-ana-9", "cust-8", datetime.now(UTC)))
            with engine.begin() as connection:
                Dataset(connection).make_team("Team Gamma", id="team-c")
            # Notifications come in commit order: the first one is the direct write's.
            first = next(listener.notifies(timeout=30, stop_after=1))
            assert first.payload == "teams"
    finally:
        engine.dispose()


def test_a_socket_whose_token_is_revoked_is_closed(world_url, monkeypatch):
    base_url, world, database_url = world_url
    # The server runs in this process: its sockets check their credential every 0.2 s instead of every minute.
    monkeypatch.setattr(endpoint, "CREDENTIAL_CHECK_SECONDS", 0.2)
    socket = open_socket(base_url, world.headers("ana"))
    assert socket.subscribe(["kpi"])["type"] == "subscribed"
    engine = engine_for(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(update(ApiToken).values(revoked_at=datetime.now(UTC)))
    finally:
        engine.dispose()
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.receive()
    assert closed.value.rcvd.code == 1008
