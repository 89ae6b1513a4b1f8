"""What the dashboards read instead of counting: the tallies the database keeps, and the
stuck judged as facts change. After every kind of write, each equals a recount from
scratch (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, insert, select, text, update

from tests.integration.conftest import ADMIN
from workflow.db.models import AuditEntry, School, Specialist, SpecialistTally
from workflow.services import changes, corrections, setup, standing
from workflow.services.advancement import advance_cohort
from workflow.services.auth import Actor, Role
from workflow.services.search import Filters, search
from workflow.services.specialists import record_milestone, transition


def tallies(runtime) -> dict[tuple, int]:
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(SpecialistTally).where(SpecialistTally.count != 0))
        return {(t.cohort_id, t.hub_id, t.state): t.count for t in rows}


def recount(runtime) -> dict[tuple, int]:
    with runtime.uow() as uow:
        rows = uow.session.execute(
            select(Specialist.cohort_id, School.hub_id, Specialist.state, func.count())
            .join(School, School.id == Specialist.school_id)
            .group_by(Specialist.cohort_id, School.hub_id, Specialist.state)
        )
        return {(c, h, s): n for c, h, s, n in rows}


def hubs_kept_and_of_schools(runtime) -> tuple[dict[int, int], dict[int, int]]:
    """Each specialist's ``hub_id`` as kept on their row, and their school's hub now."""
    with runtime.uow() as uow:
        rows = uow.session.execute(
            select(Specialist.id, Specialist.hub_id, School.hub_id).join(
                School, School.id == Specialist.school_id
            )
        ).all()
    return {i: kept for i, kept, _ in rows}, {i: hub for i, _, hub in rows}


def stored_stuck(runtime) -> dict[int, list[str]]:
    with runtime.uow() as uow:
        return dict(
            uow.session.execute(
                select(Specialist.id, Specialist.stuck_reasons).where(
                    Specialist.stuck_reasons.is_not(None)
                )
            ).all()
        )


def judged_afresh(runtime) -> dict[int, list[str]]:
    with runtime.uow() as uow:
        rows = uow.session.execute(
            select(Specialist.id, Specialist.cohort_id, Specialist.state)
        ).all()
        return standing.judge(uow.session, rows)


PLACES = {"selected", "year1", "year2", "work_group_lead", "deferred"}


def stored_reached(runtime) -> dict[int, tuple]:
    with runtime.uow() as uow:
        rows = uow.session.execute(
            select(Specialist.id, Specialist.ever_selected, Specialist.ever_year2,
                   Specialist.ever_year3, Specialist.accredited)
        )  # fmt: skip
        return {sid: tuple(flags) for sid, *flags in rows}


def reached_from_the_trail(runtime) -> dict[int, tuple]:
    """The same four flags, recomputed from the audit log in plain Python."""
    with runtime.uow() as uow:
        entries = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        ids = uow.session.scalars(select(Specialist.id)).all()
    voided = {e.voids_id for e in entries if e.voids_id is not None}
    into = {i: set() for i in ids}
    accredited = set()
    for e in entries:
        if e.kind == "transition":
            into[e.specialist_id].add(e.to_state)
        elif e.kind == "milestone" and e.name == "accreditation" and e.id not in voided:
            accredited.add(e.specialist_id)
    return {
        i: (bool(into[i] & PLACES), "year2" in into[i], "work_group_lead" in into[i],
            i in accredited)
        for i in ids
    }  # fmt: skip


def assert_kept(runtime) -> None:
    assert tallies(runtime) == recount(runtime)
    kept, of_schools = hubs_kept_and_of_schools(runtime)
    assert kept == of_schools
    assert stored_stuck(runtime) == judged_afresh(runtime)
    assert stored_reached(runtime) == reached_from_the_trail(runtime)


def test_after_every_kind_of_change_the_tallies_and_the_stuck_equal_a_recount(world):
    rt, now = world.runtime, world.clock.now
    setup.add_cohort(rt.uow(), ADMIN, 10, "cohort-10")
    setup.allocate(rt.uow(), ADMIN, "north", 10, 2)
    north = world.nominate(5)
    south = world.nominate(3, school=world.other_school)
    assert_kept(rt)
    assert tallies(rt)[(1, 1, "nominated")] == 5

    for sid in north[:4] + south[:2]:
        transition(rt.uow(), ADMIN, sid, "select", now())
        record_milestone(rt.uow(), ADMIN, sid, "launch_attended", now())
    transition(rt.uow(), ADMIN, north[4], "decline", now(), reason="Not this year")
    transition(rt.uow(), ADMIN, south[2], "withdraw", now(), reason="Left the school")
    assert_kept(rt)

    advance_cohort(rt.uow(), ADMIN, 9, "start_year1", now(), batch_size=2)
    assert set(stored_stuck(rt)) == set(north[:4] + south[:2])  # no days yet: all stuck
    assert_kept(rt)

    for sid in (north[0], south[0]):  # Year 1 complete
        record_milestone(rt.uow(), ADMIN, sid, "central_day", now(), half_days=11)
        record_milestone(rt.uow(), ADMIN, sid, "development_day", now(), half_days=4)
    assert north[0] not in stored_stuck(rt) and south[0] not in stored_stuck(rt)
    with rt.uow() as uow:
        central = uow.session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.specialist_id == south[0], AuditEntry.name == "central_day"
            )
        )
    corrections.void_milestone(rt.uow(), ADMIN, south[0], central, "Recorded twice", now())
    assert "central days" in " ".join(stored_stuck(rt)[south[0]])
    assert_kept(rt)

    transition(rt.uow(), ADMIN, north[1], "defer", now(), reason="Leave")
    assert north[1] not in stored_stuck(rt)  # deferred: no next year to be held back from
    corrections.change_cohort(rt.uow(), ADMIN, north[1], 10, "Back next year", now())
    changes.move(rt.uow(), ADMIN, north[2], world.other_school, "Moved school", now())
    assert_kept(rt)
    assert tallies(rt)[(1, 2, "year1")] == 3  # two of the south's, and the one who moved

    advance_cohort(rt.uow(), ADMIN, 9, "start_year2", now())
    assert_kept(rt)
    assert tallies(rt)[(1, 1, "year2")] == 1 and stored_stuck(rt)[north[0]] == [
        "PD Lead accreditation is not recorded"
    ]
    record_milestone(rt.uow(), ADMIN, north[0], "accreditation", now())
    assert stored_reached(rt)[north[0]] == (True, True, False, True)
    assert north[0] not in stored_stuck(rt)
    assert_kept(rt)


def test_the_lists_count_from_the_tallies_equals_the_rows_it_pages_through(world):
    rt, now = world.runtime, world.clock.now
    setup.add_cohort(rt.uow(), ADMIN, 10, "cohort-10")
    setup.allocate(rt.uow(), ADMIN, "south", 10, 1)
    north, south = world.nominate(4), world.nominate(3, school=world.other_school)
    for sid in north[:3] + south[:1] + south[2:]:
        transition(rt.uow(), ADMIN, sid, "select", now())
    transition(rt.uow(), ADMIN, north[3], "decline", now(), reason="Not this year")
    transition(rt.uow(), ADMIN, south[2], "defer", now(), reason="Leave")
    corrections.change_cohort(rt.uow(), ADMIN, south[2], 10, "Next year instead", now())
    lead = Actor("lead@north.example", Role.HUB_LEAD, 1)
    cases = [Filters(), Filters(cohort=9), Filters(cohort=10), Filters(state="selected"),
             Filters(hub="north"), Filters(cohort=9, hub="north", state="selected"),
             Filters(cohort=9, state="nominated"), Filters(state="year2")]  # fmt: skip
    totals = {}
    for actor in (ADMIN, lead):
        for filters in cases:
            found = search(rt.uow(), actor, filters, page=1)
            every = search(rt.uow(), actor, filters, page=None)  # every row, counted by rows
            assert found.total == len(every.rows), (actor.role, filters)
            totals[(actor.role, filters)] = found.total
    assert totals[(Role.NATIONAL_ADMIN, Filters())] == 7
    assert totals[(Role.NATIONAL_ADMIN, Filters(state="selected"))] == 4
    assert totals[(Role.HUB_LEAD, Filters())] == 4
    assert totals[(Role.HUB_LEAD, Filters(state="selected"))] == 3
    assert totals[(Role.NATIONAL_ADMIN, Filters(cohort=10))] == 1


def test_a_school_moving_hub_takes_its_specialists_counts_with_it(world):
    rt = world.runtime
    world.nominate(3)
    world.nominate(1, school=world.other_school)
    before = tallies(rt)
    with rt.uow() as uow:  # no service moves a school between hubs: the database still keeps up
        uow.session.execute(update(School).where(School.urn == world.school).values(hub_id=2))
        uow.commit()
    assert tallies(rt) == recount(rt) == {(1, 2, "nominated"): 4}
    kept, of_schools = hubs_kept_and_of_schools(rt)
    assert kept == of_schools and set(kept.values()) == {2}
    assert before == {(1, 1, "nominated"): 3, (1, 2, "nominated"): 1}


def test_bulk_sql_is_counted_and_a_rolled_back_write_is_not(world):
    rt, now = world.runtime, world.clock.now()
    world.nominate(1)
    row = {"name": "Bulk", "email": "bulk@school.example", "qts": True,
           "teaching_since": now.date(), "school_id": 1, "cohort_id": 1, "state": "year1",
           "version": 1, "created_at": now, "updated_at": now}  # fmt: skip
    with rt.uow() as uow:
        uow.session.execute(insert(Specialist), [row, {**row, "email": "bulk2@school.example"}])
        uow.session.execute(
            text("UPDATE specialists SET state = 'year2' WHERE email = 'bulk@school.example'")
        )
        # rolled back: never committed
    assert tallies(rt) == recount(rt) == {(1, 1, "nominated"): 1}
    with rt.uow() as uow:
        uow.session.execute(insert(Specialist), [row, {**row, "email": "bulk2@school.example"}])
        uow.session.execute(
            text("UPDATE specialists SET state = 'year2' WHERE email = 'bulk@school.example'")
        )
        uow.session.execute(text("DELETE FROM specialists WHERE email = 'bulk2@school.example'"))
        uow.commit()
    assert tallies(rt) == recount(rt) == {(1, 1, "nominated"): 1, (1, 1, "year2"): 1}
    with rt.uow() as uow:  # no writer sets a specialist's hub: a wrong one is put right
        uow.session.execute(text("UPDATE specialists SET hub_id = 2"))
        uow.session.execute(text("UPDATE specialists SET school_id = 2 WHERE name = 'Bulk'"))
        uow.commit()
    kept, of_schools = hubs_kept_and_of_schools(rt)
    assert kept == of_schools and sorted(kept.values()) == [1, 2]
    # Bulk SQL writes states behind the services' back: ``rebuild`` judges them.
    assert stored_stuck(rt) == {}
    assert standing.rebuild(rt.uow()) == 1
    assert_kept(rt)


def test_the_dashboard_shows_each_cohorts_first_stuck_by_name_and_how_many(world, monkeypatch):
    from workflow.services import dashboard

    rt, now = world.runtime, world.clock.now
    names = ["Zoe North", "Amy North", "Max North"]
    north = [world.nominate(1, name=n, email=f"{n.split()[0].lower()}@n.example")[0]
             for n in names]  # fmt: skip
    south = world.nominate(1, school=world.other_school, name="Sam South", email="s@s.example")
    for sid in north + south:
        transition(rt.uow(), ADMIN, sid, "select", now())
    advance_cohort(rt.uow(), ADMIN, 9, "start_year1", now())  # no days yet: all stuck
    monkeypatch.setattr(dashboard, "STUCK_SHOWN", 2)
    lead = Actor("lead@north.example", Role.HUB_LEAD, 1)

    for actor, first, total in ((lead, ["Amy North", "Max North"], 3),
                                (ADMIN, ["Amy North", "Max North"], 4)):  # fmt: skip
        (cohort,) = dashboard.dashboard(rt.uow(), actor, now())["cohorts"]
        assert [s["name"] for s in cohort["stuck"]] == first
        assert cohort["stuck_total"] == total
        assert cohort["stuck"][0]["reasons"] == stored_stuck(rt)[north[1]]
    (cohort,) = dashboard.dashboard(rt.uow(), lead, now())["cohorts"]
    assert cohort["by_state"] == {"year1": 3} and cohort["used"] == 3


def test_concurrent_changes_in_both_hubs_are_all_counted_on_postgresql(
    postgres_url, clock, request
):
    """Eight transactions at once, nominating and deciding in both hubs (the same counts
    in each): no count lost, no deadlock (each statement's upsert takes its counts in key
    order)."""
    import threading

    from tests.integration.conftest import build_world
    from workflow.bootstrap import bootstrap
    from workflow.config import Settings

    rt = bootstrap(Settings(database_url=postgres_url), clock=clock)
    request.addfinalizer(rt.close)
    world = build_world(rt, clock)
    north, south = world.nominate(4), world.nominate(4, school=world.other_school)
    barrier, failures = threading.Barrier(8), []

    def decide(sid: int, trigger: str) -> None:
        barrier.wait()
        try:
            transition(rt.uow(), ADMIN, sid, trigger, clock.now(), reason="Changed their mind")
        except Exception as error:
            failures.append(repr(error))

    jobs = [(sid, "withdraw") for sid in north[:2] + south[:2]]
    jobs += [(sid, "decline") for sid in north[2:] + south[2:]]
    threads = [threading.Thread(target=decide, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert tallies(rt) == recount(rt) == {
        (1, 1, "withdrawn"): 2, (1, 1, "not_selected"): 2,
        (1, 2, "withdrawn"): 2, (1, 2, "not_selected"): 2,
    }  # fmt: skip
