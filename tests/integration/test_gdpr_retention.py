"""Retention (``services/gdpr/retention.py``): each rule when due and not before; a dry run
changes nothing; applied twice, the second run changes nothing at all."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import MetaData, select

from tests.integration.conftest import ADMIN
from tests.integration.gdpr_support import (
    NAME,
    at,
    find_everywhere,
    keyed_runtime,
    paid_year1_specialist,
)
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import Erasure, OutboxMessage, Specialist
from workflow.scheduler.retention import run_retention
from workflow.scheduler.runner import RETENTION_JOB_ID, build_scheduler
from workflow.services.gdpr.retention import Rules, apply_retention, financial_year_end
from workflow.services.specialists import transition

RULES = Rules()


@pytest.fixture
def rt(database_url, clock, tmp_path):
    runtime = keyed_runtime(database_url, clock, tmp_path)
    yield runtime
    runtime.close()


def snapshot(engine) -> dict[str, list]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            t.name: sorted(map(tuple, connection.execute(select(t))), key=repr)
            for t in metadata.sorted_tables
        }


def test_financial_year_ends_on_31_march():
    assert financial_year_end(date(2026, 2, 2)) == date(2026, 3, 31)
    assert financial_year_end(date(2026, 4, 1)) == date(2027, 3, 31)


def test_retention_erases_when_due_and_applied_twice_changes_nothing(rt, clock):
    paid = paid_year1_specialist(rt, clock)  # withdrew 2026-02-02, last paid then
    declined = paid.world.nominate(1, name="Nora Notchosen", email="nora@school.example")[0]
    transition(rt.uow(), ADMIN, declined, "decline", clock.now(), reason="Nora: no place")

    def run(day, dry_run=False):
        clock.set(at(day))
        return apply_retention(rt.uow(), RULES, clock.now(), dry_run=dry_run)

    early = run(date(2026, 8, 31))
    assert (early.not_selected_erased, early.left_erased) == ([], [])
    assert early.email_content_cleared > 0  # reasons in emails sent before June 2026

    before = snapshot(rt.engine)
    dry = run(date(2026, 9, 1), dry_run=True)
    assert dry.not_selected_erased == [declined]
    assert snapshot(rt.engine) == before

    due = run(date(2026, 9, 1))
    assert due.not_selected_erased == [declined] and due.left_erased == []
    assert find_everywhere(rt.engine, ["Nora Notchosen", "nora@school.example"]) == []

    assert run(date(2032, 3, 31)).left_erased == []  # six years after 31 March 2026: not yet
    later = run(date(2032, 4, 1))
    assert later.left_erased == [paid.subject]
    assert find_everywhere(rt.engine, [NAME]) == []

    settled = snapshot(rt.engine)
    again = run(date(2032, 4, 1))
    assert again.changes == 0
    assert snapshot(rt.engine) == settled
    with rt.uow() as uow:
        erased = uow.session.scalars(select(Erasure.specialist_id).order_by(Erasure.id)).all()
        still = uow.session.get(Specialist, paid.bystander)
        payloads = uow.session.scalars(select(OutboxMessage.payload)).all()
    assert erased == [declined, paid.subject]
    assert still.name == "Teacher 0"
    assert all((p.get("extra") or {}).get("reason") in (None, "[erased]") for p in payloads)


def test_the_scheduler_applies_retention_daily_in_the_configured_zone(rt, clock, caplog):
    scheduler = build_scheduler(rt, 60, persistent=False)
    job = scheduler.get_job(RETENTION_JOB_ID)
    assert isinstance(job.trigger, CronTrigger)
    assert "hour='2', minute='30'" in str(job.trigger)
    assert str(job.trigger.timezone) == rt.settings.timezone == "Europe/London"

    paid = paid_year1_specialist(rt, clock)
    clock.set(at(date(2032, 4, 2)))
    with caplog.at_level(logging.DEBUG):
        report = run_retention(rt)
    assert report.left_erased == [paid.subject]
    assert f"[{paid.subject}]" in caplog.text and NAME not in caplog.text
    assert find_everywhere(rt.engine, [NAME]) == []
    assert run_retention(rt).changes == 0

    keyless = bootstrap(Settings(database_url=rt.settings.database_url), clock=clock)
    try:
        assert run_retention(keyless) is None
    finally:
        keyless.close()
    assert "retention not applied: WORKFLOW_ERASURE_KEY" in caplog.text
