"""Fixtures of the HTTP tests: the planted organisation, and a client that sees server errors as a real one does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.organisation import Organisation, plant_organisation, plant_people


@pytest.fixture
def org(data, session, pinned_now) -> Organisation:
    """The organisation of `tests.api.organisation`, planted in the test's transaction (rolled back afterwards), at
    the instant the app's clock is pinned to."""
    return plant_organisation(data, session, now=pinned_now)


@pytest.fixture
def people(data, session, pinned_now) -> Organisation:
    """Only the teams and people of the organisation, for tests whose requests are refused or need no rows."""
    return plant_people(data, session, now=pinned_now)


@pytest.fixture
def http_client(app) -> Iterator[TestClient]:
    """Like `client`, but an unhandled error comes back as the HTTP 500 a real client would get instead of being
    raised in the test, so a test can assert that bad input never produces one."""
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as test_client:
        yield test_client
