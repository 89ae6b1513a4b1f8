"""Settings: defaults, validation, and one clear line naming the variable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflow.config import load_settings
from workflow.errors import SettingsError


def test_defaults_are_the_embedded_setup(monkeypatch):
    for name in ("DATABASE_URL", "BROKER_URL", "SMTP_URL", "TIMEZONE", "NOW"):
        monkeypatch.delenv(f"WORKFLOW_{name}", raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/workflow.db"
    assert settings.broker_url is None
    assert settings.smtp_url is None
    assert settings.timezone == "Europe/London"
    assert settings.now is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WORKFLOW_DATABASE_URL", "nonsense"),
        ("WORKFLOW_DATABASE_URL", "mysql://x@y/z"),
        ("WORKFLOW_BROKER_URL", "amqp://guest@localhost"),
        ("WORKFLOW_SMTP_URL", "http://mail.example"),
        ("WORKFLOW_TIMEZONE", "Mars/Olympus_Mons"),
        ("WORKFLOW_NOW", "next tuesday"),
    ],
)
def test_a_bad_setting_names_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_postgres_urls_use_psycopg_3(monkeypatch):
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", "postgresql://u@db/workflow")
    assert load_settings().database_url == "postgresql+psycopg://u@db/workflow"


def test_now_is_read_as_london_time(monkeypatch):
    monkeypatch.setenv("WORKFLOW_NOW", "2025-09-01T09:00")
    assert load_settings().now == datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
    monkeypatch.setenv("WORKFLOW_NOW", "2025-12-01")
    assert load_settings().now == datetime(2025, 12, 1, 0, 0, tzinfo=UTC)
