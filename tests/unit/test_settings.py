"""Settings: defaults, validation, and one clear line naming the variable."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflow.config import Settings, load_settings
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
        ("WORKFLOW_WORKER_THREADS", "0"),
        ("WORKFLOW_WORKER_THREADS", "eight"),
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


def test_numbers_and_paths_come_as_text_and_names_in_any_case(monkeypatch):
    monkeypatch.setenv("workflow_worker_threads", "3")
    monkeypatch.setenv("WORKFLOW_MAIL_DIR", "/srv/mail")
    monkeypatch.setenv("WORKFLOW_TOKEN", "not a setting")  # read by the CLI, not here
    settings = load_settings()
    assert settings.worker_threads == 3
    assert settings.mail_dir == Path("/srv/mail")


def test_a_number_out_of_bounds_says_the_bound(monkeypatch):
    monkeypatch.setenv("WORKFLOW_WORKER_MAINTENANCE_CHANCE", "2000000")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == (
        "WORKFLOW_WORKER_MAINTENANCE_CHANCE: expected a whole number <= 1000000, got '2000000'"
    )


def test_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("WORKFLOW_WORKER_THREADS", "3")
    assert load_settings(worker_threads=5).worker_threads == 5


def test_built_directly_it_reads_no_environment_but_checks_urls(monkeypatch):
    monkeypatch.setenv("WORKFLOW_WORKER_THREADS", "3")
    settings = Settings(database_url="postgresql://u@db/workflow")
    assert settings.worker_threads == 8
    assert settings.database_url == "postgresql+psycopg://u@db/workflow"
    with pytest.raises(ValueError, match="not a Redis URL"):
        Settings(broker_url="amqp://guest@localhost")
