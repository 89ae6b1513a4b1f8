"""Settings read from the environment (prefix ``WORKFLOW_``), validated once per process."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflow.clock import parse_now
from workflow.errors import SettingsError

DEFAULT_VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Everything a process needs to know about where it runs."""

    model_config = SettingsConfigDict(env_prefix="WORKFLOW_", extra="ignore")

    database_url: str = Field(default=f"sqlite:///{DEFAULT_VAR_DIR / 'workflow.db'}")
    broker_url: str | None = None
    smtp_url: str | None = None
    mail_dir: Path = DEFAULT_VAR_DIR / "mail"
    mail_from: str = "Maths Hubs Mastery Programme <mastery@mathshubs.example>"
    timezone: str = "Europe/London"
    # What every command takes as now (rehearsals, back-filling, tests); unset: the system clock.
    now: datetime | None = None

    # Workers (see workers/broker.py). Tests and benchmarks shorten the timings.
    worker_threads: int = Field(default=8, ge=1)
    worker_max_retries: int = Field(default=8, ge=0)
    worker_min_backoff_ms: int = Field(default=1_000, ge=1)
    worker_max_backoff_ms: int = Field(default=300_000, ge=1)
    # A message whose handling started this many times without finishing (its worker died
    # each time) is dead-lettered instead of being tried again.
    worker_max_crashes: int = Field(default=5, ge=1)
    # Redis: a worker silent this long is taken for dead and its messages are requeued, by a
    # check that runs on `worker_maintenance_chance` in a million Redis commands.
    worker_heartbeat_timeout_ms: int = Field(default=60_000, ge=100)
    worker_maintenance_chance: int = Field(default=1_000, ge=0, le=1_000_000)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme == "sqlite":
            return value
        if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
            # One driver everywhere: psycopg 3.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        raise ValueError(
            "not a database URL: expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        )

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("not a Redis URL: expected redis://HOST:PORT/DB")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError(
                "not an SMTP URL: expected smtp://HOST:PORT, smtp+starttls://... or smtps://..."
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("now", mode="before")
    @classmethod
    def _now(cls, value: object, info: ValidationInfo) -> object:
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value
        tz = ZoneInfo(info.data.get("timezone") or "Europe/London")
        try:
            return parse_now(str(value), tz)
        except SettingsError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 date or datetime (e.g. 2025-09-01)"
            ) from None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation failure into one ``SettingsError`` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"WORKFLOW_{field.upper()}: {message}") from None
