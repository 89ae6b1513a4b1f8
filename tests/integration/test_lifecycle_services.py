"""The lifecycle services over real databases: guards, audit, outbox, versions, scoping."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from workflow.db.models import AuditEntry, OutboxMessage, Specialist
from workflow.errors import Conflict, DomainError, GuardFailed, NotFound, NotPermitted
from workflow.services import setup
from workflow.services.auth import Actor, Role
from workflow.services.specialists import (
    NominationRequest,
    advance,
    history,
    nominate,
    record_milestone,
    transition,
)
from workflow.states.lifecycle import replay


def count(runtime, model, *where) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def fire(world, sid, trigger, **kwargs):
    return transition(world.runtime.uow(), ADMIN, sid, trigger, world.clock.now(), **kwargs)


def record(world, sid, kind, half_days=None):
    record_milestone(world.runtime.uow(), ADMIN, sid, kind, world.clock.now(), half_days=half_days)


def test_an_eligible_nomination_is_stored_with_audit_and_emails(world):
    (sid,) = world.nominate()
    rt = world.runtime
    with rt.uow() as uow:
        specialist = uow.session.get(Specialist, sid)
        assert specialist.state == "nominated"
        assert specialist.version == 1
        topics = [
            (m.topic, m.payload["template"], m.payload["to"])
            for m in uow.session.scalars(select(OutboxMessage))
        ]
    assert topics == [
        ("send_email", "nomination_received", "specialist"),
        ("send_email", "nomination_received", "headteacher"),
    ]
    assert count(rt, AuditEntry, AuditEntry.specialist_id == sid) == 1


def test_an_ineligible_nomination_lists_every_reason_and_stores_nothing(world, runtime):
    with runtime.uow() as uow:
        from tests.factories import add_school

        hub = setup.hub_by_code(uow.session, "north")
        add_school(uow.session, hub, urn="300001", phase="primary", state_funded=False)
        uow.commit()
    request = NominationRequest(
        cohort=9,
        school_urn="300001",
        name="Jo Newteacher",
        email="not-an-email",
        qts=False,
        teaching_since=date(2024, 9, 1),
    )
    with pytest.raises(GuardFailed) as caught:
        nominate(runtime.uow(), ADMIN, request, world.clock.now())
    reasons = caught.value.reasons
    assert len(reasons) == 5, reasons
    assert any("invalid email address" in r for r in reasons)
    assert any("qualified teacher status" in r for r in reasons)
    assert any("not state-funded" in r for r in reasons)
    assert any("primary, not secondary" in r for r in reasons)
    assert any("early-career" in r for r in reasons)
    assert count(runtime, Specialist) == 0
    assert count(runtime, OutboxMessage) == 0


def test_an_active_specialist_cannot_be_nominated_again(world):
    world.nominate(email="same@school.example")
    with pytest.raises(GuardFailed) as caught:
        world.nominate(email="Same@school.example", school=world.other_school, accept=frozenset())
    assert caught.value.reasons == ["possible duplicate: specialist 1 has the same email address"]


def test_two_years_are_counted_to_the_cohort_start(world):
    world.nominate(teaching_since=date(2023, 9, 1))  # exactly two years by 1 Sep 2025
    with pytest.raises(GuardFailed):
        world.nominate(teaching_since=date(2023, 9, 2), email="late@school.example")


def test_select_is_refused_when_the_allocation_is_full(world):
    ids = world.nominate(5)
    for sid in ids[:4]:
        fire(world, sid, "select")
    with pytest.raises(GuardFailed) as caught:
        fire(world, ids[4], "select")
    assert "(4 of 4 places used)" in str(caught.value)
    # another hub's places are separate
    (other,) = world.nominate(school=world.other_school)
    fire(world, other, "select")


def test_a_withdrawal_frees_the_place(world):
    ids = world.nominate(5)
    for sid in ids[:4]:
        fire(world, sid, "select")
    fire(world, ids[0], "withdraw", reason="moved school")
    fire(world, ids[4], "select")


def test_year2_needs_year1_done_and_override_is_audited(world):
    (sid,) = world.nominate()
    fire(world, sid, "select")
    fire(world, sid, "start_year1")
    with pytest.raises(GuardFailed) as caught:
        fire(world, sid, "start_year2")
    assert len(caught.value.reasons) == 3
    with pytest.raises(DomainError):
        fire(world, sid, "start_year2", override=True)  # no reason given
    fire(world, sid, "start_year2", override=True, reason="attended the equivalent in 2024")
    with world.runtime.uow() as uow:
        last = history(uow.session, sid)[-1]
    assert last.override is True
    assert "attended the equivalent in 2024" in last.reason
    assert "launch event is not recorded" in last.reason


def test_milestones_complete_year1_then_accreditation_completes_year2(world):
    (sid,) = world.nominate()
    fire(world, sid, "select")
    record(world, sid, "launch_attended")
    fire(world, sid, "start_year1")
    record(world, sid, "central_day", 11)
    record(world, sid, "development_day", 3)
    with pytest.raises(GuardFailed) as caught:
        advance(world.runtime.uow(), ADMIN, sid, world.clock.now())
    assert caught.value.reasons == ["development days recorded in Year 1: 1.5 of 2"]
    record(world, sid, "development_day", 1)
    assert advance(world.runtime.uow(), ADMIN, sid, world.clock.now()).dest == "year2"
    with pytest.raises(GuardFailed):
        fire(world, sid, "start_work_group")
    record(world, sid, "accreditation")
    assert fire(world, sid, "start_work_group").dest == "work_group_lead"
    with pytest.raises(DomainError, match="no next year"):
        advance(world.runtime.uow(), ADMIN, sid, world.clock.now())


def test_a_milestone_is_refused_in_the_wrong_state_or_twice(world):
    (sid,) = world.nominate()
    with pytest.raises(DomainError, match="who is nominated"):
        record(world, sid, "central_day", 2)
    fire(world, sid, "select")
    record(world, sid, "launch_attended")
    with pytest.raises(DomainError, match="already recorded"):
        record(world, sid, "launch_attended")


def test_defer_and_resume_return_to_the_year_left(world):
    (sid,) = world.nominate()
    fire(world, sid, "select")
    fire(world, sid, "start_year1")
    fire(world, sid, "defer", reason="maternity leave")
    assert fire(world, sid, "resume").dest == "year1"


def test_a_refused_trigger_writes_nothing(world):
    (sid,) = world.nominate()
    before = count(world.runtime, AuditEntry), count(world.runtime, OutboxMessage)
    with pytest.raises(DomainError, match="from nominated you may: select, decline, withdraw"):
        fire(world, sid, "start_year2")
    assert (count(world.runtime, AuditEntry), count(world.runtime, OutboxMessage)) == before


def test_the_audit_log_replays_to_the_stored_state(world):
    (sid,) = world.nominate()
    for trigger in ("select", "start_year1", "defer", "resume", "withdraw"):
        fire(world, sid, trigger, reason="r")
    with world.runtime.uow() as uow:
        entries = history(uow.session, sid)
        stored = uow.session.get(Specialist, sid).state
    trail = [(e.name, e.from_state, e.to_state) for e in entries if e.kind == "transition"]
    assert replay(trail) == stored == "withdrawn"


def test_a_stale_version_is_a_conflict(world):
    (sid,) = world.nominate()
    fire(world, sid, "select", expected_version=1)
    with pytest.raises(Conflict):
        fire(world, sid, "withdraw", expected_version=1)


def test_another_hubs_specialist_is_not_found_and_roles_are_enforced(world):
    (sid,) = world.nominate()
    with world.runtime.uow() as uow:
        south = setup.hub_by_code(uow.session, "south").id
        north = setup.hub_by_code(uow.session, "north").id
    stranger = Actor("lead@south.example", Role.HUB_LEAD, south)
    with pytest.raises(NotFound, match=f"specialist {sid} not found"):
        transition(world.runtime.uow(), stranger, sid, "select", world.clock.now())
    staff = Actor("staff@north.example", Role.HUB_STAFF, north)
    with pytest.raises(NotPermitted):
        transition(world.runtime.uow(), staff, sid, "select", world.clock.now())
    lead = Actor("lead@north.example", Role.HUB_LEAD, north)
    assert (
        transition(world.runtime.uow(), lead, sid, "select", world.clock.now()).dest == "selected"
    )
