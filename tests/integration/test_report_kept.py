"""What the national report reads as the database keeps it: the schools reached
(``schools_reached``, ``db/reach.py``), how far each hub's specialists got
(``hub_progress``, ``db/progress.py``) and who leads Work Groups
(``specialists.leads_work_groups``, ``db/work_group_leads.py``). After every kind of
write, through the services and behind their back, each equals what plain Python works
out again from the rows, and the report read from them equals the one worked out from the
tables (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import delete, insert, select, text, update

from tests.integration.conftest import ADMIN
from tests.integration.national_report_support import Programme, independent
from tests.integration.test_national_report import numbers
from workflow.db.models import (
    HubProgress,
    School,
    SchoolReached,
    Specialist,
    WorkGroup,
    WorkGroupSchool,
)
from workflow.services import changes
from workflow.services.national_report import ALL, national_report
from workflow.services.specialists import transition


def kept(runtime) -> dict[tuple, int]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(SchoolReached))
        return {(r.cohort_id, r.hub_id, r.urn): r.refs for r in rows}


def recounted(runtime) -> dict[tuple, int]:
    """Each (cohort, hub, URN) and how many reasons reach it, from every row in Python: a
    specialist who ever held a place reaches their school; one who ever led Work Groups,
    each school of each of their groups; their hub is their school's."""
    with runtime.uow() as uow:
        s = uow.session
        schools = {x.id: x for x in s.scalars(select(School))}
        people = {p.id: p for p in s.scalars(select(Specialist))}
        groups = {g.id: g for g in s.scalars(select(WorkGroup))}
        group_schools = s.scalars(select(WorkGroupSchool)).all()
    reasons = Counter()
    for p in people.values():
        if p.ever_selected:
            school = schools[p.school_id]
            reasons[(p.cohort_id, school.hub_id, school.urn)] += 1
    for g in group_schools:
        p = people.get(groups[g.work_group_id].specialist_id)
        if p is not None and p.ever_year3:
            reasons[(p.cohort_id, schools[p.school_id].hub_id, g.urn)] += 1
    return dict(reasons)


def progress_kept(runtime) -> dict[tuple, tuple]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(HubProgress))
        return {(r.cohort_id, r.hub_id): (r.selected, r.withdrawn, r.year2, r.year3,
                                          r.accredited, r.work_group_leads)
                for r in rows}  # fmt: skip


def progress_recounted(runtime) -> dict[tuple, tuple]:
    """Per (cohort, hub of their school): ever selected, of them withdrawn now, ever in
    Year 2, ever in Year 3, accredited of those selected, in Year 3 and leading a Work
    Group (read from ``work_groups``, not from the kept flag); those counting no one
    left out."""
    with runtime.uow() as uow:
        s = uow.session
        schools = {x.id: x for x in s.scalars(select(School))}
        people = s.scalars(select(Specialist)).all()
        leading = {g.specialist_id for g in s.scalars(select(WorkGroup)) if g.role == "leads"}
    counts: dict[tuple, list[int]] = {}
    for p in people:
        row = (p.ever_selected, p.ever_selected and p.state == "withdrawn", p.ever_year2,
               p.ever_year3, p.ever_selected and p.accredited,
               p.ever_year3 and p.id in leading)  # fmt: skip
        key = (p.cohort_id, schools[p.school_id].hub_id)
        counts.setdefault(key, [0] * 6)
        counts[key] = [n + bool(flag) for n, flag in zip(counts[key], row, strict=True)]
    return {key: tuple(n) for key, n in counts.items() if any(n)}


def assert_kept_and_reported(runtime) -> None:
    assert kept(runtime) == recounted(runtime)
    assert progress_kept(runtime) == progress_recounted(runtime)
    for cohort in (9, 10, ALL):
        report = national_report(runtime.uow(), ADMIN, cohort)
        assert numbers(report) == independent(runtime, None if cohort == ALL else cohort)


@pytest.fixture
def programme(runtime, clock) -> Programme:
    return Programme(runtime, clock).build()


def ids(runtime, **where) -> list[int]:
    with runtime.uow() as uow:
        query = select(Specialist.id).order_by(Specialist.id)
        for column, value in where.items():
            query = query.where(getattr(Specialist, column) == value)
        return list(uow.session.scalars(query))


def test_the_services_writes_keep_the_reach(programme, runtime, clock):
    """The varied programme (selections, Year 3, Work Groups led and joined, withdrawals),
    then a Work Group Lead moving to another hub's school and another Work Group."""
    assert_kept_and_reported(runtime)
    before = kept(runtime)
    assert sum(before.values()) > len(before)  # some schools are reached for two reasons
    lead = ids(runtime, state="work_group_lead")[0]
    changes.move(runtime.uow(), ADMIN, lead, "200002", "Moved to a south school", clock.now())
    assert_kept_and_reported(runtime)
    assert kept(runtime) != before
    programme.group(lead, ["500001", "100001"])
    assert_kept_and_reported(runtime)


def test_writes_behind_the_services_back_keep_the_reach(programme, runtime, clock):
    """No service moves a school to another hub, renumbers it, takes a school out of a Work
    Group or gives a group to someone else: the database still keeps up."""
    steps = [
        update(School).where(School.urn == "100003").values(hub_id=2),  # to south
        update(School).where(School.urn == "200002").values(urn="299999"),
        delete(WorkGroupSchool).where(WorkGroupSchool.urn == "300002"),
        update(WorkGroupSchool).where(WorkGroupSchool.urn == "400001").values(urn="100001"),
        update(Specialist).where(Specialist.state == "work_group_lead").values(cohort_id=2),
        update(WorkGroup).values(role="joins"),  # no one leads a group any more
        update(WorkGroup).where(WorkGroup.id == 1).values(role="leads"),
        update(Specialist).where(Specialist.state == "year2").values(state="withdrawn"),
    ]
    for step in steps:
        with runtime.uow() as uow:
            uow.session.execute(step)
            uow.commit()
        assert_kept_and_reported(runtime)
    withdrew_in_year3 = ids(runtime, state="withdrawn", ever_year3=True)[0]
    with runtime.uow() as uow:  # every Work Group given to one who led groups, then withdrew
        uow.session.execute(update(WorkGroup).values(specialist_id=withdrew_in_year3))
        uow.commit()
    assert_kept_and_reported(runtime)
    year2 = ids(runtime, ever_year2=True, ever_year3=False)[0]
    with runtime.uow() as uow:  # given to someone never in Year 3: reaches nothing
        uow.session.execute(update(WorkGroup).values(specialist_id=year2))
        uow.commit()
    # (The report assumes only those who reached Year 3 have Work Groups, as the services
    # ensure; the independent working-out does not: only what is kept is compared.)
    assert kept(runtime) == recounted(runtime)
    assert progress_kept(runtime) == progress_recounted(runtime)
    with runtime.uow() as uow:
        uow.session.execute(delete(WorkGroupSchool))
        uow.session.execute(delete(WorkGroup))
        uow.commit()
    assert_kept_and_reported(runtime)


def test_bulk_sql_is_kept_and_a_rolled_back_write_is_not(world, runtime, clock):
    now = clock.now()
    row = {"name": "Bulk", "email": "bulk@school.example", "qts": True,
           "teaching_since": now.date(), "school_id": 1, "cohort_id": 1, "state": "year1",
           "version": 1, "created_at": now, "updated_at": now, "ever_selected": True}  # fmt: skip
    with runtime.uow() as uow:
        uow.session.execute(insert(Specialist), [row, {**row, "email": "b2@school.example"}])
        # rolled back: never committed
    assert kept(runtime) == {} and progress_kept(runtime) == {}
    with runtime.uow() as uow:
        uow.session.execute(insert(Specialist), [row, {**row, "email": "b2@school.example"}])
        uow.commit()
    assert kept(runtime) == recounted(runtime) == {(1, 1, world.school): 2}
    assert progress_kept(runtime) == progress_recounted(runtime) == {(1, 1): (2, 0, 0, 0, 0, 0)}
    with runtime.uow() as uow:
        uow.session.execute(text("DELETE FROM specialists WHERE email = 'b2@school.example'"))
        uow.session.execute(text("UPDATE specialists SET school_id = 2 WHERE name = 'Bulk'"))
        uow.commit()
    assert kept(runtime) == recounted(runtime) == {(1, 2, world.other_school): 1}
    assert progress_kept(runtime) == progress_recounted(runtime) == {(1, 2): (1, 0, 0, 0, 0, 0)}
    with runtime.uow() as uow:
        uow.session.execute(text("DELETE FROM specialists WHERE name = 'Bulk'"))
        uow.commit()
    assert kept(runtime) == {} and progress_kept(runtime) == {}  # a row goes with its last


def test_concurrent_selections_at_one_school_are_all_kept_on_postgresql(
    postgres_url, clock, request
):
    """Eight transactions selecting at once at two schools (the same kept rows in each):
    none lost, no deadlock."""
    from tests.integration.conftest import build_world
    from workflow.bootstrap import bootstrap
    from workflow.config import Settings
    from workflow.services import setup

    rt = bootstrap(Settings(database_url=postgres_url), clock=clock)
    request.addfinalizer(rt.close)
    world = build_world(rt, clock)
    for hub in ("north", "south"):
        setup.allocate(rt.uow(), ADMIN, hub, 9, 8)
    north, south = world.nominate(4), world.nominate(4, school=world.other_school)
    barrier, failures = threading.Barrier(8), []

    def select_one(sid: int) -> None:
        barrier.wait()
        try:
            transition(rt.uow(), ADMIN, sid, "select", clock.now())
        except Exception as error:
            failures.append(repr(error))

    threads = [threading.Thread(target=select_one, args=(sid,)) for sid in north + south]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert kept(rt) == recounted(rt) == {(1, 1, world.school): 4, (1, 2, world.other_school): 4}
    assert progress_kept(rt) == progress_recounted(rt) == {(1, 1): (4, 0, 0, 0, 0, 0),
                                                           (1, 2): (4, 0, 0, 0, 0, 0)}  # fmt: skip
