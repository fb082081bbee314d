"""The test harness: real SQLite and PostgreSQL (every database test runs on both), real Redis.

Passwords are hashed with cheap argon2 parameters (`use_hasher`), set before any test module hashes one.

Fixtures:
- `connection`: a connection inside a transaction that is rolled back after the test, on each dialect in turn.
- `session`: an ORM session on that connection (its commits become savepoints).
- `data`: a `Dataset` builder writing through `connection`.
- `settings`: settings for the test (development, Asia/Jakarta, the test database).
- `client`: a FastAPI TestClient whose requests use the test's `session`.
- `redis_url`, `cache_namespace`: the real Redis, and a key namespace of the test's own (deleted afterwards).
- `fresh_database_url`: a new, empty database (not migrated) of the test's dialect, dropped afterwards.
- `pinned_now`: the instant the app takes for now (`pantau.core.clock`) for the test: noon in Jakarta, so data
  planted "today" is today whenever the tests run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from pantau.auth.passwords import use_hasher
from pantau.core import clock
from pantau.core.config import Settings
from pantau.migrations.runner import upgrade
from pantau.web.app import create_app
from pantau.web.deps import get_db
from tests.support.builders import Dataset
from tests.support.databases import (
    DIALECTS,
    REDIS_URL,
    create_postgres_database,
    dispose_database,
    drop_postgres_database,
    engine_for,
    new_database_url,
    worker_suffix,
)

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"

# argon2id at its cheapest for the tests (Pantau keeps argon2-cffi's defaults, see tests/auth/test_passwords.py): a
# dozen sign-ins at once then measure the app's locking and commits, not 64 MiB hashes competing for two cores.
use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def _migrated_engines(tmp_path_factory) -> Iterator[dict[str, Engine]]:
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'pantau-test.db'}"
    postgres_name = f"pantau_test_{worker_suffix()}"
    postgres_url = create_postgres_database(postgres_name)
    engines = {"sqlite": engine_for(sqlite_url), "postgresql": engine_for(postgres_url)}
    for engine in engines.values():
        upgrade(engine)
    yield engines
    for engine in engines.values():
        engine.dispose()
    drop_postgres_database(postgres_name)


# Noon in Asia/Jakarta on a weekday: far from midnight in either direction.
PINNED_NOW = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)


@pytest.fixture
def pinned_now(monkeypatch) -> datetime:
    """The app's clock stands still at PINNED_NOW for the test (servers in threads of this process included)."""
    monkeypatch.setattr(clock, "now", lambda: PINNED_NOW)
    return PINNED_NOW


@pytest.fixture(params=DIALECTS)
def dialect(request) -> str:
    return request.param


@pytest.fixture
def engine(_migrated_engines, dialect) -> Engine:
    return _migrated_engines[dialect]


@pytest.fixture
def connection(engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


@pytest.fixture
def session(connection) -> Iterator[Session]:
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as orm_session:
        yield orm_session


@pytest.fixture
def data(connection) -> Dataset:
    return Dataset(connection)


def make_settings(database_url: str, **overrides) -> Settings:
    values = {
        "environment": "development",
        "database_url": database_url,
        "redis_url": None,
        "secret_key": TEST_SECRET,
        "cron_secret": "",
        "timezone": "Asia/Jakarta",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(engine) -> Settings:
    return make_settings(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def app(settings, engine, session):
    application = create_app(settings=settings, engine=engine)

    def _test_session() -> Iterator[Session]:
        yield session
        session.flush()

    application.dependency_overrides[get_db] = _test_session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis of the test run. Tests keep to their own key namespace (`cache_namespace`) and delete it after."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        raise RuntimeError(
            f"Redis is needed for the tests and {REDIS_URL} did not answer; run the README's test command"
        ) from exc
    finally:
        client.close()
    yield REDIS_URL


@pytest.fixture
def cache_namespace(redis_url) -> Iterator[str]:
    namespace = f"pantau-test:{uuid.uuid4().hex}"
    yield namespace
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def fresh_database_url(dialect, tmp_path) -> Iterator[str]:
    url = new_database_url(dialect, tmp_path)
    yield url
    dispose_database(url)
