"""The settings' tests read the HTTP tests' planted people, and the cache tests' app with a cache of its own."""

from tests.api.conftest import http_client, people  # noqa: F401 - fixtures shared with the HTTP tests
from tests.cache.conftest import cached_app  # noqa: F401 - an app whose cache is a real Redis
