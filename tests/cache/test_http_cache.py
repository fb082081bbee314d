"""The cache as callers meet it: per-scope entries (never a leak between scopes), the X-Cache header, /metrics,
`pantau cache clear`, and every section still answering when Redis stops."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from pantau.cache.dashboard_cache import invalidate_section_cache
from pantau.dashboard.router import SECTIONS
from pantau.models import AuditLogEntry
from tests.support.auth import PASSWORD_HASH, sign_in

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits


@pytest.fixture
def organisation(data, pinned_now):
    """Team A (agents ana and adi, supervisors sri and sari), team B (agent budi), an owner; one open conversation
    for each agent today, so every scope counts a different number of them."""
    now = pinned_now
    team_a, team_b = data.make_team("A", id="team-a"), data.make_team("B", id="team-b")
    people = {
        "ana": ("agent", team_a),
        "adi": ("agent", team_a),
        "sri": ("supervisor", team_a),
        "sari": ("supervisor", team_a),
        "budi": ("agent", team_b),
        "olga": ("owner", None),
    }
    for person, (role, team) in people.items():
        data.make_user(role, team=team, id=person, email=f"{person}@pantau.example.com", password_hash=PASSWORD_HASH)
    for agent, team, conversations in (("ana", team_a, 1), ("adi", team_a, 2), ("budi", team_b, 4)):
        for _ in range(conversations):
            data.make_conversation(now - timedelta(minutes=1), team=team, assigned_to=agent)
    return people


def signed_in(app, person: str) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    assert sign_in(client, f"{person}@pantau.example.com").status_code == 303
    return client


def active(response) -> int:
    return response.json()["activeConversations"]["value"]


def test_the_second_identical_read_is_a_hit_with_the_same_body(redis_app, organisation):
    olga = signed_in(redis_app, "olga")
    first, second = olga.get("/api/dashboard/kpi"), olga.get("/api/dashboard/kpi")
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert first.json() == second.json()
    assert active(second) == 7


def test_an_agent_never_receives_an_entry_cached_for_a_supervisor_or_another_agent(redis_app, organisation):
    sri, ana, adi, sari = (signed_in(redis_app, person) for person in ("sri", "ana", "adi", "sari"))

    supervisor = sri.get("/api/dashboard/kpi")
    assert (supervisor.headers["X-Cache"], active(supervisor)) == ("miss", 3)
    first_agent = ana.get("/api/dashboard/kpi")
    assert (first_agent.headers["X-Cache"], active(first_agent)) == ("miss", 1)
    second_agent = adi.get("/api/dashboard/kpi")
    assert (second_agent.headers["X-Cache"], active(second_agent)) == ("miss", 2)
    # Another supervisor of the same team has the same scope and shares the entry.
    same_team = sari.get("/api/dashboard/kpi")
    assert (same_team.headers["X-Cache"], active(same_team)) == ("hit", 3)


def test_a_supervisor_filtering_to_an_agent_shares_nothing_with_the_owner_filtering_the_same(redis_app, organisation):
    sri, olga = signed_in(redis_app, "sri"), signed_in(redis_app, "olga")
    assert sri.get("/api/dashboard/kpi?agentId=ana").headers["X-Cache"] == "miss"
    # Same rows, but the owner sees phone numbers in full: a different entry.
    assert olga.get("/api/dashboard/kpi?agentId=ana").headers["X-Cache"] == "miss"
    assert olga.get("/api/dashboard/kpi?agentId=ana").headers["X-Cache"] == "hit"


def test_week_and_7d_are_one_entry(redis_app, organisation):
    olga = signed_in(redis_app, "olga")
    assert olga.get("/api/dashboard/customer-load?dateRange=7d").headers["X-Cache"] == "miss"
    assert olga.get("/api/dashboard/customer-load?period=week").headers["X-Cache"] == "hit"


def test_without_redis_the_cache_lives_in_the_process(cached_app, organisation):
    app = cached_app(redis_url=None)
    olga = signed_in(app, "olga")
    assert olga.get("/api/dashboard/kpi").headers["X-Cache"] == "miss"
    assert olga.get("/api/dashboard/kpi").headers["X-Cache"] == "hit"


def test_invalidating_a_section_makes_the_next_read_a_miss(redis_app, organisation):
    olga = signed_in(redis_app, "olga")
    olga.get("/api/dashboard/kpi")
    invalidate_section_cache("kpi", redis_app.state.cache)
    assert olga.get("/api/dashboard/kpi").headers["X-Cache"] == "miss"


def test_cache_clear_command_invalidates_through_redis(redis_app, organisation, redis_url, cache_namespace, tmp_path):
    olga = signed_in(redis_app, "olga")
    olga.get("/api/dashboard/kpi")
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "CACHE_NAMESPACE": cache_namespace,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pantau", "cache", "clear", "--section", "kpi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "cleared the cached answers of kpi" in result.stdout
    assert olga.get("/api/dashboard/kpi").headers["X-Cache"] == "miss"


def test_every_read_of_business_impact_is_audited_even_from_the_cache(redis_app, organisation, session):
    olga = signed_in(redis_app, "olga")
    assert olga.get("/api/dashboard/business-impact").headers["X-Cache"] == "miss"
    assert olga.get("/api/dashboard/business-impact").headers["X-Cache"] == "hit"
    reads = session.execute(
        select(func.count()).select_from(AuditLogEntry).where(AuditLogEntry.action == "read:business-impact")
    ).scalar_one()
    assert reads == 2


def test_an_answer_named_by_its_etag_is_not_sent_again(redis_app, organisation):
    olga = signed_in(redis_app, "olga")
    first = olga.get("/api/dashboard/kpi")
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = olga.get("/api/dashboard/kpi", headers={"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", tag)
    assert again.headers["X-Cache"] == "hit"
    among_others = olga.get("/api/dashboard/kpi", headers={"If-None-Match": f'"other", W/{tag}'})
    assert among_others.status_code == 304
    stale = olga.get("/api/dashboard/kpi", headers={"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert (stale.status_code, active(stale), stale.headers["ETag"]) == (200, 7, tag)


def test_a_new_answer_gets_a_new_etag(redis_app, organisation, data, pinned_now):
    olga = signed_in(redis_app, "olga")
    tag = olga.get("/api/dashboard/kpi").headers["ETag"]
    data.make_conversation(pinned_now - timedelta(minutes=1), team="team-b", assigned_to="budi")
    invalidate_section_cache("kpi", redis_app.state.cache)
    fresh = olga.get("/api/dashboard/kpi", headers={"If-None-Match": tag})
    assert (fresh.status_code, active(fresh)) == (200, 8)
    assert fresh.headers["ETag"] != tag


def test_two_scopes_never_share_an_etag_even_for_the_same_bytes(redis_app, organisation, data):
    for person in ("ed", "eve"):  # two agents without a conversation: the same figures, byte for byte
        data.make_user(
            "agent", team="team-b", id=person, email=f"{person}@pantau.example.com", password_hash=PASSWORD_HASH
        )
    ed, eve = signed_in(redis_app, "ed"), signed_in(redis_app, "eve")
    for_ed, for_eve = ed.get("/api/dashboard/kpi"), eve.get("/api/dashboard/kpi")
    assert for_ed.content == for_eve.content
    assert for_ed.headers["ETag"] != for_eve.headers["ETag"]
    # One caller's tag never earns another a 304.
    assert eve.get("/api/dashboard/kpi", headers={"If-None-Match": for_ed.headers["ETag"]}).status_code == 200
    # Nor does an owner's tag for a filtered view earn a supervisor filtering the same rows one.
    olga, sri = signed_in(redis_app, "olga"), signed_in(redis_app, "sri")
    owner_tag = olga.get("/api/dashboard/kpi?agentId=ana").headers["ETag"]
    assert sri.get("/api/dashboard/kpi?agentId=ana", headers={"If-None-Match": owner_tag}).status_code == 200


def test_a_304_of_business_impact_is_audited_too(redis_app, organisation, session):
    olga = signed_in(redis_app, "olga")
    tag = olga.get("/api/dashboard/business-impact").headers["ETag"]
    assert olga.get("/api/dashboard/business-impact", headers={"If-None-Match": tag}).status_code == 304
    reads = session.execute(
        select(func.count()).select_from(AuditLogEntry).where(AuditLogEntry.action == "read:business-impact")
    ).scalar_one()
    assert reads == 2


def cache_counts(client) -> dict[str, float]:
    """The cache counters as /metrics shows them (process-wide, so tests compare before and after)."""
    counts = {"errors": 0.0}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "pantau_cache_requests_total":
                counts[sample.labels["outcome"]] = sample.value
            elif sample.name == "pantau_cache_errors_total":
                counts["errors"] = sample.value
    return counts


def test_metrics_count_hits_and_misses(redis_app, organisation):
    olga = signed_in(redis_app, "olga")
    before = cache_counts(olga)
    olga.get("/api/dashboard/kpi")
    olga.get("/api/dashboard/kpi")
    olga.get("/api/dashboard/customer-load")
    after = cache_counts(olga)
    assert {outcome: after.get(outcome, 0) - before.get(outcome, 0) for outcome in ("hit", "miss", "errors")} == {
        "hit": 1,
        "miss": 2,
        "errors": 0,
    }


def test_with_redis_stopped_every_section_answers_200_uncached(cached_app, organisation, private_redis):
    # A stopped server refuses at once; the generous timeout only keeps a busy machine from failing the first read.
    app = cached_app(redis_url=private_redis.url, cache_redis_timeout_ms=5000)
    olga = signed_in(app, "olga")
    assert olga.get("/api/dashboard/kpi").headers["X-Cache"] == "miss"
    private_redis.stop()
    for section in SECTIONS:
        response = olga.get(f"/api/dashboard/{section}")
        assert (section, response.status_code, response.headers["X-Cache"]) == (section, 200, "bypass")
    assert active(olga.get("/api/dashboard/kpi")) == 7
