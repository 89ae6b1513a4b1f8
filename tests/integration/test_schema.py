"""The migrations and the models agree, on both databases; SQLite runs with foreign keys and WAL."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, inspect, text
from sqlalchemy.exc import IntegrityError

from workflow.db import models
from workflow.db.migrate import schema_differences, upgrade


def test_migrations_match_models(engine):
    assert schema_differences(engine) == []


def test_a_model_column_without_migration_is_detected(engine):
    table = models.Base.metadata.tables["hubs"]
    extra = Column("added_without_migration", Integer)
    table.append_column(extra)
    try:
        differences = schema_differences(engine)
    finally:
        table._columns.remove(extra)
    assert any(diff[0] == "add_column" and diff[3].name == extra.name for diff in differences)


def test_upgrade_twice_is_harmless(engine):
    upgrade(engine)
    assert "specialists" in inspect(engine).get_table_names()


def test_every_required_table_exists(engine):
    names = set(inspect(engine).get_table_names())
    assert {
        "hubs",
        "hub_allocations",
        "schools",
        "staff",
        "cohorts",
        "specialists",
        "audit_log",
        "outbox",
        "funding_entries",
        "ledger",
        "email_log",
        "due_items",
        "dead_letters",
    } <= names


def test_funding_instalment_is_unique(runtime, clock):
    from tests.factories import add_specialist

    with runtime.uow() as uow:
        specialist = add_specialist(uow.session, clock.now())
        row = dict(
            specialist_id=specialist.id,
            school_id=specialist.school_id,
            programme_year=1,
            instalment=1,
            origin="rules",
            amount_pence=100,
            due_date=clock.now().date(),
            status="scheduled",
            created_at=clock.now(),
        )
        uow.session.add(models.FundingEntry(**row))
        uow.flush()
        uow.session.add(models.FundingEntry(**row))
        with pytest.raises(IntegrityError):
            uow.session.flush()


def test_foreign_keys_are_enforced(runtime, clock):
    with runtime.uow() as uow:
        uow.session.add(models.HubAllocation(hub_id=999, cohort_id=999, places=1))
        with pytest.raises(IntegrityError):
            uow.session.flush()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_connections_use_wal_and_foreign_keys(engine):
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
