"""Concurrent releases on PostgreSQL: however many workers race, one ledger row per instalment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from tests.integration._funding_support import FUNDING_ONLY
from tests.integration.conftest import ADMIN, build_world, instalment_rules
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import FundingEntry, LedgerEntry
from workflow.scheduler.dispatch import dispatch_due
from workflow.services.funding import RELEASE_FUNDING, release_instalment
from workflow.services.specialists import transition


def _started(postgres_url, clock, request, n: int):
    runtime = bootstrap(Settings(database_url=postgres_url), clock=clock)
    request.addfinalizer(runtime.close)
    rules = instalment_rules(request.getfixturevalue("tmp_path"), "cohort-9")
    ids = build_world(runtime, clock, rules).nominate(n)
    for sid in ids:
        transition(runtime.uow(), ADMIN, sid, "select", clock.now())
        transition(runtime.uow(), ADMIN, sid, "start_year1", clock.now())
    return runtime


def _race(target, args_list) -> list:
    barrier = threading.Barrier(len(args_list))
    results: list = []

    def run(*args):
        barrier.wait()
        results.append(target(*args))

    threads = [threading.Thread(target=run, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_eight_workers_release_one_instalment_once(postgres_url, clock, request):
    runtime = _started(postgres_url, clock, request, 1)
    with runtime.uow() as uow:
        entry_id = uow.session.scalar(select(func.min(FundingEntry.id)))
    now = datetime(2026, 1, 15, 12, tzinfo=UTC)
    results = _race(lambda: release_instalment(runtime.uow(), entry_id, now), [()] * 8)
    assert sorted(results) == ["already_released"] * 7 + ["released"]
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(LedgerEntry.funding_entry_id)).all()
    assert rows == [entry_id]


def test_four_schedulers_dispatching_together_release_each_once(postgres_url, clock, request):
    runtime = _started(postgres_url, clock, request, 4)
    now = datetime(2026, 7, 16, 12, tzinfo=UTC)  # both Year 1 instalments due

    def dispatch() -> int:
        return dispatch_due(runtime, FUNDING_ONLY, now=now, limit=3).done[RELEASE_FUNDING]

    counts = _race(dispatch, [()] * 4)
    assert sum(counts) == 8
    with runtime.uow() as uow:
        ledger = uow.session.scalars(select(LedgerEntry.funding_entry_id)).all()
        statuses = set(uow.session.scalars(select(FundingEntry.status)))
    assert len(ledger) == len(set(ledger)) == 8
    assert statuses == {"released"}
