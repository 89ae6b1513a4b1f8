"""The scheduler and funding together: an instalment whose due date passed while the
scheduler was down is released once when it comes back, and never again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.integration.conftest import ADMIN, instalment_rules
from workflow.db.models import FundingEntry, LedgerEntry, OutboxMessage
from workflow.scheduler.dispatch import dispatch_due
from workflow.services import setup
from workflow.services.specialists import transition


@pytest.fixture
def world(instalment_world):
    """These tests cover the fixed-instalments basis (``basis = "instalments"``)."""
    return instalment_world


def test_a_scheduler_down_across_a_funding_due_date_releases_once(world, tmp_path):
    rt, clock = world.runtime, world.clock
    setup.add_cohort(rt.uow(), ADMIN, 2, instalment_rules(tmp_path, "cohort-2"))
    setup.allocate(rt.uow(), ADMIN, "north", 2, 4)
    clock.set(datetime(2018, 2, 1, 9, tzinfo=UTC))
    (sid,) = world.nominate(cohort=2, email="ada@school.example", teaching_since=date(2010, 9, 1))
    transition(rt.uow(), ADMIN, sid, "select", clock.now())
    # The cohort's Year 1 starts through the scheduler itself (its year-start due item).
    dispatch_due(rt, now=datetime(2018, 3, 1, 12, tzinfo=UTC))

    dispatch_due(rt, now=datetime(2018, 4, 29, 12, tzinfo=UTC))  # the day before: nothing
    assert _released(rt) == []
    # Down from 29 April to 9 May; back, it catches up once; later ticks add nothing.
    for day in (9, 10, 11):
        dispatch_due(rt, now=datetime(2018, 5, day, 12, tzinfo=UTC))
    assert _released(rt) == [(sid, 1, 150000)]
    with rt.uow() as uow:
        emails = [
            m.payload["to"]
            for m in uow.session.scalars(select(OutboxMessage))
            if m.payload.get("template") == "funding_released"
        ]
        statuses = list(uow.session.scalars(select(FundingEntry.status).order_by(FundingEntry.id)))
    assert sorted(emails) == ["finance", "headteacher"]
    assert statuses == ["released", "scheduled"]


def _released(rt) -> list[tuple[int, int, int]]:
    with rt.uow() as uow:
        rows = uow.session.execute(
            select(LedgerEntry.specialist_id, LedgerEntry.programme_year, LedgerEntry.amount_pence)
            .where(LedgerEntry.kind == "release")
            .order_by(LedgerEntry.id)
        ).all()
    return [tuple(r) for r in rows]
