"""Settings come from the environment under SPEC's names; bad values are refused with a message naming them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pantau.core.config import DEVELOPMENT_SECRET_KEY, Settings, SettingsError, load_settings

STRONG = "k" * 40


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch, tmp_path):
    # Settings read `.env` from the working directory; the tests must not see a developer's file.
    monkeypatch.chdir(tmp_path)


def test_defaults_are_the_embedded_database_without_redis_in_jakarta():
    settings = load_settings()
    assert settings.database_url == "sqlite:///./pantau.db"
    assert settings.redis_url is None
    assert settings.timezone == "Asia/Jakarta"
    assert settings.sla_first_response_seconds == 300
    assert settings.peak_hours == [(9, 12), (14, 17)]
    assert settings.cache_ttl_seconds == 30


def test_environment_variables_use_spec_names(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/pantau")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("TIMEZONE", "Asia/Makassar")
    monkeypatch.setenv("PEAK_HOURS", "8-11, 13-16")
    monkeypatch.setenv("WHATSAPP_RATES", "marketing=0.05,utility=0.01")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/pantau"
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.timezone == "Asia/Makassar"
    assert settings.peak_hours == [(8, 11), (13, 16)]
    assert settings.whatsapp_rates == {"marketing": Decimal("0.05"), "utility": Decimal("0.01")}


def test_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("TIMEZONE=Europe/Amsterdam\nSLA_FIRST_RESPONSE_SECONDS=120\n")
    settings = load_settings()
    assert (settings.timezone, settings.sla_first_response_seconds) == ("Europe/Amsterdam", 120)


def test_rates_accept_json(monkeypatch):
    monkeypatch.setenv("WHATSAPP_RATES", '{"marketing": 0.0411, "service": 0}')
    assert load_settings().whatsapp_rates == {"marketing": Decimal("0.0411"), "service": Decimal("0")}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE: unknown IANA time zone 'Mars/Olympus'"),
        ("PEAK_HOURS", "9-25", "PEAK_HOURS"),
        ("PEAK_HOURS", "nine-twelve", "PEAK_HOURS"),
        ("WHATSAPP_RATES", "{not json", "WHATSAPP_RATES: not valid JSON"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must be sqlite:///relative/path.db"),
        ("SLA_FIRST_RESPONSE_SECONDS", "0", "SLA_FIRST_RESPONSE_SECONDS"),
        ("DELIVERY_ALERT_PERCENT", "120", "DELIVERY_ALERT_PERCENT"),
    ],
)
def test_bad_values_name_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert message in str(raised.value)


def test_example_secret_key_is_refused_outside_development(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    with pytest.raises(SettingsError, match="SECRET_KEY must be set"):
        load_settings()


def test_short_secret_key_is_refused_outside_development(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "staging")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings()


def test_example_cron_secret_is_refused_outside_development(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.setenv("CRON_SECRET", "your_random_secret_here")
    with pytest.raises(SettingsError, match="CRON_SECRET"):
        load_settings()


def test_production_with_real_secrets_starts(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.setenv("CRON_SECRET", "c" * 40)
    assert load_settings().environment == "production"


def test_development_accepts_the_development_secret():
    assert load_settings().secret_key == DEVELOPMENT_SECRET_KEY


def test_one_bad_setting_is_one_line_naming_it():
    with pytest.raises(SettingsError) as raised:
        load_settings(timezone="Mars/Olympus")
    assert str(raised.value) == "invalid settings: TIMEZONE: unknown IANA time zone 'Mars/Olympus'"


@pytest.mark.parametrize("url", ["sqlite:/relative.db", "sqlite:relative.db"])
def test_a_sqlite_url_with_too_few_slashes_is_refused_with_the_right_forms(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        f"invalid settings: DATABASE_URL: {url!r} is not a database URL; write sqlite:///relative/path.db "
        "(three slashes: relative to the working directory), sqlite:////absolute/path.db (four slashes) "
        "or postgresql://user:password@host:5432/dbname"
    )


def test_a_sqlite_url_whose_file_reads_as_a_host_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://pantau.db")
    with pytest.raises(SettingsError, match="DATABASE_URL: 'sqlite://pantau.db' names no file; write sqlite:///"):
        load_settings()


def test_a_malformed_postgresql_url_is_refused_without_repeating_its_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://pantau:hunter2-secret@db:port/pantau")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "DATABASE_URL: the value is not a database URL; write sqlite:///" in str(raised.value)
    assert "hunter2-secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("", None), ("false", False), ("true", True), ("1", True)]
)
def test_session_cookie_secure_is_unset_unless_given(monkeypatch, value, expected):
    if value is not None:
        monkeypatch.setenv("SESSION_COOKIE_SECURE", value)
    assert load_settings().session_cookie_secure is expected


def production(monkeypatch, **values: str) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_production_with_a_metrics_token_and_a_secure_cookie_starts_without_warnings(monkeypatch):
    production(monkeypatch, METRICS_TOKEN="m" * 40)
    assert load_settings().startup_warnings() == []


def test_production_warns_when_the_session_cookie_is_turned_insecure(monkeypatch):
    production(monkeypatch, METRICS_TOKEN="m" * 40, SESSION_COOKIE_SECURE="false")
    assert load_settings().startup_warnings() == [
        "SESSION_COOKIE_SECURE=false with ENVIRONMENT=production: browsers will send the session cookie over plain "
        "http too; leave it unset (Secure) when Pantau is reached over https"
    ]


def test_production_warns_when_metrics_are_open(monkeypatch):
    production(monkeypatch)
    assert load_settings().startup_warnings() == [
        "METRICS_TOKEN is empty with ENVIRONMENT=production: /metrics is open to anyone who can reach the server; "
        "set a token or keep /metrics off the public network"
    ]


def test_development_warns_about_nothing(monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    assert load_settings().startup_warnings() == []


def test_a_short_metrics_token_is_refused_outside_development(monkeypatch):
    production(monkeypatch, METRICS_TOKEN="prometheus")
    with pytest.raises(SettingsError, match="METRICS_TOKEN is an example or short value"):
        load_settings()


def test_the_example_env_file_holds_the_defaults(tmp_path):
    """`.env.example` says its values are the defaults: copied as it is, it changes nothing."""
    example = Path(__file__).resolve().parent.parent / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())

    assert load_settings().model_dump() == Settings(_env_file=None).model_dump()


def test_a_read_replica_is_refused_beside_sqlite(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///pantau.db")
    monkeypatch.setenv("DATABASE_READ_URL", "postgresql://pantau:hunter2@replica:5432/pantau")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "DATABASE_READ_URL needs DATABASE_URL on PostgreSQL" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_read_replica_must_be_postgresql_and_is_normalised(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://pantau@primary:5432/pantau")
    monkeypatch.setenv("DATABASE_READ_URL", "sqlite:///copy.db")
    with pytest.raises(SettingsError, match="DATABASE_READ_URL: must be a PostgreSQL streaming replica's URL"):
        load_settings()
    monkeypatch.setenv("DATABASE_READ_URL", "postgres://pantau@replica:5432/pantau")
    assert load_settings().database_read_url == "postgresql+psycopg://pantau@replica:5432/pantau"
    monkeypatch.setenv("DATABASE_READ_URL", "")
    assert load_settings().database_read_url == ""
