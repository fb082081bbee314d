"""The read-through cache of SPEC §6 over both stores: hits, expiry, versioned invalidation, single flight, and
answering uncached when Redis is down or slow."""

from __future__ import annotations

import logging
import threading
import time
import types
from collections.abc import Callable

import pytest

from pantau.cache import dashboard_cache
from pantau.cache.dashboard_cache import (
    CACHE_ERRORS,
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
    """Counts how often the answer is computed; each computation first waits for `until()` (when given), so a test
    can hold it until the other callers are where the test needs them."""

    def __init__(self, answer: bytes = b'{"value": 1}', until: Callable[[], None] | None = None) -> None:
        self.answer = answer
        self.until = until
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            self.calls += 1
        if self.until is not None:
            self.until()
        return self.answer


class Waiting:
    """Counts the callers of this cache waiting for another thread's computation of the same entry (installed as
    the cache module's flight event, see `waiting_followers`)."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def wait_for(self, count: int) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.count >= count, timeout=30):
                raise AssertionError(f"only {self.count} of {count} callers came to wait for the computation")


@pytest.fixture
def waiting_followers(monkeypatch) -> Waiting:
    waiting = Waiting()

    class CountedFlight(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            with waiting.changed:
                waiting.count += 1
                waiting.changed.notify_all()
            return super().wait(timeout)

    monkeypatch.setattr(dashboard_cache, "threading", types.SimpleNamespace(Event=CountedFlight, Lock=threading.Lock))
    return waiting


class ReadTally:
    """How often the stores counted into it were read; a computation can be held until they were read enough."""

    def __init__(self) -> None:
        self.reads = 0
        self.changed = threading.Condition()

    def wait_for(self, count: int) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.reads >= count, timeout=30):
                raise AssertionError(f"the stores were read {self.reads} times, not {count}")


class CountedReads:
    """A real store whose reads are counted into a tally."""

    def __init__(self, store, tally: ReadTally) -> None:
        self._store = store
        self._tally = tally

    def get(self, key: str) -> bytes | None:
        value = self._store.get(key)
        with self._tally.changed:
            self._tally.reads += 1
            self._tally.changed.notify_all()
        return value

    def __getattr__(self, name: str):
        return getattr(self._store, name)


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


def test_identical_concurrent_misses_compute_once(make_cache, waiting_followers):
    cache = make_cache()
    # The first caller's computation goes on only once the seven others wait for it.
    compute = Computation(until=lambda: waiting_followers.wait_for(7))
    results = _concurrently(*[lambda: cache.read_through(KPI, compute)] * 8)
    assert compute.calls == 1
    assert sorted(outcome for _, outcome in results) == ["hit"] * 7 + ["miss"]
    assert {body for body, _ in results} == {b'{"value": 1}'}


def test_two_processes_sharing_redis_compute_once(redis_url, cache_namespace):
    """Two caches on one Redis stand for two web processes: their single flight goes through a Redis lock."""
    reads = ReadTally()
    first = DashboardCache(CountedReads(RedisStore(redis_url, 5), reads), 30, cache_namespace)
    second = DashboardCache(CountedReads(RedisStore(redis_url, 5), reads), 30, cache_namespace)
    # Whoever holds the lock has read once (its miss); it computes only once the other has missed too, found the
    # lock taken and polled for the answer: three reads.
    compute = Computation(until=lambda: reads.wait_for(3))
    results = _concurrently(lambda: first.read_through(KPI, compute), lambda: second.read_through(KPI, compute))
    assert compute.calls == 1
    assert sorted(outcome for _, outcome in results) == ["hit", "miss"]


def test_a_stopped_redis_answers_uncached_warns_and_counts(private_redis, caplog):
    # A stopped server refuses at once: the generous timeout only keeps a busy machine from failing the first read.
    cache = DashboardCache(RedisStore(private_redis.url, 5), 30, "pantau-test")
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


class SteppedClock:
    """The cache module's monotonic clock, moved on by the test (the back-off is measured on it); the store's socket
    timeout keeps the real clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# Comfortable on a loaded machine for a Redis that answers, and still only bounding the stalled one's cost.
STALL_TIMEOUT_SECONDS = 2.0
# Bounds a hang only (a store that waits without a timeout), never decides pass or fail on a working one.
HANG_SECONDS = 60


def read_in_a_thread(cache: DashboardCache, compute: Computation) -> tuple[bytes, str]:
    answers: list[tuple[bytes, str]] = []
    reader = threading.Thread(target=lambda: answers.append(cache.read_through(KPI, compute)), daemon=True)
    reader.start()
    reader.join(HANG_SECONDS)
    assert not reader.is_alive(), "the read never gave up on the stalled store"
    return answers[0]


def test_a_stalled_redis_is_answered_uncached_left_alone_and_used_again_once_it_answers(
    private_redis, monkeypatch, caplog
):
    """A server that accepts the connection and never answers (SIGSTOP): the read gives up at the store's timeout, the
    answer is computed uncached, the error counted and logged, and the store is left alone for the back-off (the
    next request does not ask it). Once the server answers again (SIGCONT) and the back-off has passed, the cache
    stores and serves again."""
    clock = SteppedClock()
    monkeypatch.setattr(dashboard_cache, "time", clock)
    cache = DashboardCache(RedisStore(private_redis.url, STALL_TIMEOUT_SECONDS), 30, "pantau-test")
    compute = Computation()
    errors_before = CACHE_ERRORS._value.get()
    private_redis.pause()
    try:
        with caplog.at_level(logging.WARNING, logger="pantau.cache"):
            assert read_in_a_thread(cache, compute) == (b'{"value": 1}', "bypass")
        assert (compute.calls, CACHE_ERRORS._value.get()) == (1, errors_before + 1)
        assert "cache store unavailable (TimeoutError during read); answering uncached" in caplog.text
        # Within the back-off the stalled store is not asked again: computed uncached, no second error.
        assert read_in_a_thread(cache, compute) == (b'{"value": 1}', "bypass")
        assert (compute.calls, CACHE_ERRORS._value.get()) == (2, errors_before + 1)
    finally:
        private_redis.resume()
    private_redis.wait_until_answering()
    clock.now += dashboard_cache.BACKOFF_SECONDS
    assert read_in_a_thread(cache, compute) == (b'{"value": 1}', "miss")
    assert read_in_a_thread(cache, compute) == (b'{"value": 1}', "hit")
    assert (compute.calls, CACHE_ERRORS._value.get()) == (3, errors_before + 1)


def test_the_store_is_tried_again_after_the_back_off(private_redis, monkeypatch):
    """The back-off is measured on the cache module's clock, stepped here: a busy machine cannot let it run out
    between two reads, and no sleep decides the outcome."""
    clock = SteppedClock()
    monkeypatch.setattr(dashboard_cache, "time", clock)
    cache = DashboardCache(RedisStore(private_redis.url, 5), 30, "pantau-test")
    compute = Computation()
    private_redis.stop()
    failed_at = clock.now
    assert cache.read_through(KPI, compute)[1] == "bypass"
    private_redis.restart()
    clock.now = failed_at + dashboard_cache.BACKOFF_SECONDS * 0.99
    assert cache.read_through(KPI, compute)[1] == "bypass", "within the back-off the store is not asked"
    clock.now = failed_at + dashboard_cache.BACKOFF_SECONDS
    assert cache.read_through(KPI, compute)[1] == "miss"
    assert cache.read_through(KPI, compute)[1] == "hit"


def test_a_failed_computation_releases_its_flight(make_cache):
    """The next identical request computes at once instead of waiting for a lock nobody holds any more."""
    cache = make_cache()

    def failing() -> bytes:
        raise RuntimeError("database blip")

    with pytest.raises(RuntimeError):
        cache.read_through(KPI, failing)

    assert cache._flights == {}, "no thread of this process is left waiting for the failed computation"
    assert cache.store.acquire(f"{cache._key(KPI)}:lock", 1), "the lock other processes wait on is free"
    cache.store.release(f"{cache._key(KPI)}:lock")
    assert cache.read_through(KPI, Computation()) == (b'{"value": 1}', "miss")


def test_invalidate_dashboard_cache_invalidates_every_section(make_cache):
    cache, compute = make_cache(), Computation()
    load = CacheKeyParts("customer-load", {"range": "24h@2026-03-04"}, "all|phones", "Asia/Jakarta")
    cache.read_through(KPI, compute)
    cache.read_through(load, compute)
    invalidate_dashboard_cache(cache)
    assert [cache.read_through(parts, compute)[1] for parts in (KPI, load)] == ["miss", "miss"]


def test_a_waiter_whose_lock_holder_died_computes_after_the_wait(redis_url, cache_namespace, monkeypatch):
    """Another process took the entry's lock and died before storing an answer: the lock is left behind. The waiter
    polls for the flight's wait (shortened here), then computes and stores the answer itself."""
    monkeypatch.setattr(dashboard_cache, "FLIGHT_WAIT_SECONDS", 0.3)
    cache = DashboardCache(RedisStore(redis_url, 5), 30, cache_namespace)
    assert cache.store.acquire(f"{cache._key(KPI)}:lock", 600), "the dead holder's lock, never released"
    compute = Computation()

    started = time.monotonic()
    assert cache.read_through(KPI, compute) == (b'{"value": 1}', "miss")
    assert time.monotonic() - started >= 0.3, "it waited for the holder first"
    assert compute.calls == 1
    assert cache.read_through(KPI, compute) == (b'{"value": 1}', "hit")


def test_answers_computed_together_are_filled_under_the_keys_read_through_reads(make_cache):
    cache, compute = make_cache(), Computation(b'{"computed": true}')
    ana = CacheKeyParts("kpi", {"range": "today@2026-03-04"}, "own:ana|masked", "Asia/Jakarta")
    cache.fill("kpi", [(KPI, b'{"who": "all"}'), (ana, b'{"who": "ana"}')])
    assert cache.read_through(KPI, compute) == (b'{"who": "all"}', "hit")
    assert cache.read_through(ana, compute) == (b'{"who": "ana"}', "hit")
    assert compute.calls == 0
    # Filled under the version in force: an invalidation leaves them behind like any entry.
    cache.invalidate("kpi")
    assert cache.read_through(ana, compute) == (b'{"computed": true}', "miss")
    # The cache turned off stores nothing.
    off = make_cache(ttl=0)
    off.fill("kpi", [(KPI, b'{"who": "all"}')])
    assert off.read_through(KPI, compute)[1] == "bypass"
