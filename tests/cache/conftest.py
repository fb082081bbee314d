"""Cache fixtures: the two stores over real backends, an app wired to a given cache, and a Redis of our own that
a test may stop or stall without disturbing anyone else's."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from pantau.web.app import create_app
from pantau.web.deps import get_db
from tests.conftest import commits, make_settings


@pytest.fixture
def cached_app(request, engine, session, settings):
    """`cached_app(**settings)`: the app on the test's transaction with the given cache settings (on its own
    `get_db`, really committing, in a `commits` test); open one TestClient per signed-in user on it."""

    def factory(**overrides):
        app = create_app(settings=make_settings(settings.database_url, **overrides), engine=engine)
        if commits(request):
            return app

        def _test_session():
            yield session
            session.flush()

        app.dependency_overrides[get_db] = _test_session
        return app

    return factory


@pytest.fixture
def redis_app(cached_app, redis_url, cache_namespace):
    """The app with its answers cached in the test's Redis namespace."""
    return cached_app(redis_url=redis_url, cache_namespace=cache_namespace)


@pytest.fixture
def remembered_for_an_hour(monkeypatch):
    """Entries that never lapse during a test: what refuses a changed credential there is the epoch alone."""
    from pantau.auth import credential_cache

    monkeypatch.setattr(credential_cache, "REMEMBER_SECONDS", 3600.0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server process started for one test."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is needed for the tests; run the README's test command")
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_until_answering()

    def wait_until_answering(self) -> None:
        """Return once the server answers a PING; refuse to carry on with a server that never did."""
        client = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)
        deadline = time.monotonic() + 60
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError as exc:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"the test's own redis-server on port {self.port} never answered") from exc
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        """Start the server again on the same port (after `stop`), answering before this returns."""
        self.process = subprocess.Popen(self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_until_answering()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted by the kernel but nothing answers, as with a Redis
        that is alive but too slow."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    yield server
    if server.process.poll() is None:
        server.resume()
        server.stop()
