"""Advancing a whole cohort in batches: the ready move, the rest stay and are listed."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from workflow.db.models import AuditEntry, OutboxMessage, Specialist
from workflow.services.advancement import advance_cohort
from workflow.services.specialists import history, record_milestone, transition
from workflow.states.lifecycle import State, replay


def states(runtime) -> dict[int, str]:
    with runtime.uow() as uow:
        return dict(uow.session.execute(select(Specialist.id, Specialist.state)).all())


def stuck_now(runtime, state: State) -> dict[int, list[str]]:
    """``{id: reasons}`` of those in ``state`` stored as stuck (``services/standing.py``)."""
    with runtime.uow() as uow:
        return dict(
            uow.session.execute(
                select(Specialist.id, Specialist.stuck_reasons).where(
                    Specialist.state == state.value, Specialist.stuck_reasons.is_not(None)
                )
            ).all()
        )


def test_a_cohort_advances_in_batches_and_the_unready_stay(world):
    rt, now = world.runtime, world.clock.now
    ids = world.nominate(4) + world.nominate(3, school=world.other_school)
    for sid in ids:
        transition(rt.uow(), ADMIN, sid, "select", now())
        record_milestone(rt.uow(), ADMIN, sid, "launch_attended", now())
    seen = []
    report = advance_cohort(
        rt.uow(), ADMIN, 9, "start_year1", now(), batch_size=3, progress=seen.append
    )
    assert report.advanced == 7 and report.stuck == []
    assert sum(seen) == 7 and len(seen) == 3
    assert set(states(rt).values()) == {"year1"}

    ready = ids[:5]
    for sid in ready:
        record_milestone(rt.uow(), ADMIN, sid, "central_day", now(), half_days=11)
        record_milestone(rt.uow(), ADMIN, sid, "development_day", now(), half_days=4)
    assert sorted(stuck_now(rt, State.YEAR1)) == sorted(ids[5:])

    report = advance_cohort(rt.uow(), ADMIN, 9, "start_year2", now(), batch_size=2)
    assert report.advanced == 5
    assert sorted(s.specialist_id for s in report.stuck) == sorted(ids[5:])
    assert all("central days recorded in Year 1: 0 of 5.5" in s.reasons for s in report.stuck)
    after = states(rt)
    assert [after[i] for i in ids] == ["year2"] * 5 + ["year1"] * 2

    with rt.uow() as uow:
        for sid in ids:
            trail = [(e.name, e.from_state, e.to_state) for e in history(uow.session, sid)
                     if e.kind == "transition"]  # fmt: skip
            assert replay(trail) == after[sid]
        versions = dict(uow.session.execute(select(Specialist.id, Specialist.version)).all())
        emails = list(uow.session.scalars(select(OutboxMessage.payload)))
    # nominate v1, select v2, launch v3, start_year1 v4, 2 milestones v6, start_year2 v7
    assert [versions[i] for i in ids[:5]] == [7] * 5
    year2 = [e for e in emails if e["template"] == "year2_started"]
    assert len(year2) == 10  # specialist and headteacher, for each of five
    stuck_mail = [e for e in emails if e["template"] == "stuck_specialists"]
    assert len(stuck_mail) == 1  # both unready are in the south hub: one email to its lead
    assert [p["id"] for p in stuck_mail[0]["extra"]["specialists"]] == ids[5:]


def test_advancing_twice_changes_nothing_the_second_time(world):
    rt, now = world.runtime, world.clock.now
    ids = world.nominate(2)
    for sid in ids:
        transition(rt.uow(), ADMIN, sid, "select", now())
    advance_cohort(rt.uow(), ADMIN, 9, "start_year1", now())
    with rt.uow() as uow:
        audit = uow.session.scalar(select(func.count(AuditEntry.id)))
    again = advance_cohort(rt.uow(), ADMIN, 9, "start_year1", now())
    assert again.advanced == 0
    with rt.uow() as uow:
        assert uow.session.scalar(select(func.count(AuditEntry.id))) == audit


def test_the_stuck_kept_are_those_the_machine_refuses_and_advancing_leaves_behind(world):
    """The stuck kept on each specialist as their milestones are recorded and voided: at
    every edge of the guard (exactly enough, one half-day short, a milestone voided, no
    launch) exactly whom the machine, judging everyone afresh, refuses, and then exactly
    whom advancing the cohort leaves behind."""
    from workflow.services.corrections import void_milestone
    from workflow.services.queries import cohort_rules, facts_for
    from workflow.states.guards import guard_reasons

    rt, now = world.runtime, world.clock.now
    ids = world.nominate(4) + world.nominate(4, school=world.other_school)
    for sid in ids:
        transition(rt.uow(), ADMIN, sid, "select", now())
        if sid != ids[3]:
            record_milestone(rt.uow(), ADMIN, sid, "launch_attended", now())
    advance_cohort(rt.uow(), ADMIN, 9, "start_year1", now())
    central = {ids[0]: 11, ids[1]: 10, ids[2]: 11, ids[3]: 11, ids[4]: 11, ids[5]: 11}
    development = {ids[0]: 4, ids[1]: 4, ids[2]: 3, ids[3]: 4, ids[4]: 4, ids[5]: 4}
    for sid in ids[:6]:
        record_milestone(rt.uow(), ADMIN, sid, "central_day", now(), half_days=central[sid])
        record_milestone(rt.uow(), ADMIN, sid, "development_day", now(), half_days=2)
        if development[sid] > 2:
            record_milestone(rt.uow(), ADMIN, sid, "development_day", now(), half_days=1)
        if development[sid] > 3:
            record_milestone(rt.uow(), ADMIN, sid, "development_day", now(), half_days=1)
    with rt.uow() as uow:  # ids[4]'s central days are voided
        voided = uow.session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.specialist_id == ids[4], AuditEntry.name == "central_day"
            )
        )
    void_milestone(rt.uow(), ADMIN, ids[4], voided, "Recorded in error", now())
    stuck = stuck_now(rt, State.YEAR1)
    with rt.uow() as uow:
        session = uow.session
        rows = session.execute(select(Specialist.id).where(Specialist.cohort_id == 1)).all()
        facts = facts_for(session, rows, cohort_rules(session, 1))
        refused = {r.id: guard_reasons("start_year2", facts[r.id]) for r in rows}
    assert stuck == {i: reasons for i, reasons in refused.items() if reasons}
    assert set(stuck) == {ids[1], ids[2], ids[3], ids[4], ids[6], ids[7]}

    # Year 2: only the accredited move on; a voided accreditation counts for nothing.
    report = advance_cohort(rt.uow(), ADMIN, 9, "start_year2", now())
    assert {s.specialist_id for s in report.stuck} == set(stuck)
    assert stuck_now(rt, State.YEAR1) == stuck  # those left behind: still stuck, same reasons
    assert set(stuck_now(rt, State.YEAR2)) == {ids[0], ids[5]}  # just moved: not accredited
    record_milestone(rt.uow(), ADMIN, ids[0], "accreditation", now())
    record_milestone(rt.uow(), ADMIN, ids[5], "accreditation", now())
    with rt.uow() as uow:
        accreditation = uow.session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.specialist_id == ids[5], AuditEntry.name == "accreditation"
            )
        )
    void_milestone(rt.uow(), ADMIN, ids[5], accreditation, "Not yet", now())
    assert stuck_now(rt, State.YEAR2) == {ids[5]: ["PD Lead accreditation is not recorded"]}
