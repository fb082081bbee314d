"""The API answers as its OpenAPI schema says, checked by schemathesis over every operation of `/openapi.json`.

A real Pantau server (uvicorn) on a real database of each dialect, with the organisation of `tests.api.organisation`
planted and committed, is called with generated input (valid and invalid) as the owner and as an agent, each with an
API token; the cron endpoint gets the cron secret from the owner and the agent's token from the agent. Every answer
is checked with schemathesis' default checks: no server error, the status documented, the body, the content type and
the documented headers as documented for that status, input the schema rules out refused (a date that is not
YYYY-MM-DD, a range that is none of the presets, a limit or an offset out of bounds), a missing credential refused,
an undocumented method answered 405 with the right `Allow`.

Left out: that every input the schema allows is accepted. No OpenAPI schema can say that startDate needs endDate and
no dateRange, at most 366 days later, or that an id must name a team or a person in the caller's scope; those
refusals are tested in test_bad_input.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy.orm import Session

from pantau.core import clock
from pantau.migrations.runner import upgrade
from pantau.web.app import create_app
from tests.api.organisation import plant_organisation
from tests.conftest import PINNED_NOW, make_settings
from tests.support.builders import Dataset
from tests.support.databases import DIALECTS, dispose_database, engine_for, new_database_url
from tests.web.server import serving

CRON_SECRET = "cron-secret-of-the-schema-tests-0123456789"
CRON_PATH = "/api/cron/aggregate-metrics"
# The webhook is configured, as it is wherever it is used: closed, it answers every call 503 by design.
WEBHOOK_VERIFY_TOKEN = "verify-token-of-the-schema-tests"
WEBHOOK_APP_SECRET = "app-secret-of-the-schema-tests"
# The schema under test, as the application builds it; `test_the_server_serves_the_schema_under_test` makes sure the
# server answers the same one.
SCHEMA_DOCUMENT = create_app(settings=make_settings("sqlite://")).openapi()
SCHEMA = schemathesis.openapi.from_dict(SCHEMA_DOCUMENT)


# Operations whose answer depends on who calls, called by each caller; the rest (sign-in and sign-out, health and
# metrics) are called without credentials, as their callers do.
CALLERS = ("owner", "agent")
FOR_CALLERS = SCHEMA.include(path_regex="^/api/")
FOR_ANYONE = SCHEMA.exclude(path_regex="^/api/")
GENERATION = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Server:
    url: str
    tokens: dict[str, str]

    def credentials(self, path: str, role: str) -> dict[str, str]:
        secret = CRON_SECRET if path == CRON_PATH and role == "owner" else self.tokens[role]
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module", params=DIALECTS)
def server(request, tmp_path_factory) -> Iterator[Server]:
    """Pantau served on a new database of the dialect holding the organisation, committed; dropped afterwards."""
    url = new_database_url(request.param, tmp_path_factory.mktemp("schema"))
    engine = engine_for(url)
    pinned = pytest.MonkeyPatch()
    pinned.setattr(clock, "now", lambda: PINNED_NOW)
    try:
        upgrade(engine)
        with engine.connect() as connection, connection.begin():
            session = Session(bind=connection, join_transaction_mode="create_savepoint")
            organisation = plant_organisation(Dataset(connection), session, now=PINNED_NOW)
            tokens = {role: organisation.bearer(role)["Authorization"].removeprefix("Bearer ") for role in CALLERS}
            session.commit()
            session.close()
        engine.dispose()
        with serving(
            url,
            cron_secret=CRON_SECRET,
            whatsapp_verify_token=WEBHOOK_VERIFY_TOKEN,
            whatsapp_app_secret=WEBHOOK_APP_SECRET,
        ) as base_url:
            yield Server(base_url, tokens)
    finally:
        pinned.undo()
        engine.dispose()
        dispose_database(url)


def test_the_server_serves_the_schema_under_test(server):
    assert requests.get(f"{server.url}/openapi.json", timeout=30).json() == SCHEMA_DOCUMENT


@pytest.mark.parametrize("role", CALLERS)
def test_each_caller_is_who_the_tests_say(server, role):
    """Without this, a token the server does not know would make every answer a 401, which the schema allows."""
    response = requests.get(f"{server.url}/api/me", headers=server.credentials("/api/me", role), timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["role"] == role


def test_every_operation_is_under_test():
    under_test = {
        (operation.method.upper(), operation.path)
        for schema in (FOR_CALLERS, FOR_ANYONE)
        for operation in (result.ok() for result in schema.get_all_operations())
    }
    assert under_test == {
        (method.upper(), path) for path, operations in SCHEMA_DOCUMENT["paths"].items() for method in operations
    }


@FOR_CALLERS.parametrize()
@GENERATION
@pytest.mark.parametrize("role", CALLERS)
def test_callers_get_what_the_schema_says(case, role, server):
    case.call_and_validate(
        base_url=server.url,
        headers=server.credentials(case.operation.path, role),
        excluded_checks=[positive_data_acceptance],
    )


@FOR_ANYONE.parametrize()
@GENERATION
def test_anyone_gets_what_the_schema_says(case, server):
    case.call_and_validate(base_url=server.url, excluded_checks=[positive_data_acceptance])
