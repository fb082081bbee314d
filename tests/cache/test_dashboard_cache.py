"""The read-through cache of SPEC §6 over both stores: hits, expiry, versioned invalidation, single flight, and
answering uncached when Redis is down or slow."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from pantau.cache.dashboard_cache import (
    CACHE_ERRORS,
    FLIGHT_WAIT_SECONDS,
    CacheKeyParts,
    DashboardCache,
    invalidate_dashboard_cache,
)
from pantau.cache.store import MemoryStore, RedisStore

KPI = CacheKeyParts(
    section="kpi", parameters={"range": "today@2026-03-04"}, scope_key="all|phones", timezone="Asia/Jakarta"
)


@pytest.fixture(params=["memory", "redis"])
def make_cache(request, redis_url, cache_namespace):
    def factory(ttl: float = 30) -> DashboardCache:
        store = MemoryStore() if request.param == "memory" else RedisStore(redis_url, timeout_seconds=1)
        return DashboardCache(store, ttl, cache_namespace)

    return factory


class Computation:
    """Counts how often the answer is computed; each computation takes `seconds`."""

    def __init__(self, answer: bytes = b'{"value": 1}', seconds: float = 0) -> None:
        self.answer = answer
        self.seconds = seconds
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        return self.answer


def test_a_miss_computes_and_stores_then_a_hit_serves_it(make_cache):
    cache, compute = make_cache(), Computation()
    assert cache.read_through(KPI, compute) == (b'{"value": 1}', "miss")
    assert cache.read_through(KPI, compute) == (b'{"value": 1}', "hit")
    assert compute.calls == 1


def test_other_parameters_scope_or_time_zone_are_other_entries(make_cache):
    cache, compute = make_cache(), Computation()
    cache.read_through(KPI, compute)
    for other in (
        CacheKeyParts("kpi", {"range": "today@2026-03-05"}, "all|phones", "Asia/Jakarta"),
        CacheKeyParts("kpi", {"range": "today@2026-03-04"}, "own:ana|masked", "Asia/Jakarta"),
        CacheKeyParts("kpi", {"range": "today@2026-03-04"}, "all|phones", "Asia/Makassar"),
        CacheKeyParts("customer-load", {"range": "today@2026-03-04"}, "all|phones", "Asia/Jakarta"),
    ):
        assert cache.read_through(other, compute)[1] == "miss"
    assert compute.calls == 5


def test_entries_expire_after_the_ttl(make_cache):
    cache, compute = make_cache(ttl=0.2), Computation()
    cache.read_through(KPI, compute)
    time.sleep(0.3)
    assert cache.read_through(KPI, compute)[1] == "miss"
    assert compute.calls == 2


def test_a_ttl_of_zero_turns_the_cache_off(make_cache):
    cache, compute = make_cache(ttl=0), Computation()
    assert cache.read_through(KPI, compute)[1] == "bypass"
    assert cache.read_through(KPI, compute)[1] == "bypass"
    assert compute.calls == 2


def test_invalidating_one_section_leaves_the_others(make_cache):
    cache, compute = make_cache(), Computation()
    load = CacheKeyParts("customer-load", {"range": "24h@2026-03-04"}, "all|phones", "Asia/Jakarta")
    cache.read_through(KPI, compute)
    cache.read_through(load, compute)
    cache.invalidate("kpi")
    assert cache.read_through(KPI, compute)[1] == "miss"
    assert cache.read_through(load, compute)[1] == "hit"


def test_invalidating_everything(make_cache):
    cache, compute = make_cache(), Computation()
    load = CacheKeyParts("customer-load", {"range": "24h@2026-03-04"}, "all|phones", "Asia/Jakarta")
    cache.read_through(KPI, compute)
    cache.read_through(load, compute)
    cache.invalidate()
    assert cache.read_through(KPI, compute)[1] == "miss"
    assert cache.read_through(load, compute)[1] == "miss"


def _concurrently(*actions) -> list:
    """Run the actions in threads released at the same instant; their results in order."""
    results: list = [None] * len(actions)
    barrier = threading.Barrier(len(actions))

    def run(index: int) -> None:
        barrier.wait()
        results[index] = actions[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_identical_concurrent_misses_compute_once(make_cache):
    cache, compute = make_cache(), Computation(seconds=0.3)
    results = _concurrently(*[lambda: cache.read_through(KPI, compute)] * 8)
    assert compute.calls == 1
    assert sorted(outcome for _, outcome in results) == ["hit"] * 7 + ["miss"]
    assert {body for body, _ in results} == {b'{"value": 1}'}


def test_two_processes_sharing_redis_compute_once(redis_url, cache_namespace):
    """Two caches on one Redis stand for two web processes: their single flight goes through a Redis lock."""
    first = DashboardCache(RedisStore(redis_url, 1), 30, cache_namespace)
    second = DashboardCache(RedisStore(redis_url, 1), 30, cache_namespace)
    compute = Computation(seconds=0.3)
    results = _concurrently(lambda: first.read_through(KPI, compute), lambda: second.read_through(KPI, compute))
    assert compute.calls == 1
    assert sorted(outcome for _, outcome in results) == ["hit", "miss"]


def test_a_stopped_redis_answers_uncached_warns_and_counts(private_redis, caplog):
    cache = DashboardCache(RedisStore(private_redis.url, 0.1), 30, "pantau-test")
    compute = Computation()
    assert cache.read_through(KPI, compute)[1] == "miss"
    private_redis.stop()
    errors_before = CACHE_ERRORS._value.get()
    with caplog.at_level(logging.WARNING, logger="pantau.cache"):
        assert cache.read_through(KPI, compute) == (b'{"value": 1}', "bypass")
        # Within the back-off the store is not asked again: one error for two requests.
        assert cache.read_through(KPI, compute)[1] == "bypass"
    assert CACHE_ERRORS._value.get() == errors_before + 1
    assert "answering uncached" in caplog.text
    assert compute.calls == 3


def test_a_stalled_redis_costs_its_timeout_not_the_request(private_redis):
    cache = DashboardCache(RedisStore(private_redis.url, 0.1), 30, "pantau-test")
    compute = Computation()
    cache.read_through(KPI, compute)  # connection established while the server still answers
    private_redis.pause()
    try:
        assert cache.read_through(KPI, compute) == (b'{"value": 1}', "bypass")
    finally:
        private_redis.resume()
    assert compute.calls == 2


def test_the_store_is_tried_again_after_the_back_off(private_redis, monkeypatch):
    from pantau.cache import dashboard_cache

    monkeypatch.setattr(dashboard_cache, "BACKOFF_SECONDS", 0.2)
    cache = DashboardCache(RedisStore(private_redis.url, 0.1), 30, "pantau-test")
    compute = Computation()
    private_redis.pause()
    assert cache.read_through(KPI, compute)[1] == "bypass"
    private_redis.resume()
    time.sleep(0.3)
    assert cache.read_through(KPI, compute)[1] == "miss"
    assert cache.read_through(KPI, compute)[1] == "hit"


def test_a_failed_computation_releases_its_flight(make_cache):
    """The next identical request computes at once instead of waiting for a lock nobody holds any more."""
    cache = make_cache()

    def failing() -> bytes:
        raise RuntimeError("database blip")

    with pytest.raises(RuntimeError):
        cache.read_through(KPI, failing)
    started = time.monotonic()
    assert cache.read_through(KPI, Computation()) == (b'{"value": 1}', "miss")
    assert time.monotonic() - started < FLIGHT_WAIT_SECONDS


def test_invalidate_dashboard_cache_invalidates_every_section(make_cache):
    cache, compute = make_cache(), Computation()
    load = CacheKeyParts("customer-load", {"range": "24h@2026-03-04"}, "all|phones", "Asia/Jakarta")
    cache.read_through(KPI, compute)
    cache.read_through(load, compute)
    invalidate_dashboard_cache(cache)
    assert [cache.read_through(parts, compute)[1] for parts in (KPI, load)] == ["miss", "miss"]
