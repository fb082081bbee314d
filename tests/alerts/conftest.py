"""The alerts' tests read the planted organisation of the HTTP tests."""

from tests.api.conftest import http_client, org, people  # noqa: F401 - fixtures shared with the HTTP tests
