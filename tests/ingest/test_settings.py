"""The ingest settings: SPEC's names, defaults, and secrets that never show."""

from __future__ import annotations

import pytest

from pantau.core.config import SettingsError, load_settings

# Writes through the app: real commits on a throw-away database (tests/conftest.py).
pytestmark = pytest.mark.commits


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)


def test_defaults_keep_the_webhook_closed_a_mebibyte_of_body_and_thirty_days_of_journal():
    settings = load_settings()

    assert settings.whatsapp_verify_token.get_secret_value() == ""
    assert settings.whatsapp_app_secret.get_secret_value() == ""
    assert (settings.ingest_max_body_bytes, settings.ingest_journal_days) == (1_048_576, 30)


def test_the_secrets_are_read_under_their_names_and_never_shown(monkeypatch):
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify-6c0f2b-token")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "3f1c6b0e9d2a4c8e7b5f1a2d3c4e5f60")
    monkeypatch.setenv("INGEST_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("INGEST_JOURNAL_DAYS", "7")

    settings = load_settings()

    assert settings.whatsapp_app_secret.get_secret_value() == "3f1c6b0e9d2a4c8e7b5f1a2d3c4e5f60"
    assert (settings.ingest_max_body_bytes, settings.ingest_journal_days) == (2048, 7)
    shown = repr(settings) + str(settings.model_dump())
    assert "3f1c6b0e9d2a4c8e7b5f1a2d3c4e5f60" not in shown and "verify-6c0f2b-token" not in shown


def test_an_example_webhook_secret_is_refused_outside_development(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "change-me")

    with pytest.raises(SettingsError, match="WHATSAPP_APP_SECRET is an example value"):
        load_settings()


def test_a_journal_kept_less_than_a_day_is_refused(monkeypatch):
    monkeypatch.setenv("INGEST_JOURNAL_DAYS", "0")

    with pytest.raises(SettingsError, match="INGEST_JOURNAL_DAYS"):
        load_settings()
