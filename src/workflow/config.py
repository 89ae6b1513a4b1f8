"""Settings read from the environment (prefix ``WORKFLOW_``), validated once per process."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta

from workflow.clock import parse_now
from workflow.conversion import FieldProblem, Invalid, convert
from workflow.errors import SettingsError

DEFAULT_VAR_DIR = Path("var")
DEFAULT_TIMEZONE = "Europe/London"
PREFIX = "WORKFLOW_"


class Settings(msgspec.Struct, kw_only=True):
    """Everything a process needs to know about where it runs.

    ``load_settings`` reads it from the environment. Code and tests may also build one
    directly, ``Settings(database_url=...)``: that takes nothing from the environment, and
    checks the URLs and the time zone but not the bounds on the numbers.
    """

    database_url: str = f"sqlite:///{DEFAULT_VAR_DIR / 'workflow.db'}"
    broker_url: str | None = None
    smtp_url: str | None = None
    mail_dir: Path = DEFAULT_VAR_DIR / "mail"
    mail_from: str = "Maths Hubs Mastery Programme <mastery@mathshubs.example>"
    timezone: str = DEFAULT_TIMEZONE
    # What every command takes as now (rehearsals, back-filling, tests); unset: the system clock.
    now: datetime | None = None

    # Workers (see workers/broker.py). Tests and benchmarks shorten the timings.
    worker_threads: Annotated[int, Meta(ge=1)] = 8
    worker_max_retries: Annotated[int, Meta(ge=0)] = 8
    worker_min_backoff_ms: Annotated[int, Meta(ge=1)] = 1_000
    worker_max_backoff_ms: Annotated[int, Meta(ge=1)] = 300_000
    # A message whose handling started this many times without finishing (its worker died
    # each time) is dead-lettered instead of being tried again.
    worker_max_crashes: Annotated[int, Meta(ge=1)] = 5
    # Redis: a worker silent this long is taken for dead and its messages are requeued, by a
    # check that runs on `worker_maintenance_chance` in a million Redis commands.
    worker_heartbeat_timeout_ms: Annotated[int, Meta(ge=100)] = 20_000
    worker_maintenance_chance: Annotated[int, Meta(ge=0, le=1_000_000)] = 100_000
    # An outbox row published this long ago whose effect is not recorded, and whose message
    # the broker no longer holds, is published again (workers/relay.py).
    outbox_redeliver_after_s: Annotated[float, Meta(gt=0, le=86_400)] = 60.0

    # Personal data (services/gdpr/). The secret that keys the hash of an erased address
    # (kept outside the database, so that a copy of it cannot confirm whose address it was);
    # erasure is refused while it is unset.
    erasure_key: str | None = None
    # Retention, applied daily (services/gdpr/retention.py; the reasons are in its docstring).
    retention_not_selected_months: Annotated[int, Meta(ge=1)] = 12
    retention_email_content_days: Annotated[int, Meta(ge=1)] = 90
    retention_left_years: Annotated[int, Meta(ge=1)] = 6

    def __post_init__(self) -> None:
        self.database_url = _database_url(self.database_url)
        self.broker_url = _broker_url(self.broker_url)
        self.smtp_url = _smtp_url(self.smtp_url)
        _check_timezone(self.timezone)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _database_url(value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme == "sqlite":
        return value
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        # One driver everywhere: psycopg 3.
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    raise FieldProblem(
        "database_url",
        "not a database URL: expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
    )


def _broker_url(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise FieldProblem("broker_url", "not a Redis URL: expected redis://HOST:PORT/DB")
    return value


def _smtp_url(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise FieldProblem(
            "smtp_url",
            "not an SMTP URL: expected smtp://HOST:PORT, smtp+starttls://... or smtps://...",
        )
    return value


def _check_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldProblem("timezone", f"unknown time zone {value!r}") from None


def _path(type_: type, value: Any) -> Any:
    """msgspec's hook for the one field type it does not know: ``mail_dir``, a ``Path``."""
    if type_ is Path and isinstance(value, str | os.PathLike):
        return Path(value)
    raise TypeError(f"expected a folder path, got {value!r}")


def load_settings(**overrides: object) -> Settings:
    """The ``WORKFLOW_*`` environment plus ``overrides``; a fault is one ``SettingsError`` line.

    Variable names are matched case-insensitively; ``WORKFLOW_*`` variables that name no
    setting (``WORKFLOW_TOKEN`` is read by the CLI) are left alone. Numbers come as text.
    """
    fields = set(Settings.__struct_fields__)
    raw: dict[str, Any] = {}
    for key, value in os.environ.items():
        name = key[len(PREFIX) :].lower()
        if key[: len(PREFIX)].upper() == PREFIX and name in fields:
            raw[name] = value
    raw.update(overrides)
    now = raw.pop("now", None)
    try:
        settings = convert(raw, Settings, strict=False, dec_hook=_path)
    except Invalid as exc:
        raise SettingsError(f"{PREFIX}{(exc.where or '?').upper()}: {exc.message}") from None
    if isinstance(now, str) and now:
        settings.now = parse_now(now, settings.tz)  # local time if no offset
    elif isinstance(now, datetime):
        settings.now = now
    return settings
