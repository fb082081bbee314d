"""The test harness: real SQLite and PostgreSQL (every database test runs on both), real Redis.

Passwords are hashed with cheap argon2 parameters (`use_hasher`), set before any test module hashes one.

Fixtures:
- `connection`: a connection inside a transaction that is rolled back after the test, on each dialect in turn.
- `session`: an ORM session on that connection (its commits become savepoints).
- `data`: a `Dataset` builder writing through `connection`.
- `settings`: settings for the test (development, Asia/Jakarta, the test database).
- `client`: a FastAPI TestClient whose requests use the test's `session`.

A test module marked `pytestmark = pytest.mark.commits` (every test that writes through the app) gets the same
fixtures on a throw-away copy of a migrated database: `connection` in autocommit, the app's real `get_db`, real
commits and rollbacks.
- `redis_url`, `cache_namespace`: the real Redis, and a key namespace of the test's own (deleted afterwards).
- `fresh_database_url`: a new, empty database (not migrated) of the test's dialect, dropped afterwards.
- `pinned_now`: the instant the app takes for now (`pantau.core.clock`) for the test: noon in Jakarta, so data
  planted "today" is today whenever the tests run.
"""

from __future__ import annotations

import shutil
import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pantau.auth.passwords import use_hasher
from pantau.core import clock
from pantau.core.config import Settings
from pantau.migrations.runner import upgrade
from pantau.web.app import create_app

# Started as a background job of a script (`suite &`, nohup, some CI runners), this process inherits SIGINT ignored,
# and so would every `pantau` it starts: the tests that stop one with SIGINT (Ctrl-C) would wait for nothing. Ctrl-C
# is restored here, so the children start with SIGINT's default and Python turns it into KeyboardInterrupt.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
from pantau.web.deps import get_db
from tests.support.builders import Dataset
from tests.support.databases import (
    DIALECTS,
    REDIS_URL,
    create_postgres_database,
    dispose_database,
    drop_postgres_database,
    empty_postgres_tables,
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


def commits(request) -> bool:
    """Whether the test is marked `commits` (its module says `pytestmark = pytest.mark.commits`)."""
    return request.node.get_closest_marker("commits") is not None


@pytest.fixture(scope="session")
def _committing_databases(tmp_path_factory) -> Iterator[dict[str, str]]:
    """For `commits` tests: a migrated SQLite file that each test gets a copy of, and a migrated PostgreSQL database
    emptied after each test (copying a database is quick there, dropping one waits for a checkpoint)."""
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'pantau-template.db'}"
    postgres_name = f"pantau_commits_{worker_suffix()}"
    urls = {"sqlite": sqlite_url, "postgresql": create_postgres_database(postgres_name)}
    for url in urls.values():
        migrated = engine_for(url)
        upgrade(migrated)
        migrated.dispose()
    yield urls
    drop_postgres_database(postgres_name)


@pytest.fixture
def engine(request, _migrated_engines, dialect, tmp_path) -> Iterator[Engine]:
    """The shared migrated database; for a `commits` test, a clean migrated database of its own whose rows do not
    outlive the test."""
    if not commits(request):
        yield _migrated_engines[dialect]
        return
    url = request.getfixturevalue("_committing_databases")[dialect]
    if dialect == "sqlite":
        copy = tmp_path / "pantau-commits.db"
        shutil.copyfile(make_url(url).database, copy)
        url = f"sqlite:///{copy}"
    committing = engine_for(url)
    try:
        yield committing
    finally:
        if dialect == "postgresql":
            empty_postgres_tables(committing)
        committing.dispose()


@pytest.fixture
def connection(request, engine) -> Iterator[Connection]:
    """Inside a transaction rolled back after the test; for a `commits` test, in autocommit, so what the test plants
    is committed and the app (on connections of its own) sees it."""
    if commits(request):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn
        return
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


@pytest.fixture
def session(request, connection) -> Iterator[Session]:
    # In a `commits` test the connection is in autocommit: every statement is committed as it runs, no savepoints.
    joining = "rollback_only" if commits(request) else "create_savepoint"
    with Session(bind=connection, join_transaction_mode=joining, expire_on_commit=False) as orm_session:
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
def app(request, settings, engine, session):
    """The app; its requests use the test's `session` (commits become savepoints), except in a `commits` test, where
    they use the app's own `get_db` and really commit or roll back."""
    application = create_app(settings=settings, engine=engine)
    if commits(request):
        return application

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
