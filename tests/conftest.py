"""Shared fixtures: databases (SQLite and PostgreSQL, migrated), a runtime with a fixed clock.

The servers come from ``scripts/with-test-servers`` (run by ``make test``), which exports
``WORKFLOW_TEST_POSTGRES_URL`` and ``WORKFLOW_TEST_REDIS_URL``. When one is missing, tests
that need it are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.engine import make_engine
from workflow.db.migrate import upgrade
from workflow.runtime import Runtime

STRICT = os.environ.get("CI") == "true"

# No time limit per generated example: on a busy machine the default 200 ms failed tests
# that were right (speed is measured in bench/, never asserted in tests).
hypothesis_settings.register_profile("workflow", deadline=None)
hypothesis_settings.load_profile("workflow")


def require_server(variable: str, what: str) -> str:
    """The URL of a test server, or skip (fail under CI=true) when it was not started."""
    value = os.environ.get(variable)
    if not value:
        message = f"{what} not available: {variable} is unset (run the tests with `make test`)"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)
    return value


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    return require_server("WORKFLOW_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require_server("WORKFLOW_TEST_REDIS_URL", "Redis")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url) -> str:
    """The name of a migrated PostgreSQL database that each test clones."""
    name = f"wf_template_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_with_database(postgres_admin_url, name))
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def fresh_sqlite_url(template: Path, directory: Path) -> str:
    path = directory / "workflow.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fresh_postgres_url(request, postgres_admin_url) -> Iterator[str]:
    template = request.getfixturevalue("postgres_template")
    name = f"wf_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _with_database(postgres_admin_url, name)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """A freshly migrated database of each kind: every database test runs on both."""
    if request.param == "sqlite":
        return fresh_sqlite_url(request.getfixturevalue("sqlite_template"), tmp_path)
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def postgres_url(fresh_postgres_url) -> str:
    """A freshly migrated PostgreSQL database, for tests about PostgreSQL behaviour."""
    return fresh_postgres_url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def runtime(database_url, clock, tmp_path) -> Iterator[Runtime]:
    settings = Settings(database_url=database_url, mail_dir=tmp_path / "mail")
    rt = bootstrap(settings, clock=clock)
    yield rt
    rt.close()


@pytest.fixture
def engine(runtime) -> Engine:
    return runtime.engine
