"""ALERT_WEBHOOK_SECRET: an example or short value is refused outside development, as the other secrets are."""

from __future__ import annotations

import pytest

from pantau.core.config import SettingsError, load_settings
from tests.test_settings import _no_env_file, production  # noqa: F401 - no developer .env in the way


@pytest.mark.parametrize("secret", ["changeme", "secret", "too-short-for-a-signing-key"])
def test_an_example_or_short_webhook_secret_is_refused_outside_development(monkeypatch, secret):
    production(monkeypatch, ALERT_WEBHOOK_SECRET=secret)
    with pytest.raises(SettingsError, match="ALERT_WEBHOOK_SECRET is an example or short value") as refused:
        load_settings()
    assert secret not in str(refused.value)


def test_a_random_webhook_secret_or_none_is_accepted(monkeypatch):
    production(monkeypatch, ALERT_WEBHOOK_SECRET="k3v9Qm2xT8pW4zR7nL1cY6hB0dF5gJ2s")
    assert load_settings().alert_webhook_secret.get_secret_value() == "k3v9Qm2xT8pW4zR7nL1cY6hB0dF5gJ2s"
    production(monkeypatch, ALERT_WEBHOOK_SECRET="")
    assert load_settings().alert_webhook_secret.get_secret_value() == ""
