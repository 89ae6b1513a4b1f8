"""The term-start job: one digest per hub per term across a simulated cohort, with the
figures of ``report progress``; late while the term runs, skipped once it has ended."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.integration.conftest import ADMIN
from workflow.db.models import Hub, OutboxMessage, Specialist, TermDigest
from workflow.errors import NotFound
from workflow.notify.render import render_email
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.simulation import simulate
from workflow.services import events, progress, setup, staff
from workflow.services.auth import Actor, Role
from workflow.services.calendar import calendar
from workflow.services.emails import compose
from workflow.services.specialists import record_milestone, transition

TERM_STARTS = [
    date(2025, 9, 3), date(2026, 1, 5), date(2026, 4, 13),
    date(2026, 9, 2), date(2027, 1, 4), date(2027, 4, 12), date(2027, 9, 1),
]  # fmt: skip


def nine_am(day: date) -> datetime:
    return calendar("Europe/London").reminder_time(day)


def payloads(rt, template: str) -> list[dict]:
    with rt.uow() as uow:
        return [
            p
            for p in uow.session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))
            if p["template"] == template
        ]


def digests_of(rt, term_start: date) -> list[dict]:
    return [
        p for p in payloads(rt, "term_digest") if p["extra"]["term"]["start"] == str(term_start)
    ]


@pytest.fixture
def cohort(world):
    """North: one who keeps up, one who records nothing; south: one who keeps up but is never
    accredited. Hub leads for both, and a national admin."""
    rt, clock = world.runtime, world.clock
    for email, role, hub in (
        ("lead@north.example", "hub_lead", "north"),
        ("lead@south.example", "hub_lead", "south"),
        ("team@ncetm.example", "national_admin", None),
    ):
        staff.add_staff(rt.uow(), ADMIN, email, email.split("@")[0], role, hub, clock.now())
    keen, idle = world.nominate(2)
    (steady,) = world.nominate(1, school=world.other_school)
    for sid in (keen, idle, steady):
        transition(rt.uow(), ADMIN, sid, "select", clock.now())
    return world, keen, idle, steady


def record(world, ids, kind, **kw):
    for sid in ids:
        record_milestone(world.runtime.uow(), ADMIN, sid, kind, world.clock.now(), **kw)


def test_a_simulated_cohort_sends_one_digest_per_hub_per_term_with_the_reports_figures(cohort):
    world, keen, idle, steady = cohort
    rt, clock = world.runtime, world.clock
    # Recorded just after each term start: enough to be on track at the next one.
    first = [
        ("launch_attended", {}),
        ("central_day", {"half_days": 4}),
        ("development_day", {"half_days": 2}),
        ("hub_support", {"half_days": 1}),
    ]
    second = [
        ("central_day", {"half_days": 4}),
        ("development_day", {"half_days": 1}),
        ("hub_support", {"half_days": 1}),
    ]
    third = [
        ("central_day", {"half_days": 3}),
        ("development_day", {"half_days": 1}),
        ("hub_support", {"half_days": 1}),
    ]
    plan = [first, second, third, first[1:], second, third]
    milestones = dict(zip(TERM_STARTS[: len(plan)], plan, strict=True))
    compared = 0
    for start in TERM_STARTS:
        simulate(rt, clock.now(), nine_am(start), drain=None)
        digests = digests_of(rt, start)
        assert sorted(d["extra"]["hub_id"] for d in digests) == sorted(
            {d["extra"]["hub_id"] for d in digests}
        )  # one per hub
        # The same figures as `report progress` at the same moment.
        report = progress.report(rt.uow(), ADMIN, 9, start, clock.now()).as_dict()
        assert [d["extra"]["figures"] for d in digests] == report["hubs"]
        compared += len(digests)
        if start == date(2026, 4, 13):  # keen and steady a third of the way short of nothing
            behind = {h["hub"]: h["behind"] for h in report["hubs"]}
            assert behind == {"north": 1, "south": 0}
        for kind, kw in milestones.get(start, []):
            record(world, [keen, steady], kind, **kw)
        if start == date(2027, 4, 12):
            record(world, [keen], "accreditation")
    simulate(rt, clock.now(), datetime(2027, 10, 31, 23, tzinfo=UTC), drain=None)

    every = payloads(rt, "term_digest")
    per_hub_term = Counter((p["extra"]["hub_id"], p["extra"]["term"]["start"]) for p in every)
    assert set(per_hub_term.values()) == {1}
    assert len(every) == 2 * len(TERM_STARTS) == compared == 14
    assert all(p["extra"]["late"] is False for p in every)
    summaries = payloads(rt, "term_summary")
    assert len(summaries) == len(TERM_STARTS)
    assert summaries[-1]["extra"]["hubs"] == [
        {"hub": "north", "name": "North Maths Hub", "on_track": 0, "behind": 1},
        {"hub": "south", "name": "South Maths Hub", "on_track": 0, "behind": 1},
    ]  # at the Work Group start: idle never left Year 1, steady never accredited
    with rt.uow() as uow:
        states = dict(uow.session.execute(select(Specialist.id, Specialist.state)).all())
    assert (states[keen], states[idle], states[steady]) == ("work_group_lead", "year1", "year2")


def test_a_scheduler_down_across_the_spring_start_sends_the_digest_once_marked_late(cohort):
    world, *_ = cohort
    rt, clock = world.runtime, world.clock
    simulate(rt, clock.now(), datetime(2026, 1, 2, 12, tzinfo=UTC), drain=None)
    assert digests_of(rt, date(2026, 1, 5)) == []

    clock.set(datetime(2026, 1, 12, 10, tzinfo=UTC))  # back a week into the term
    dispatch_due(rt)
    dispatch_due(rt)  # and again: nothing more
    late = digests_of(rt, date(2026, 1, 5))
    assert len(late) == 2 and all(p["extra"]["late"] for p in late)
    with rt.uow() as uow:
        statuses = Counter(
            uow.session.scalars(
                select(TermDigest.status).where(TermDigest.term_start == date(2026, 1, 5))
            )
        )
    with rt.uow() as uow:
        email = compose(uow.connection(), render_email, late[0], clock.now(), "m@mathshubs.example")
    assert statuses == {"late": 2}
    message = email.message()
    assert message["Subject"].endswith("(sent late)")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "This digest is late: it was due on Monday 5 January 2026" in text


def test_a_scheduler_down_across_a_whole_term_sends_nothing_for_it(cohort):
    world, *_ = cohort
    rt, clock = world.runtime, world.clock
    simulate(rt, clock.now(), datetime(2026, 1, 2, 12, tzinfo=UTC), drain=None)

    clock.set(datetime(2026, 4, 1, 10, tzinfo=UTC))  # the Easter holidays: spring has ended
    dispatch_due(rt)
    assert digests_of(rt, date(2026, 1, 5)) == []
    with rt.uow() as uow:
        statuses = Counter(
            uow.session.scalars(
                select(TermDigest.status).where(TermDigest.term_start == date(2026, 1, 5))
            )
        )
    assert statuses == {"skipped": 2}
    assert not [p for p in payloads(rt, "term_summary") if "2026-01-05" in p["key"]]

    simulate(rt, clock.now(), nine_am(date(2026, 4, 13)), drain=None)  # summer, on time
    summer = digests_of(rt, date(2026, 4, 13))
    assert len(summer) == 2 and not any(p["extra"]["late"] for p in summer)


def test_the_hub_chooses_whether_its_staff_get_the_digest_too(cohort):
    world, *_ = cohort
    rt, clock = world.runtime, world.clock
    staff.add_staff(rt.uow(), ADMIN, "sam@north.example", "Sam Staff", "hub_staff", "north",
                    clock.now())  # fmt: skip
    with rt.uow() as uow:
        north = uow.session.scalar(select(Hub.id).where(Hub.code == "north"))
        south = uow.session.scalar(select(Hub.id).where(Hub.code == "south"))
        south_lead = Actor("lead@south.example", Role.HUB_LEAD, hub_id=south)
        north_lead = Actor("lead@north.example", Role.HUB_LEAD, hub_id=north)
    with pytest.raises(NotFound):
        setup.set_digest_to_staff(rt.uow(), south_lead, "north", True)
    setup.set_digest_to_staff(rt.uow(), north_lead, "north", True)

    simulate(rt, clock.now(), nine_am(date(2026, 1, 5)), drain=None)
    spring = digests_of(rt, date(2026, 1, 5))
    assert sorted((p["extra"]["figures"]["hub"], p["to"]) for p in spring) == [
        ("north", "hub_lead"), ("north", "hub_staff"), ("south", "hub_lead"),
    ]  # fmt: skip
    staff_copy = next(p for p in spring if p["to"] == "hub_staff")
    with rt.uow() as uow:
        email = compose(uow.connection(), render_email, staff_copy, clock.now(), "m@hub.example")
    assert email.message()["To"] == "sam@north.example"


def test_the_digest_lists_the_terms_events_with_their_joining_links(world):
    link = "https://meet.example/cohort9-central2"
    events.set_link(world.runtime.uow(), ADMIN, 9, "y1-central2", link, world.clock.now())
    with world.runtime.uow() as uow:
        spring = progress.cohort_progress(uow.session, 9, date(2026, 1, 5))
        autumn = progress.cohort_progress(uow.session, 9, date(2025, 9, 3))
    assert [(e.id, e.link) for e in spring.events] == [("y1-central2", link)]
    assert [(e.id, e.link) for e in autumn.events] == [("y1-launch1", None), ("y1-central1", None)]


def test_the_digest_lists_the_events_still_to_come_this_year_after_the_term(world):
    with world.runtime.uow() as uow:
        autumn = progress.cohort_progress(uow.session, 9, date(2025, 9, 3))
        spring = progress.cohort_progress(uow.session, 9, date(2026, 1, 5))
        summer = progress.cohort_progress(uow.session, 9, date(2026, 4, 20))
    # This academic year's events after the term, never the next year's (Year 2 from October).
    assert [e.id for e in autumn.later_events] == ["y1-central2", "y1-central3"]
    assert [e.id for e in spring.later_events] == ["y1-central3"]
    assert [e.id for e in summer.events] == ["y1-central3"]
    assert summer.later_events == []
    assert spring.as_dict()["later_events"][0]["title"] == "Central event 3: mathematical thinking"
