"""Many callers at once against a real server on a real database file: every read of business-impact answers and
leaves its audit entry, every sign-in answers, on SQLite (where a transaction that began by reading cannot always
write) and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pantau.auth.tokens import issue_token
from pantau.migrations.runner import upgrade
from pantau.models import AuditLogEntry, AuthSession, LoginFailure, User
from tests.support.auth import PASSWORD, PASSWORD_HASH
from tests.support.builders import Dataset
from tests.support.databases import engine_for
from tests.web.server import serving

READERS = 12
READS_EACH = 5
# No client-side time limit decides these tests: a slow machine makes them slower, not red. A hung server is caught
# by pytest-timeout (pyproject.toml). Passwords are hashed cheaply in the tests (tests/conftest.py), so the sign-ins
# compete for the database, not for memory-hard hashing.
NO_TIME_LIMIT = httpx2.Timeout(None)


def test_concurrent_reads_of_business_impact_all_answer_and_are_all_recorded(fresh_database_url):
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        data = Dataset(connection)
        data.make_user("owner", id="olga")
        for hours_ago in (1, 5, 30):
            data.make_conversation(now - timedelta(hours=hours_ago))
    with Session(engine) as session, session.begin():
        token = issue_token(session, session.get(User, "olga"), "readers", now).token

    with serving(fresh_database_url) as base_url:

        def reader(index: int) -> list[int]:
            with httpx2.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=NO_TIME_LIMIT
            ) as client:
                # Distinct ranges per reader, so some reads compute while others write their entries.
                ranges = ["today", "7d", "30d", "90d"]
                return [
                    client.get(
                        "/api/dashboard/business-impact", params={"dateRange": ranges[(index + n) % 4]}
                    ).status_code
                    for n in range(READS_EACH)
                ]

        with ThreadPoolExecutor(READERS) as pool:
            statuses = [status for answers in pool.map(reader, range(READERS)) for status in answers]

    with engine.connect() as connection:
        entries = connection.execute(select(func.count()).select_from(AuditLogEntry)).scalar_one()
    engine.dispose()
    assert statuses == [200] * (READERS * READS_EACH)
    assert entries == READERS * READS_EACH


def test_concurrent_sign_ins_all_answer_and_are_all_recorded(fresh_database_url):
    engine = engine_for(fresh_database_url)
    upgrade(engine)
    with engine.begin() as connection:
        data = Dataset(connection)
        for index in range(READERS):
            data.make_user(
                "agent", id=f"agent-{index}", email=f"agent{index}@example.test", password_hash=PASSWORD_HASH
            )

    with serving(fresh_database_url) as base_url:

        def sign_in(index: int) -> int:
            password = PASSWORD if index % 2 == 0 else "wrong password"
            form = {"email": f"agent{index}@example.test", "password": password}
            return httpx2.post(
                f"{base_url}/login", data=form, follow_redirects=False, timeout=NO_TIME_LIMIT
            ).status_code

        with ThreadPoolExecutor(READERS) as pool:
            statuses = list(pool.map(sign_in, range(READERS)))

    with engine.connect() as connection:
        sessions = connection.execute(select(func.count()).select_from(AuthSession)).scalar_one()
        failures = connection.execute(select(func.count()).select_from(LoginFailure)).scalar_one()
    engine.dispose()
    assert statuses == [303 if index % 2 == 0 else 401 for index in range(READERS)]
    assert (sessions, failures) == (READERS // 2, READERS // 2)
