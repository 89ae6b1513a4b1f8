"""Issue 14 through the services, on SQLite and PostgreSQL: recruitment windows, nominees per
school, duplicates, reinstate, undo of a withdrawal, milestone void, moves, edits, change of
cohort, an accredited PD Lead at nomination and Work Groups."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.integration._funding_support import release_due
from tests.integration.conftest import ADMIN
from workflow.db.models import DueItem, FundingEntry, LedgerEntry, OutboxMessage
from workflow.errors import DomainError, GuardFailed, InvalidInput, NotFound, NotPermitted
from workflow.services import changes, corrections, setup, workgroups
from workflow.services.auth import Actor, Role
from workflow.services.recruitment import set_window
from workflow.services.specialists import NominationRequest, nominate, record_milestone, transition
from workflow.services.views import cohort_report, show

LONDON = ZoneInfo("Europe/London")
LEAD = Actor("lead@north.example", Role.HUB_LEAD, 1)
STAFF = Actor("staff@north.example", Role.HUB_STAFF, 1)


@pytest.fixture
def world(instalment_world):
    """Cohort 9 paid in fixed instalments: these corrections are checked against them."""
    return instalment_world


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def request(school="100001", email="ada@school.example", name="Ada Lovelace", **more):
    return NominationRequest(9, school, name, email, True, date(2015, 9, 1), **more)


def fire(world, sid, trigger, **kwargs):
    return transition(world.runtime.uow(), ADMIN, sid, trigger, world.clock.now(), **kwargs)


def record(world, sid, kind, half_days=None):
    record_milestone(world.runtime.uow(), ADMIN, sid, kind, world.clock.now(), half_days=half_days)


def view(world, sid) -> dict:
    return show(world.runtime.uow(), ADMIN, sid)


def add_school(world, urn: str, hub: str = "north") -> None:
    setup.add_school(
        world.runtime.uow(),
        ADMIN,
        urn=urn,
        name=f"School {urn}",
        hub_code=hub,
        phase="secondary",
        funding="state",
        head_name="Sam Head",
        head_email=f"head{urn}@school.example",
    )


def year1_done(world, sid) -> None:
    record(world, sid, "launch_attended")
    record(world, sid, "central_day", 11)
    record(world, sid, "development_day", 4)


# --- 1. Recruitment window ---------------------------------------------------------------------


def test_a_late_nomination_is_refused_in_words_then_accepted_by_a_national_admin(world):
    world.clock.set(at(date(2025, 7, 15)))
    with pytest.raises(GuardFailed) as caught:
        nominate(world.runtime.uow(), ADMIN, request(), world.clock.now())
    assert caught.value.reasons == [
        "nominations for cohort 9 are taken from Monday 28 April 2025 until Friday 11 July "
        "2025, 5pm: the window has closed"
    ]
    with pytest.raises(NotPermitted):  # a hub lead may not accept a late one
        nominate(
            world.runtime.uow(),
            LEAD,
            request(accept=frozenset({"late"}), reason="r"),
            world.clock.now(),
        )
    with pytest.raises(InvalidInput, match="written reason"):
        nominate(world.runtime.uow(), ADMIN, request(accept=frozenset({"late"})), world.clock.now())
    sid = nominate(
        world.runtime.uow(),
        ADMIN,
        request(accept=frozenset({"late"}), reason="The head was ill in July."),
        world.clock.now(),
    )
    (entry,) = view(world, sid)["history"]
    assert entry["actor"] == ADMIN.email and entry["override"] is True
    assert entry["reason"] == (
        "The head was ill in July. (overrode: nominations for cohort 9 are taken from Monday "
        "28 April 2025 until Friday 11 July 2025, 5pm: the window has closed)"
    )


def test_the_2018_cohort_closed_on_19_february_at_5pm(world):
    setup.add_cohort(world.runtime.uow(), ADMIN, 2, "cohort-2")
    late = NominationRequest(
        2, "100001", "Ada Lovelace", "ada@school.example", True, date(2010, 9, 1)
    )
    world.clock.set(datetime(2018, 3, 15, 10, tzinfo=UTC))  # the nomination main accepted
    with pytest.raises(GuardFailed, match="Monday 19 February 2018, 5pm: the window has closed"):
        nominate(world.runtime.uow(), ADMIN, late, world.clock.now())
    world.clock.set(datetime(2018, 2, 19, 17, 0, tzinfo=UTC))  # exactly at the close: in time
    assert nominate(world.runtime.uow(), ADMIN, late, world.clock.now())


def test_a_national_admin_moves_the_window(world):
    world.clock.set(at(date(2025, 7, 15)))
    closes = datetime(2025, 7, 18, 17, tzinfo=LONDON)
    with pytest.raises(NotPermitted):
        set_window(world.runtime.uow(), LEAD, 9, date(2025, 4, 28), closes)
    set_window(world.runtime.uow(), ADMIN, 9, date(2025, 4, 28), closes)
    assert nominate(world.runtime.uow(), ADMIN, request(), world.clock.now())


# --- 2. Nominees per school, 3. possible duplicates ----------------------------------------------


def test_a_second_nominee_from_one_school_is_refused_naming_the_first(world):
    first = nominate(world.runtime.uow(), ADMIN, request(), world.clock.now())
    second = request(email="alan@school.example", name="Alan Turing")
    with pytest.raises(GuardFailed) as caught:
        nominate(world.runtime.uow(), LEAD, second, world.clock.now())
    assert caught.value.reasons == [
        f"school 100001 has already nominated specialist {first} for cohort 9; the cohort "
        "takes 1 nominee(s) per school"
    ]
    with pytest.raises(NotPermitted):
        nominate(
            world.runtime.uow(),
            LEAD,
            request(
                email="alan@school.example",
                name="Alan Turing",
                accept=frozenset({"extra_nominee"}),
                reason="two departments",
            ),
            world.clock.now(),
        )
    fire(world, first, "decline", reason="not this year")  # a declined nominee frees the school
    assert nominate(world.runtime.uow(), LEAD, second, world.clock.now())


def test_the_same_person_twice_is_refused_with_the_other_id_unless_not_a_duplicate(world):
    first = nominate(world.runtime.uow(), ADMIN, request(), world.clock.now())
    fire(world, first, "decline", reason="not this year")
    again = request(email="a.lovelace@school.example", name="ada  lovelace")
    with pytest.raises(GuardFailed) as caught:
        nominate(world.runtime.uow(), STAFF, again, world.clock.now())
    assert caught.value.reasons == [
        f"possible duplicate: specialist {first} has the same name at school 100001"
    ]
    accepted = request(
        email="a.lovelace@school.example",
        name="Ada Lovelace",
        accept=frozenset({"not_duplicate"}),
        reason="Her namesake, a new colleague.",
    )
    sid = nominate(world.runtime.uow(), STAFF, accepted, world.clock.now())
    assert view(world, sid)["history"][0]["reason"] == (
        f"Her namesake, a new colleague. (overrode: possible duplicate: specialist {first} has "
        "the same name at school 100001)"
    )


# --- 4. Reinstate ------------------------------------------------------------------------------


def test_reinstate_from_the_reserve_list_into_a_freed_place(world):
    setup.allocate(world.runtime.uow(), ADMIN, "north", 9, 1)
    add_school(world, "100002")
    chosen = nominate(world.runtime.uow(), ADMIN, request(), world.clock.now())
    reserve = nominate(
        world.runtime.uow(),
        ADMIN,
        request("100002", "alan@school.example", "Alan Turing"),
        world.clock.now(),
    )
    fire(world, chosen, "select")
    fire(world, reserve, "decline", reason="places taken; on the reserve list")
    with pytest.raises(InvalidInput, match="reason"):
        corrections.reinstate(world.runtime.uow(), LEAD, reserve, " ", world.clock.now())
    with pytest.raises(NotPermitted):
        corrections.reinstate(world.runtime.uow(), STAFF, reserve, "r", world.clock.now())
    fire(world, chosen, "withdraw", reason="Moving abroad.")
    outcome = corrections.reinstate(
        world.runtime.uow(), LEAD, reserve, "The first choice withdrew.", world.clock.now()
    )
    assert (outcome.source, outcome.dest) == ("not_selected", "nominated")
    fire(world, reserve, "select")
    history = view(world, reserve)["history"]
    assert [(h["trigger"], h["actor"], h["reason"]) for h in history][-2] == (
        "reinstate",
        LEAD.email,
        "The first choice withdrew.",
    )
    # The reserve list closes when Year 1 begins; the withdrawn first choice cannot come
    # back into a place that is now taken.
    with pytest.raises(GuardFailed, match="full"):
        corrections.reinstate(world.runtime.uow(), LEAD, chosen, "mistake", world.clock.now())


def test_the_reserve_list_closes_when_year1_begins(world):
    sid = nominate(world.runtime.uow(), ADMIN, request(), world.clock.now())
    fire(world, sid, "decline", reason="places taken")
    world.clock.set(at(date(2025, 9, 1)))
    with pytest.raises(GuardFailed, match="Year 1 has begun"):
        corrections.reinstate(world.runtime.uow(), LEAD, sid, "a place freed", world.clock.now())


def _schedule(runtime, sid) -> dict:
    """Everything scheduled for a specialist: instalments and pending due items."""
    with runtime.uow() as uow:
        s = uow.session
        entries = sorted(
            (
                e.id,
                e.programme_year,
                e.instalment,
                e.amount_pence,
                e.due_date,
                e.status,
                e.school_id,
            )
            for e in s.scalars(select(FundingEntry).where(FundingEntry.specialist_id == sid))
        )
        keys = [f"funding:{e[0]}" for e in entries]
        due = sorted(
            (d.key, d.due_at, d.cancelled_at is None)
            for d in s.scalars(
                select(DueItem).where(
                    DueItem.key.startswith(f"reminder:{sid}:") | DueItem.key.in_(keys)
                )
            )
        )
        ledger = s.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_pence), 0)).where(
                LedgerEntry.specialist_id == sid
            )
        )
        return {"entries": entries, "due": due, "ledger": int(ledger)}


def test_undo_of_a_withdrawal_restores_instalments_and_reminders_exactly(world):
    (sid,) = world.nominate()
    fire(world, sid, "select")
    world.clock.set(at(date(2025, 9, 1), 9))
    fire(world, sid, "start_year1")
    record(world, sid, "central_day", 4)  # paid pro rata on withdrawal (cohort 9)
    before = _schedule(world.runtime, sid)
    assert any(pending for _, _, pending in before["due"]) and before["entries"]

    world.clock.set(at(date(2025, 9, 2)))
    fire(world, sid, "withdraw", reason="Entered by mistake.")
    withdrawn = _schedule(world.runtime, sid)
    assert {e[5] for e in withdrawn["entries"]} == {"cancelled"}
    assert not any(pending for _, _, pending in withdrawn["due"])
    assert withdrawn["ledger"] == 4 * 20000 // 2  # two days pro rata

    outcome = corrections.reinstate(
        world.runtime.uow(), LEAD, sid, "The withdrawal was a mistake.", world.clock.now()
    )
    assert (outcome.source, outcome.dest) == ("withdrawn", "year1")
    after = _schedule(world.runtime, sid)
    assert after["entries"] == before["entries"]
    # Reminders still to come are back; none that fell due meanwhile (none did here).
    assert after["due"] == before["due"]
    assert after["ledger"] == 0  # the pro-rata payment is reversed, never edited
    assert view(world, sid)["state"] == "year1"


def test_reinstate_of_a_deferred_then_withdrawn_specialist_can_resume(world):
    (sid,) = world.nominate()
    fire(world, sid, "select")
    world.clock.set(at(date(2025, 9, 1), 9))
    fire(world, sid, "start_year1")
    fire(world, sid, "defer", reason="leave")
    fire(world, sid, "withdraw", reason="mistake")
    corrections.reinstate(world.runtime.uow(), ADMIN, sid, "undo", world.clock.now())
    assert fire(world, sid, "resume").dest == "year1"


# --- Milestone void ----------------------------------------------------------------------------


def test_a_voided_milestone_stays_marked_and_no_longer_counts_for_year2(world):
    (sid,) = world.nominate()
    fire(world, sid, "select")
    world.clock.set(at(date(2025, 9, 1), 9))
    fire(world, sid, "start_year1")
    year1_done(world, sid)
    record(world, sid, "central_day", 2)  # a second entry: the one ticked by mistake
    mistaken = view(world, sid)["milestones"][-1]
    assert mistaken["kind"] == "central_day" and mistaken["voided"] is False
    with pytest.raises(NotPermitted):
        corrections.void_milestone(
            world.runtime.uow(), STAFF, sid, mistaken["id"], "r", world.clock.now()
        )
    corrections.void_milestone(
        world.runtime.uow(),
        LEAD,
        sid,
        mistaken["id"],
        "Ticked for the wrong teacher.",
        world.clock.now(),
    )
    with pytest.raises(DomainError, match="already voided"):
        corrections.void_milestone(
            world.runtime.uow(), LEAD, sid, mistaken["id"], "again", world.clock.now()
        )
    first_central = view(world, sid)["milestones"][1]
    corrections.void_milestone(
        world.runtime.uow(),
        LEAD,
        sid,
        first_central["id"],
        "Not attended after all.",
        world.clock.now(),
    )
    data = view(world, sid)
    assert [m["voided"] for m in data["milestones"]] == [False, True, False, True]
    voids = [h for h in data["history"] if h["trigger"] == "void"]
    assert [(v["actor"], v["reason"], v["milestone_id"]) for v in voids] == [
        (LEAD.email, "Ticked for the wrong teacher.", mistaken["id"]),
        (LEAD.email, "Not attended after all.", first_central["id"]),
    ]
    with pytest.raises(GuardFailed, match=r"central days recorded in Year 1: 0 of 5.5"):
        fire(world, sid, "start_year2")
    record(world, sid, "central_day", 11)
    assert fire(world, sid, "start_year2").dest == "year2"


def test_a_milestone_of_another_specialist_is_not_found(world):
    a, b = world.nominate(2)
    fire(world, a, "select")
    record(world, a, "launch_attended")
    milestone_id = view(world, a)["milestones"][0]["id"]
    with pytest.raises(NotFound):
        corrections.void_milestone(
            world.runtime.uow(), ADMIN, b, milestone_id, "r", world.clock.now()
        )


# --- 5. Changes --------------------------------------------------------------------------------


def test_edit_keeps_the_old_values_in_the_audit(world):
    a, b = world.nominate(2)
    old = changes.edit_specialist(
        world.runtime.uow(),
        LEAD,
        a,
        world.clock.now(),
        name="Ada King",
        email="ada.king@school.example",
    )
    assert old == {"name": "Teacher 0", "email": "teacher0.100001@school.example"}
    data = view(world, a)
    assert (data["name"], data["email"]) == ("Ada King", "ada.king@school.example")
    (edit,) = [h for h in data["history"] if h["trigger"] == "edit"]
    assert edit["details"]["old"] == old and edit["actor"] == LEAD.email
    with pytest.raises(DomainError, match=f"specialist {b} already has that email"):
        changes.edit_specialist(
            world.runtime.uow(), LEAD, a, world.clock.now(), email="teacher1.100001@school.example"
        )


def test_a_move_across_hubs_frees_the_old_place_and_takes_the_new(world):
    setup.allocate(world.runtime.uow(), ADMIN, "south", 9, 1)
    (mover,) = world.nominate()
    fire(world, mover, "select")
    (southern,) = world.nominate(school=world.other_school)
    fire(world, southern, "select")
    add_school(world, "200002", "south")
    with pytest.raises(NotFound):  # a hub lead cannot see another hub's school
        changes.move(world.runtime.uow(), LEAD, mover, "200002", "moved", world.clock.now())
    with pytest.raises(GuardFailed, match="new hub's allocation for this cohort is full"):
        changes.move(world.runtime.uow(), ADMIN, mover, "200002", "moved", world.clock.now())
    setup.allocate(world.runtime.uow(), ADMIN, "south", 9, 2)
    before = {h["hub"]: h["used"] for h in cohort_report(world.runtime.uow(), ADMIN, 9)["hubs"]}
    moved = changes.move(
        world.runtime.uow(), ADMIN, mover, "200002", "New post in Leeds.", world.clock.now()
    )
    assert moved == {"from": "100001", "to": "200002", "hub_changed": True}
    after = {h["hub"]: h["used"] for h in cohort_report(world.runtime.uow(), ADMIN, 9)["hubs"]}
    assert (before, after) == ({"north": 1, "south": 1}, {"north": 0, "south": 2})
    with world.runtime.uow() as uow:
        told = sorted(
            m.payload["to"]
            for m in uow.session.scalars(select(OutboxMessage))
            if m.payload.get("template") == "specialist_moved"
        )
    assert told == ["head@north.example", "headteacher"]


def test_future_funding_follows_the_new_school_and_what_was_paid_stays(world):
    add_school(world, "100002")
    (sid,) = world.nominate()
    fire(world, sid, "select")
    world.clock.set(at(date(2025, 9, 1), 9))
    fire(world, sid, "start_year1")
    world.clock.set(at(date(2026, 1, 16)))
    assert release_due(world.runtime, world.clock.now()) == 1
    changes.move(world.runtime.uow(), LEAD, sid, "100002", "Changed school.", world.clock.now())
    with world.runtime.uow() as uow:
        schools = dict(
            uow.session.execute(
                select(FundingEntry.status, FundingEntry.school_id).where(
                    FundingEntry.specialist_id == sid
                )
            ).all()
        )
        old_id, new_id = (setup.school_by_urn(uow.session, u).id for u in ("100001", "100002"))
    assert schools == {"released": old_id, "scheduled": new_id}


def test_hub_leads_add_and_edit_schools_in_their_own_hub_only(world):
    lead = Actor("lead@north.example", Role.HUB_LEAD, _hub_id(world, "north"))
    setup.add_school(
        world.runtime.uow(),
        lead,
        urn="100009",
        name="New Academy",
        hub_code="north",
        phase="secondary",
        funding="state",
        head_name="H",
        head_email="h@n.example",
    )
    old = setup.edit_school(
        world.runtime.uow(),
        lead,
        "100009",
        world.clock.now(),
        head_name="New Head",
        head_email="new.head@n.example",
    )
    assert old == {"head_name": "H", "head_email": "h@n.example"}
    with pytest.raises(NotFound):
        setup.edit_school(world.runtime.uow(), lead, "200001", world.clock.now(), name="X")
    staff = Actor("staff@north.example", Role.HUB_STAFF, lead.hub_id)
    with pytest.raises(NotPermitted):
        setup.edit_school(world.runtime.uow(), staff, "100009", world.clock.now(), name="X")


def _hub_id(world, code: str) -> int:
    with world.runtime.uow() as uow:
        return setup.hub_by_code(uow.session, code).id


# --- 6. Deferral into a later cohort ---------------------------------------------------------


def _deferred_after_first_instalment(world) -> int:
    setup.add_cohort(world.runtime.uow(), ADMIN, 10, "cohort-10")
    setup.allocate(world.runtime.uow(), ADMIN, "north", 10, 2)
    (sid,) = world.nominate()
    fire(world, sid, "select")
    world.clock.set(at(date(2025, 9, 1), 9))
    fire(world, sid, "start_year1")
    world.clock.set(at(date(2026, 1, 16)))
    assert release_due(world.runtime, world.clock.now()) == 1
    world.clock.set(at(date(2026, 1, 20)))
    fire(world, sid, "defer", reason="Parental leave.")
    return sid


def test_a_change_of_cohort_is_refused_when_the_year_was_part_paid_then_overridden(world):
    sid = _deferred_after_first_instalment(world)
    with pytest.raises(GuardFailed, match="75000 pence of Year 1's funding was already released"):
        corrections.change_cohort(
            world.runtime.uow(), LEAD, sid, 10, "back next year", world.clock.now()
        )
    with pytest.raises(DomainError, match="later cohort only"):
        corrections.change_cohort(world.runtime.uow(), LEAD, sid, 9, "r", world.clock.now())
    corrections.change_cohort(
        world.runtime.uow(), LEAD, sid, 10, "Back with cohort 10.", world.clock.now(), override=True
    )
    data = view(world, sid)
    assert (data["cohort"], data["state"], data["rules"]) == (10, "deferred", "cohort-10")
    (change,) = [h for h in data["history"] if h["trigger"] == "change_cohort"]
    assert change["override"] and change["details"]["from_cohort"] == 9

    world.clock.set(at(date(2026, 9, 2)))
    assert fire(world, sid, "resume").dest == "year1"
    world.clock.set(at(date(2027, 8, 1)))
    release_due(world.runtime, world.clock.now())
    with world.runtime.uow() as uow:
        paid = uow.session.scalar(
            select(func.sum(LedgerEntry.amount_pence)).where(
                LedgerEntry.specialist_id == sid, LedgerEntry.programme_year == 1
            )
        )
        dues = sorted(
            e.due_date
            for e in uow.session.scalars(
                select(FundingEntry).where(
                    FundingEntry.specialist_id == sid, FundingEntry.status == "released"
                )
            )
        )
    assert paid == 150000  # one year's entitlement (7.5 days at 200 pounds), never more
    assert dues == [date(2026, 1, 15), date(2027, 1, 15), date(2027, 7, 15)]  # cohort 10's dates


def test_a_change_of_cohort_with_nothing_paid_needs_no_override_and_a_place(world):
    setup.add_cohort(world.runtime.uow(), ADMIN, 10, "cohort-10")
    (sid,) = world.nominate()
    fire(world, sid, "select")
    fire(world, sid, "defer", reason="Parental leave.")
    with pytest.raises(GuardFailed, match="allocation for cohort 10 is full"):
        corrections.change_cohort(world.runtime.uow(), LEAD, sid, 10, "r", world.clock.now())
    setup.allocate(world.runtime.uow(), ADMIN, "north", 10, 1)
    corrections.change_cohort(world.runtime.uow(), LEAD, sid, 10, "r", world.clock.now())
    assert fire(world, sid, "resume").dest == "selected"
    used = {h["hub"]: h["used"] for h in cohort_report(world.runtime.uow(), ADMIN, 9)["hubs"]}
    assert used["north"] == 0  # the cohort 9 place is free again


# --- 7. Accredited PD Lead at nomination, 8. Work Groups -------------------------------------


def test_an_accredited_pd_lead_meets_the_guard_from_the_start(world):
    (sid,) = world.nominate(accredited_pd_lead=True)
    (other,) = world.nominate(school=world.other_school)
    for s in (sid, other):
        fire(world, s, "select")
        world.clock.set(at(date(2025, 9, 1), 9))
        fire(world, s, "start_year1")
        year1_done(world, s)
        fire(world, s, "start_year2")
    assert fire(world, sid, "start_work_group").dest == "work_group_lead"
    with pytest.raises(GuardFailed, match="accreditation is not recorded"):
        fire(world, other, "start_work_group")
    (accreditation,) = [m for m in view(world, sid)["milestones"] if m["kind"] == "accreditation"]
    assert "already an NCETM Accredited secondary PD Lead" in accreditation["reason"]


def test_work_groups_count_schools_reached_per_hub_and_nationally(world):
    with world.runtime.uow() as uow:
        setup.hub_by_code(uow.session, "north").secondary_schools = 200
        uow.commit()
    (sid,) = world.nominate(accredited_pd_lead=True)
    fire(world, sid, "select")
    with pytest.raises(DomainError, match="from Year 3"):
        workgroups.add_work_group(
            world.runtime.uow(), ADMIN, sid, "WG", ["123456"], world.clock.now()
        )
    world.clock.set(at(date(2025, 9, 1), 9))
    fire(world, sid, "start_year1")
    year1_done(world, sid)
    fire(world, sid, "start_year2")
    fire(world, sid, "start_work_group")
    with pytest.raises(InvalidInput, match="not six digits"):
        workgroups.add_work_group(
            world.runtime.uow(), ADMIN, sid, "WG", ["12345"], world.clock.now()
        )
    workgroups.add_work_group(
        world.runtime.uow(),
        STAFF,
        sid,
        "North WG 1",
        ["111111", "222222", "333333"],
        world.clock.now(),
        colleague="Jo Colleague",
    )
    workgroups.add_work_group(
        world.runtime.uow(),
        STAFF,
        sid,
        "North WG 2",
        ["333333", "444444"],
        world.clock.now(),
        role="joins",
    )
    report = cohort_report(world.runtime.uow(), ADMIN, 9)
    north = next(h for h in report["hubs"] if h["hub"] == "north")
    assert (north["schools_reached"], north["secondary_schools"]) == (4, 200)
    assert report["national"] == {"schools_reached": 4, "secondary_schools": 200}
