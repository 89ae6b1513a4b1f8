"""Applying and checking Alembic migrations, without an alembic.ini on disk."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from workflow.db.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"
# Tables other libraries create and own in our database, which no migration manages:
# APScheduler's job store (``scheduler/runner.py``) creates its table itself.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})
# PostgreSQL's trigram indexes for the search, made only where pg_trgm can be had.
DATABASE_ONLY_INDEXES = frozenset({"ix_specialists_name_trgm", "ix_specialists_email_trgm"})


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def schema_differences(engine: Engine) -> list:
    """What Alembic's autogenerate finds between the models and the migrated database."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": include_name,
            },
        )
        return compare_metadata(context, Base.metadata)


def include_name(name: str | None, type_: str, _parent: dict) -> bool:
    """Alembic's filter: compare and generate only the tables we own, and leave out the
    indexes only some databases have (migration ``web_scale_indexes``)."""
    if type_ == "index" and name in DATABASE_ONLY_INDEXES:
        return False
    return not (type_ == "table" and name in FOREIGN_TABLES)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at; None for a database without our tables."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
