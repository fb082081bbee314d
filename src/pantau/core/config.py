"""Settings, read once from the environment and `.env` (names as SPEC writes them)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pantau.core.business_time import (
    BusinessCalendar,
    BusinessHours,
    business_calendar,
    parse_business_hours,
    parse_holidays,
    parse_peak_hours,
)

# The development default and the values shipped in `.env.example` and the docs: refused outside development.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"
EXAMPLE_SECRETS = frozenset(
    {"", DEVELOPMENT_SECRET_KEY, "change-me", "changeme", "secret", "your_random_secret_here", "example"}
)
MIN_SECRET_LENGTH = 32
# The longest SLA target a business may set: a week.
MAX_SLA_SECONDS = 7 * 24 * 3600

# What a DATABASE_URL must look like, for the message that refuses one.
DATABASE_URL_FORMS = (
    "sqlite:///relative/path.db (three slashes: relative to the working directory), "
    "sqlite:////absolute/path.db (four slashes) or postgresql://user:password@host:5432/dbname"
)


class SettingsError(ValueError):
    """A setting that Pantau refuses to start with; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "staging", "production"] = "development"
    database_url: str = "sqlite:///./pantau.db"
    # A PostgreSQL streaming replica for the dashboard's reads (docs/deploy.md); empty: every read on DATABASE_URL.
    database_read_url: str = ""
    # A replica behind the primary by this long or more is left aside (reads go to the primary) until it catches up.
    database_read_max_lag_seconds: float = Field(5, ge=0)
    # How long a verdict on the replica (answers, keeps up) is kept before it is asked again.
    database_read_check_seconds: float = Field(1, ge=0)
    redis_url: str | None = None
    secret_key: str = DEVELOPMENT_SECRET_KEY
    cron_secret: str = ""
    metrics_token: str = ""
    forwarded_allow_ips: str = "127.0.0.1"
    timezone: str = "Asia/Jakarta"
    log_level: str = "INFO"

    session_ttl_hours: float = Field(12, gt=0)
    # None (unset): Secure outside development, and in development for requests that came over https.
    session_cookie_secure: bool | None = None
    login_failure_window_seconds: int = Field(3600, ge=1)
    login_free_failures: int = Field(3, ge=0)
    login_free_failures_per_address: int = Field(10, ge=0)
    login_free_addresses_per_account: int = Field(3, ge=0)
    login_max_wait_seconds: int = Field(900, ge=1)
    login_max_account_wait_seconds: int = Field(60, ge=1)

    cache_ttl_seconds: int = Field(30, ge=0)
    cache_redis_timeout_ms: int = Field(100, ge=1)
    cache_namespace: str = Field("pantau:dashboard", min_length=1)
    aggregation_lookback_hours: int = Field(48, ge=0)
    # 0: `pantau scheduler` runs the hourly aggregation at :00 (SPEC §7); N: every N seconds from its start instead
    # (fresher hourly snapshots; each run is idempotent and takes its lock).
    aggregation_hourly_interval_seconds: int = Field(0, ge=0)

    # The settings a business runs (SPEC §8.5): these are the defaults; a value saved on the settings page (or with
    # `pantau settings set`) wins over them (`pantau.business_settings`).
    sla_first_response_seconds: int = Field(300, gt=0, le=MAX_SLA_SECONDS)
    peak_hours: Annotated[list[tuple[int, int]], NoDecode] = [(9, 12), (14, 17)]
    # `mon-fri 08:00-17:00; sat 09:00-13:00`; empty: none set.
    business_hours: Annotated[BusinessHours, NoDecode] = {}
    holidays: Annotated[list[date], NoDecode] = []
    delivery_alert_percent: float = Field(90, ge=0, le=100)
    agent_minutes_per_conversation: float = Field(5, ge=0)
    # Money is in CURRENCY, rupiah by default (Pantau is made for Indonesian shops; SPEC's default is USD, see
    # docs/decisions.md): an agent hour and Meta's per-message rates for Indonesia in rupiah.
    agent_hourly_cost: Decimal = Field(Decimal("35000"), ge=0)
    currency: str = "IDR"
    # When set, a conversation's agent cost in business-impact's cost per conversation (instead of the hours agents
    # were online × AGENT_HOURLY_COST); empty: unset.
    cost_per_conversation: Decimal | None = Field(None, ge=0)
    whatsapp_rates: Annotated[dict[str, Decimal], NoDecode] = {
        "marketing": Decimal("586.33"),
        "utility": Decimal("356.65"),
        "authentication": Decimal("356.65"),
        "service": Decimal("0"),
    }

    # Data in (SPEC §8.1). Secrets are SecretStr: a printed or logged Settings shows them as '**********'.
    whatsapp_verify_token: SecretStr = SecretStr("")
    whatsapp_app_secret: SecretStr = SecretStr("")
    ingest_max_body_bytes: int = Field(1_048_576, ge=1024)
    ingest_journal_days: int = Field(30, ge=1)

    # Scheduled reports (SPEC §8.4): mail goes out over SMTP when SMTP_HOST is set; without it schedules can be made
    # but nothing is sent (the page says so).
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    smtp_from: str = "Pantau <pantau@localhost>"
    smtp_timeout_seconds: float = Field(30, gt=0)
    # Addresses on these domains may receive reports without being Pantau users (`example.com,shop.co.id`).
    report_recipient_domains: Annotated[list[str], NoDecode] = []
    # A failed delivery is tried again after this many seconds, doubling each time, up to REPORT_MAX_ATTEMPTS tries.
    report_retry_seconds: int = Field(60, ge=0)
    report_max_attempts: int = Field(4, ge=1, le=10)
    # Alerts (SPEC §8.5, docs/alerts.md): each webhook body is signed with this key (X-Pantau-Signature); empty, no
    # webhook is sent (the event records why). E-mail goes out over the SMTP settings above.
    alert_webhook_secret: SecretStr = SecretStr("")
    # Where links in mails point (the unsubscribe link): Pantau's address as recipients reach it.
    public_url: str = "http://127.0.0.1:8000"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                value = "postgresql+psycopg://" + value[len(prefix) :]
        if not value.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ValueError(f"must be {DATABASE_URL_FORMS}")
        try:
            url = make_url(value)
        except (ArgumentError, ValueError):
            # A PostgreSQL URL may carry a password: only a SQLite one is repeated.
            shown = repr(value) if value.startswith("sqlite") else "the value"
            raise ValueError(f"{shown} is not a database URL; write {DATABASE_URL_FORMS}") from None
        if url.get_backend_name() == "sqlite" and url.host:
            # `sqlite://pantau.db` reads `pantau.db` as a host name and the path as missing.
            raise ValueError(f"{value!r} names no file; write {DATABASE_URL_FORMS}")
        return value

    @field_validator("database_read_url")
    @classmethod
    def _normalise_read_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                value = "postgresql+psycopg://" + value[len(prefix) :]
        if not value.startswith("postgresql+psycopg:"):
            raise ValueError(
                "must be a PostgreSQL streaming replica's URL (postgresql://user:password@host:5432/dbname): "
                "SQLite has no replicas"
            )
        try:
            make_url(value)
        except (ArgumentError, ValueError):
            raise ValueError(
                "the value is not a database URL; write postgresql://user:password@host:5432/dbname"
            ) from None
        return value

    @model_validator(mode="after")
    def _read_url_needs_postgres(self) -> Settings:
        if self.database_read_url and self.is_sqlite:
            raise ValueError(
                "DATABASE_READ_URL needs DATABASE_URL on PostgreSQL: a SQLite database has no streaming replica; "
                "empty DATABASE_READ_URL"
            )
        return self

    @field_validator("session_cookie_secure", mode="before")
    @classmethod
    def _empty_cookie_secure_is_unset(cls, value: object) -> object:
        """`SESSION_COOKIE_SECURE=` (empty, as `.env.example` ships it) means unset."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _empty_redis_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("report_recipient_domains", mode="before")
    @classmethod
    def _parse_domains(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower().lstrip("@") for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @field_validator("peak_hours", mode="before")
    @classmethod
    def _parse_peak_hours(cls, value: object) -> object:
        """`PEAK_HOURS=09:00-12:00,14:00-17:00` (or `9-12,14-17`): local hour ranges, end excluded."""
        return parse_peak_hours(value)

    @field_validator("business_hours", mode="before")
    @classmethod
    def _parse_business_hours(cls, value: object) -> object:
        return parse_business_hours(value)

    @field_validator("holidays", mode="before")
    @classmethod
    def _parse_holidays(cls, value: object) -> object:
        return parse_holidays(value)

    @field_validator("cost_per_conversation", mode="before")
    @classmethod
    def _empty_cost_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"{value!r} is not a three-letter ISO 4217 code like IDR or USD")
        return code

    @field_validator("whatsapp_rates", mode="before")
    @classmethod
    def _parse_rates(cls, value: object) -> object:
        """`WHATSAPP_RATES={"marketing": 0.0411, ...}` (JSON) or `marketing=0.0411,utility=0.02`."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("{"):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc.msg}") from None
        rates = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            category, sep, rate = part.partition("=")
            if not sep:
                raise ValueError(f"{part!r} is not category=rate")
            rates[category.strip()] = rate.strip()
        return rates

    @field_validator("whatsapp_rates")
    @classmethod
    def _valid_rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for category, rate in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", category):
                raise ValueError(f"{category!r} is not a pricing category like marketing or utility")
            if not rate.is_finite() or rate < 0:
                raise ValueError(f"{category}: a rate is a number of 0 or more, got {rate}")
        return value

    @model_validator(mode="after")
    def _refuse_example_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        if self.secret_key in EXAMPLE_SECRETS or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} characters "
                f"when ENVIRONMENT={self.environment}"
            )
        if self.cron_secret and (self.cron_secret in EXAMPLE_SECRETS or len(self.cron_secret) < MIN_SECRET_LENGTH):
            raise ValueError(
                f"CRON_SECRET is an example or short value; use at least {MIN_SECRET_LENGTH} random characters "
                f"or leave it empty to keep the cron endpoint closed (ENVIRONMENT={self.environment})"
            )
        if self.metrics_token and (
            self.metrics_token in EXAMPLE_SECRETS or len(self.metrics_token) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                f"METRICS_TOKEN is an example or short value; use at least {MIN_SECRET_LENGTH} random characters "
                f"or leave it empty to leave /metrics open (ENVIRONMENT={self.environment})"
            )
        alert_secret = self.alert_webhook_secret.get_secret_value()
        if alert_secret and (alert_secret in EXAMPLE_SECRETS or len(alert_secret) < MIN_SECRET_LENGTH):
            raise ValueError(
                f"ALERT_WEBHOOK_SECRET is an example or short value; use at least {MIN_SECRET_LENGTH} random "
                f"characters, or leave it empty to send no alert webhooks (ENVIRONMENT={self.environment})"
            )
        return self

    def startup_warnings(self) -> list[str]:
        """What an operator should hear about at start-up: settings that are allowed but unsafe outside
        development."""
        if self.environment == "development":
            return []
        warnings = []
        if self.session_cookie_secure is False:
            warnings.append(
                f"SESSION_COOKIE_SECURE=false with ENVIRONMENT={self.environment}: browsers will send the session "
                "cookie over plain http too; leave it unset (Secure) when Pantau is reached over https"
            )
        if not self.metrics_token:
            warnings.append(
                f"METRICS_TOKEN is empty with ENVIRONMENT={self.environment}: /metrics is open to anyone who can "
                "reach the server; set a token or keep /metrics off the public network"
            )
        return warnings

    @model_validator(mode="after")
    def _refuse_example_webhook_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        for name in ("whatsapp_verify_token", "whatsapp_app_secret"):
            value = getattr(self, name).get_secret_value()
            if value and value in EXAMPLE_SECRETS:
                raise ValueError(
                    f"{name.upper()} is an example value; set the one your Meta app uses, or leave it empty to keep "
                    f"the WhatsApp webhook closed (ENVIRONMENT={self.environment})"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def business_calendar(self) -> BusinessCalendar | None:
        """The business hours and holidays the first-response SLA counts in; None without business hours."""
        return business_calendar(self.timezone, self.business_hours, self.holidays)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's validation error into one readable message per bad setting."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            # A check across settings has no location; its message names the settings itself.
            problems.append(f"{str(error['loc'][0]).upper()}: {message}" if error["loc"] else message)
        if len(problems) == 1:
            raise SettingsError(f"invalid settings: {problems[0]}") from None
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
