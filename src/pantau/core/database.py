"""Engines and sessions for SQLite (default, single process) and PostgreSQL (production)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, Executable, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pantau.core import sqlite_functions
from pantau.core.config import get_settings
from pantau.core.credentials_epoch import bump_configured_epoch

T = TypeVar("T")


class DatabaseNotReady(RuntimeError):
    """The database cannot be reached, or is not migrated to the code's revision. The message says which, with the
    database's address (for operators); `public` says it without the address (for unauthenticated callers)."""

    def __init__(self, message: str, public: str) -> None:
        super().__init__(message)
        self.public = public

    @property
    def unreachable(self) -> bool:
        """The database did not answer (rather than answering unmigrated)."""
        return self.public == _UNREACHABLE


_UNREACHABLE = "the database is not reachable"
_NOT_MIGRATED = "the database is not migrated to this version; run `pantau migrate`"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        # PostgreSQL's JIT compiles the dashboard's large analytic statements for seconds to save milliseconds.
        connect_args={"connect_timeout": 5, "options": "-c jit=off"},
    )


# Writes that can change what a credential (a session cookie, an API token) names, or whether it still works: any
# change to a user, an ended session, a revoked or deleted token; and any change to the business settings (remembered
# on the same terms). A new session or token changes nothing already known, and a token's last use (noted at most
# once a minute) changes no caller.
_CREDENTIAL_WRITE = re.compile(
    r"\s*(?:UPDATE\s+(?:users|auth_sessions|api_tokens|business_settings)\b"
    r"|DELETE\s+FROM\s+(?:users|auth_sessions|api_tokens|business_settings)\b"
    r"|INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(?:users|business_settings)\b)",
    re.IGNORECASE,
)
_TOKEN_LAST_USE = re.compile(r"\s*UPDATE\s+api_tokens\s+SET\s+last_used_at\s*=\s*\S+\s+WHERE\b", re.IGNORECASE)
_CREDENTIALS_CHANGED = "pantau_credentials_changed"
_credential_listeners: list[Callable[[], None]] = []


def on_credentials_changed(listener: Callable[[], None]) -> None:
    """Call `listener` whenever this process writes to users, sessions or tokens in a way that may change a
    credential: once when the statement runs, and again when its transaction commits (a reader that looked between
    the two saw the old row; the second call covers it). Listeners must not raise."""
    if listener not in _credential_listeners:
        _credential_listeners.append(listener)


def _announce_credentials_changed() -> None:
    """Tell the processes sharing the configured Redis, then this process's own listeners (caches built with other
    settings, as the tests' apps are, announce to their own Redis)."""
    bump_configured_epoch()
    for listener in list(_credential_listeners):
        listener()


def credential_write(statement: str) -> bool:
    """Whether an SQL statement may change a credential (see `_CREDENTIAL_WRITE`)."""
    return bool(_CREDENTIAL_WRITE.match(statement)) and not _TOKEN_LAST_USE.match(statement)


@event.listens_for(Engine, "after_cursor_execute")
def _watch_credential_writes(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
    if credential_write(statement):
        connection.info[_CREDENTIALS_CHANGED] = True
        _announce_credentials_changed()


@event.listens_for(Engine, "commit")
def _announce_committed_credentials(connection) -> None:
    if connection.info.pop(_CREDENTIALS_CHANGED, False):
        _announce_credentials_changed()


@event.listens_for(Engine, "rollback")
def _forget_rolled_back_credentials(connection) -> None:
    # An invalidated connection (a statement interrupted by SIGINT, a dropped server) has no DBAPI connection to
    # read `info` from, and asking for it would try to reconnect in the middle of the rollback. Its DBAPI connection
    # is discarded; a mark left on its record costs at most one needless announcement, never a missed one.
    if not connection.invalidated:
        connection.info.pop(_CREDENTIALS_CHANGED, None)


def read_side_by_side(
    connection: Connection, reads: dict[str, Callable[[Connection], T]], engine: Engine | None
) -> dict[str, T]:
    """Run independent reads: with `engine`, each on a connection of its own and all at once, so the database runs
    their statements side by side; without, one after another on `connection`.

    Reads on other connections see only what is committed: give `engine` only when the reads do not depend on the
    calling transaction's own uncommitted writes (an aggregation run reads raw tables it never writes)."""
    if engine is None or len(reads) < 2:
        return {name: read(connection) for name, read in reads.items()}

    def run(read: Callable[[Connection], T]) -> T:
        with engine.connect() as own:
            return read(own)

    with ThreadPoolExecutor(max_workers=len(reads)) as pool:
        futures = {name: pool.submit(run, read) for name, read in reads.items()}
        return {name: future.result() for name, future in futures.items()}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so SAVEPOINTs and rollbacks are real.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        sqlite_functions.register(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A connection asked for AUTOCOMMIT (as the tests' data builders use) gets it: each statement commits itself.
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN")


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def reset_cached_database() -> None:
    """Forget the cached settings, engine and session factory, closing the engine's pooled connections.

    The next use reads the environment again: for a process that points DATABASE_URL elsewhere while it runs, such
    as a test driving the CLI against a database of its own.
    """
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    _session_factory.cache_clear()
    get_engine.cache_clear()
    get_settings.cache_clear()


def release_connection(session: Session) -> None:
    """End the session's transaction (committing it) and give its connection back to the pool.

    A request's steps run on worker threads, one step at a time; between two steps the request waits for a thread.
    If it held a connection while waiting, a burst of requests could leave every thread waiting for a connection and
    every connection held by a request waiting for a thread. So each step that used the database ends here.
    """
    session.commit()


def write_apart(session: Session, statement: Executable) -> None:
    """Run one write of a request in a short transaction of its own: commit what the session holds, execute,
    commit.

    On SQLite a transaction that began by reading cannot start writing once another connection has written since it
    began: it fails at once with "database is locked", whatever the busy timeout. A transaction whose first statement
    writes waits its turn instead. Requests read first (who is calling), so their writes (an audit entry, a token's
    last use) go through here. On PostgreSQL the same order is merely harmless.
    """
    session.commit()
    session.execute(statement)
    session.commit()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = _session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_url(engine: Engine) -> str:
    """The database's address without its password, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def check_ready(engine: Engine) -> None:
    """Raise DatabaseNotReady unless the database answers and is at the migrations' head revision."""
    from pantau.migrations.runner import current_revision, head_revision

    where = describe_url(engine)
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        if not Path(database).exists():
            raise DatabaseNotReady(
                f"the SQLite database file {database} does not exist; run `pantau migrate`", _NOT_MIGRATED
            )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            has_version_table = inspect(connection).has_table("alembic_version")
            revision = current_revision(connection) if has_version_table else None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "connection failed"
        raise DatabaseNotReady(f"cannot reach the database at {where}: {reason}", _UNREACHABLE) from None
    except SQLAlchemyError as exc:
        raise DatabaseNotReady(f"database at {where} failed: {type(exc).__name__}", _UNREACHABLE) from None
    head = head_revision()
    if revision is None:
        raise DatabaseNotReady(f"the database at {where} has no Pantau tables yet; run `pantau migrate`", _NOT_MIGRATED)
    if revision != head:
        raise DatabaseNotReady(
            f"the database at {where} is at revision {revision}, the code expects {head}; run `pantau migrate`",
            _NOT_MIGRATED,
        )
