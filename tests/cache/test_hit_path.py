"""The hit path: a cached answer for a caller and settings the process remembers is served on the event loop with one
Redis round trip, giving what the full path gives (bytes, ETag, 304, scope), and every check still takes effect at the
next request: a revoked token, a deactivation, a new role, a sign-out."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from pantau.auth.credential_cache import CredentialCache
from pantau.auth.scope import resolve_scope
from pantau.auth.tokens import issue_token
from pantau.cache.store import RedisStore
from pantau.dashboard import router
from pantau.models import ApiToken, User
from pantau.models.enums import TokenPermission
from tests.conftest import PINNED_NOW
from tests.support.auth import PASSWORD_HASH, sign_in
from tests.support.cli import pantau_env, run_pantau

# Writes through the app with real commits; remembered credentials never lapse, so only the epoch refuses them.
pytestmark = [pytest.mark.commits, pytest.mark.usefixtures("remembered_for_an_hour")]


@pytest.fixture
def organisation(data, pinned_now):
    """An owner, agent ana in team A with one open conversation today, agent budi in team B with two."""
    team_a, team_b = data.make_team("A", id="team-a"), data.make_team("B", id="team-b")
    data.make_user("owner", id="olga", email="olga@pantau.example.com", password_hash=PASSWORD_HASH)
    data.make_user("agent", id="ana", team=team_a, email="ana@pantau.example.com", password_hash=PASSWORD_HASH)
    data.make_user("agent", id="budi", team=team_b)
    data.make_conversation(pinned_now - timedelta(minutes=1), team=team_a, assigned_to="ana")
    for _ in range(2):
        data.make_conversation(pinned_now - timedelta(minutes=1), team=team_b, assigned_to="budi")
    return pinned_now


@pytest.fixture
def full_path(monkeypatch):
    """How many requests went through the full path's checks (`check_section_request`)."""
    calls = {"count": 0}
    check = router.check_section_request

    def counted(*args, **kwargs):
        calls["count"] += 1
        return check(*args, **kwargs)

    monkeypatch.setattr(router, "check_section_request", counted)
    return calls


@pytest.fixture
def hit_path_only(monkeypatch):
    """From here on, the synchronous Redis reads of the full path (the epoch, the versions, the entry) fail the test:
    a request answered on the hit path makes its one round trip without them."""

    def refused(*_args, **_kwargs):
        raise AssertionError("the full path's Redis reads were used")

    def start():
        for owner, name in ((RedisStore, "get"), (RedisStore, "versions"), (CredentialCache, "epoch")):
            monkeypatch.setattr(owner, name, refused)

    return start


def bearer(app, session, user_id: str, permission: TokenPermission = TokenPermission.read) -> TestClient:
    token = issue_token(session, session.get(User, user_id), "reporting script", PINNED_NOW, permission).token
    return TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})


def active(response) -> int:
    return response.json()["activeConversations"]["value"]


def remembered(client: TestClient, url: str, full_path: dict[str, int]) -> bytes:
    """Read `url` until the process remembers the caller and the settings under the epoch in force (a token's first
    use may write to it: its last use), the answer cached; from then on count the full path's checks afresh."""
    first = client.get(url)
    assert first.status_code == 200
    client.get(url)
    full_path["count"] = 0
    return first.content


def test_a_remembered_caller_gets_the_full_paths_answer_without_it(
    redis_app, organisation, session, full_path, hit_path_only
):
    olga = bearer(redis_app, session, "olga")
    first = olga.get("/api/dashboard/kpi")
    assert (first.headers["X-Cache"], active(first)) == ("miss", 3)
    remembered(olga, "/api/dashboard/kpi", full_path)
    hit_path_only()
    again = olga.get("/api/dashboard/kpi")
    assert (again.status_code, again.headers["X-Cache"], full_path["count"]) == (200, "hit", 0)
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert again.headers["Content-Type"] == "application/json"
    named = olga.get("/api/dashboard/kpi", headers={"If-None-Match": first.headers["ETag"]})
    assert (named.status_code, named.content, named.headers["X-Cache"], full_path["count"]) == (304, b"", "hit", 0)


def test_a_ranged_section_is_answered_for_the_range_named(redis_app, organisation, session, full_path):
    olga = bearer(redis_app, session, "olga")
    remembered(olga, "/api/dashboard/kpi", full_path)
    assert olga.get("/api/dashboard/customer-load?dateRange=7d").headers["X-Cache"] == "miss"
    assert olga.get("/api/dashboard/customer-load?period=week").headers["X-Cache"] == "hit"
    assert full_path["count"] == 1
    # Another range is another entry: a miss on the full path, not the 7-day answer.
    assert olga.get("/api/dashboard/customer-load?dateRange=30d").headers["X-Cache"] == "miss"
    # A bad range is the full path's 400, naming the parameter.
    refused = olga.get("/api/dashboard/customer-load?dateRange=fortnight")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_parameter")
    assert refused.json()["detail"].startswith("dateRange")
    assert full_path["count"] == 3


def test_each_scope_reads_its_own_entry(redis_app, organisation, session, full_path):
    olga, ana = bearer(redis_app, session, "olga"), bearer(redis_app, session, "ana")
    remembered(olga, "/api/dashboard/kpi", full_path)
    owners = olga.get("/api/dashboard/kpi")
    assert (owners.headers["X-Cache"], active(owners), full_path["count"]) == ("hit", 3, 0)
    # The agent is remembered (her own strip, read twice); the owner's answer is never hers.
    assert active(ana.get("/api/dashboard/kpi")) == 1
    remembered(ana, "/api/dashboard/kpi", full_path)
    mine = ana.get("/api/dashboard/kpi")
    assert (mine.headers["X-Cache"], active(mine), full_path["count"]) == ("hit", 1, 0)
    # One caller's tag earns another no 304.
    assert ana.get("/api/dashboard/kpi", headers={"If-None-Match": owners.headers["ETag"]}).status_code == 200


def test_a_narrowed_scope_goes_the_full_path(redis_app, organisation, session, full_path):
    olga = bearer(redis_app, session, "olga")
    remembered(olga, "/api/dashboard/kpi", full_path)
    narrowed = [olga.get("/api/dashboard/kpi?teamId=team-b") for _ in range(2)]
    assert [(response.headers["X-Cache"], active(response)) for response in narrowed] == [("miss", 2), ("hit", 2)]
    assert full_path["count"] == 2
    unknown = olga.get("/api/dashboard/kpi?teamId=nobody")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")


def on_the_hit_path(client: TestClient, url: str, full_path: dict[str, int]) -> None:
    """The caller is remembered and `url`'s answer is served on the hit path."""
    remembered(client, url, full_path)
    response = client.get(url)
    assert (response.status_code, response.headers["X-Cache"], full_path["count"]) == (200, "hit", 0)


def test_a_revoked_token_is_refused_at_the_next_request(redis_app, organisation, session, engine, full_path):
    olga = bearer(redis_app, session, "olga")
    on_the_hit_path(olga, "/api/dashboard/kpi", full_path)
    with engine.begin() as connection:
        connection.execute(update(ApiToken).where(ApiToken.user_id == "olga").values(revoked_at=organisation))
    refused = olga.get("/api/dashboard/kpi")
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")


def test_a_deactivated_user_is_refused_at_the_next_request(redis_app, organisation, session, engine, full_path):
    ana = bearer(redis_app, session, "ana")
    on_the_hit_path(ana, "/api/dashboard/kpi", full_path)
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id == "ana").values(is_active=False))
    assert ana.get("/api/dashboard/kpi").status_code == 401


def test_a_new_role_takes_effect_at_the_next_request(redis_app, organisation, session, engine, full_path):
    olga = bearer(redis_app, session, "olga")
    on_the_hit_path(olga, "/api/dashboard/whatsapp-performance", full_path)
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id == "olga").values(role="agent", team_id="team-a"))
    refused = olga.get("/api/dashboard/whatsapp-performance")
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    # And the strip is the agent's own from the next request on.
    assert active(olga.get("/api/dashboard/kpi")) == 0


def test_a_signed_out_cookie_is_refused_at_the_next_request(redis_app, organisation, full_path):
    ana = TestClient(redis_app, base_url="http://testserver")
    assert sign_in(ana, "ana@pantau.example.com").status_code == 303
    on_the_hit_path(ana, "/api/dashboard/kpi", full_path)
    cookie = ana.cookies.get("pantau_session")
    assert ana.post("/logout", follow_redirects=False).status_code == 303
    replay = TestClient(redis_app, base_url="http://testserver", cookies={"pantau_session": cookie})
    assert replay.get("/api/dashboard/kpi").status_code == 401


def test_an_ingest_token_reads_nothing_even_when_remembered(redis_app, organisation, session, full_path):
    on_the_hit_path(bearer(redis_app, session, "olga"), "/api/dashboard/kpi", full_path)
    sender = bearer(redis_app, session, "olga", TokenPermission.ingest)
    refused = [sender.get("/api/dashboard/kpi") for _ in range(3)]
    assert [(response.status_code, response.json()["error"]) for response in refused] == [(403, "forbidden")] * 3


def test_an_agent_is_refused_a_management_section_even_when_an_answer_is_there(
    redis_app, organisation, session, full_path
):
    ana = bearer(redis_app, session, "ana")
    on_the_hit_path(ana, "/api/dashboard/kpi", full_path)
    # An answer for her scope that the API never stores: the hit path must refuse before it looks.
    section = router.SECTIONS["whatsapp-performance"]
    _, settings = redis_app.state.credentials.peek_settings()
    window = router.section_window(section, settings, router.RangeParameters())
    key = router.section_cache_key(section.name, resolve_scope(session.get(User, "ana")), window, settings)
    redis_app.state.cache.read_through(key, lambda: b'{"planted": true}')
    refused = ana.get("/api/dashboard/whatsapp-performance")
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")


def another_process(engine, tmp_path, redis_url, cache_namespace, *arguments: str) -> None:
    done = run_pantau(
        *arguments,
        database_url=engine.url.render_as_string(hide_password=False),
        cwd=tmp_path,
        extra_env={"REDIS_URL": redis_url, "CACHE_NAMESPACE": cache_namespace},
    )
    assert done.returncode == 0, done.stderr


def test_a_token_revoked_by_another_process_is_refused_at_the_next_request(
    redis_app, organisation, session, engine, full_path, tmp_path, redis_url, cache_namespace
):
    token = issue_token(session, session.get(User, "olga"), "reporting script", PINNED_NOW).token
    olga = TestClient(redis_app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    on_the_hit_path(olga, "/api/dashboard/kpi", full_path)
    another_process(engine, tmp_path, redis_url, cache_namespace, "token", "revoke", token[:11])
    refused = olga.get("/api/dashboard/kpi")
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")


# A write to the settings by hand, in a process of its own: it bumps the epoch (as every write to them does) but does
# not invalidate the cached answers, so an answer computed under the old settings is still stored.
_SETTINGS_BY_HAND = """
import datetime, os
from sqlalchemy import insert
from pantau.core.database import make_engine
from pantau.models import BusinessSetting
with make_engine(os.environ["DATABASE_URL"]).begin() as connection:
    connection.execute(insert(BusinessSetting).values(
        key="sla_first_response_seconds", value=120, updated_at=datetime.datetime.now(datetime.UTC)))
"""


def test_settings_saved_by_another_process_are_in_force_at_the_next_request(
    redis_app, organisation, session, engine, full_path, tmp_path, redis_url, cache_namespace
):
    olga = bearer(redis_app, session, "olga")
    on_the_hit_path(olga, "/api/dashboard/kpi", full_path)
    subprocess.run(
        [sys.executable, "-c", _SETTINGS_BY_HAND],
        env=pantau_env(
            engine.url.render_as_string(hide_password=False),
            {"REDIS_URL": redis_url, "CACHE_NAMESPACE": cache_namespace},
        ),
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    # The caller is looked up again under the new epoch; the settings are not read until a section asks for them.
    assert olga.get("/api/me").status_code == 200
    changed = olga.get("/api/dashboard/kpi")
    assert (changed.status_code, changed.headers["X-Cache"], full_path["count"]) == (200, "miss", 1)
