"""Concurrent changes to one specialist on PostgreSQL: one wins, the rest conflict cleanly."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN, build_world
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import AuditEntry, Specialist
from workflow.errors import Conflict, GuardFailed
from workflow.services import corrections, setup
from workflow.services.queries import places_used
from workflow.services.specialists import transition


def test_eight_threads_one_winner(postgres_url, clock, request):
    runtime = bootstrap(Settings(database_url=postgres_url), clock=clock)
    request.addfinalizer(runtime.close)
    (sid,) = build_world(runtime, clock).nominate()
    transition(runtime.uow(), ADMIN, sid, "select", clock.now())
    transition(runtime.uow(), ADMIN, sid, "start_year1", clock.now())
    with runtime.uow() as uow:
        version = uow.session.get(Specialist, sid).version
        audit_before = uow.session.scalar(select(func.count(AuditEntry.id)))

    triggers = ["withdraw", "defer"] * 4
    barrier = threading.Barrier(len(triggers))
    results: list[str] = []

    def attempt(trigger: str) -> None:
        barrier.wait()
        try:
            transition(
                runtime.uow(), ADMIN, sid, trigger, clock.now(), reason="t",
                expected_version=version,
            )  # fmt: skip
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=attempt, args=(t,)) for t in triggers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["conflict"] * 7 + ["ok"]
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count(AuditEntry.id))) == audit_before + 1
        assert uow.session.get(Specialist, sid).version == version + 1


# On SQLite a second writer waits for the first (one writer at a time), so only PostgreSQL
# can interleave two read-modify-write transactions.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_lost_update_is_refused_by_the_version_column(world):
    (sid,) = world.nominate()
    first, second = world.runtime.uow(), world.runtime.uow()
    with first, second:
        a = first.session.get(Specialist, sid)
        b = second.session.get(Specialist, sid)
        a.state = "selected"
        first.commit()
        b.state = "not_selected"
        with pytest.raises(Conflict):
            second.commit()
    with world.runtime.uow() as uow:
        assert uow.session.get(Specialist, sid).state == "selected"


def test_a_reserve_reinstated_and_a_selection_race_for_the_last_place(postgres_url, clock, request):
    """Two withdrawn specialists come back (reinstate) while a nominee is selected, all at
    once for one free place: the allocation row is locked, so exactly one takes it."""
    runtime = bootstrap(Settings(database_url=postgres_url), clock=clock)
    request.addfinalizer(runtime.close)
    world = build_world(runtime, clock)
    setup.allocate(runtime.uow(), ADMIN, "north", 9, 1)
    gone_a, gone_b, waiting = world.nominate(3)
    for sid in (gone_a, gone_b):
        transition(runtime.uow(), ADMIN, sid, "select", clock.now())
        transition(runtime.uow(), ADMIN, sid, "withdraw", clock.now(), reason="t")
    barrier = threading.Barrier(3)
    results: list[str] = []

    def attempt(action) -> None:
        barrier.wait()
        try:
            action()
            results.append("ok")
        except (GuardFailed, Conflict):
            results.append("refused")

    actions = [
        lambda: corrections.reinstate(runtime.uow(), ADMIN, gone_a, "undo", clock.now()),
        lambda: corrections.reinstate(runtime.uow(), ADMIN, gone_b, "undo", clock.now()),
        lambda: transition(runtime.uow(), ADMIN, waiting, "select", clock.now()),
    ]
    threads = [threading.Thread(target=attempt, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused", "refused"]
    with runtime.uow() as uow:
        assert places_used(uow.session, setup.hub_by_code(uow.session, "north").id, 1) == 1
