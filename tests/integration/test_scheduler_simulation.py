"""A small cohort walked from June 2025 to October 2027 on the simulated clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import select, update

from tests.integration.conftest import ADMIN
from workflow.db.models import DueItem, OutboxMessage, Specialist
from workflow.scheduler.simulation import simulate
from workflow.services import due
from workflow.services.specialists import record_milestone, transition


def count_only_drain(runtime) -> Counter:
    """Stands in for the workers in these tests: counts pending emails by template and
    marks the outbox rows sent (nothing is delivered)."""
    with runtime.uow() as uow:
        rows = uow.session.execute(
            select(OutboxMessage.id, OutboxMessage.payload).where(OutboxMessage.sent_at.is_(None))
        ).all()
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([r.id for r in rows]))
            .values(sent_at=runtime.clock.now())
        )
        uow.commit()
    return Counter(r.payload["template"] for r in rows)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, tzinfo=UTC)


END = datetime(2027, 10, 31, 23, tzinfo=UTC)


def test_a_cohort_simulated_to_year3(world):
    rt, clock = world.runtime, world.clock
    done, no_accreditation, withdrawn = world.nominate(3)
    south = world.nominate(2, school=world.other_school)
    everyone = [done, no_accreditation, withdrawn, *south]
    for sid in everyone:
        transition(rt.uow(), ADMIN, sid, "select", clock.now())
    drained: Counter = Counter()

    def drain(runtime):
        drained.update(count_only_drain(runtime))

    def until(day: date, then=None):
        simulate(rt, clock.now(), at(day), drain=drain)
        if then:
            then()

    def record(ids, kind, **kw):
        for sid in ids:
            record_milestone(rt.uow(), ADMIN, sid, kind, clock.now(), **kw)

    active = [done, no_accreditation, *south]
    until(date(2025, 9, 30), lambda: record(everyone, "launch_attended"))
    until(date(2025, 10, 16), lambda: record(everyone, "central_day", half_days=11))
    until(
        date(2025, 11, 3),
        lambda: transition(rt.uow(), ADMIN, withdrawn, "withdraw", clock.now(), reason="Left."),
    )
    until(date(2026, 3, 12), lambda: record(active, "development_day", half_days=4))
    until(date(2027, 4, 1), lambda: record([done, *south], "accreditation"))
    result = simulate(rt, clock.now(), END, drain=drain)

    with rt.uow() as uow:
        states = dict(uow.session.execute(select(Specialist.id, Specialist.state)).all())
        payloads = list(uow.session.scalars(select(OutboxMessage.payload)))
    assert [states[i] for i in (done, *south)] == ["work_group_lead"] * 3
    assert states[no_accreditation] == "year2"
    assert states[withdrawn] == "withdrawn"
    assert result.by_state == {"withdrawn": 1, "work_group_lead": 3, "year2": 1}

    reminders = [p for p in payloads if p["key"].split(":")[3].startswith("reminder")]
    assert Counter(p["key"] for p in reminders).most_common(1)[0][1] == 1  # each once
    per_person = Counter(
        (p["specialist_id"], p["template"]) for p in reminders if p["to"] == "specialist"
    )
    for sid in everyone:
        # launch: 14 and 2 days before, to the specialist
        assert per_person[(sid, "launch_reminder")] == 2
    # and to each school's headteacher once, naming the school's specialists (issue 15)
    to_heads = [p for p in reminders if p["to"] == "headteacher"]
    assert Counter(p["template"] for p in to_heads) == {
        "launch_invitation": 2,
        "launch_reminder": 4,
    }
    assert sorted(len(p["extra"]["specialists"]) for p in to_heads) == [2, 2, 2, 3, 3, 3]
    # Year 1 central events: 3 (the withdrawn one had the October reminder only)
    assert [per_person[(sid, "central_event_reminder")] for sid in active] == [5] * 4
    assert per_person[(withdrawn, "central_event_reminder")] == 1
    # accreditation: the March reminder for all four in Year 2; June only for the one missing
    assert [per_person[(sid, "accreditation_reminder")] for sid in active] == [1, 2, 1, 1]
    # every email the simulation produced went through the drain, once
    assert sum(drained.values()) == len(payloads)
    assert result.emails_by_template["work_group_lead_started"] == 6
    assert result.dispatched["advance_cohort"] == 1  # this last leg: start_work_group
    with rt.uow() as uow:
        left = uow.session.scalars(
            select(DueItem.key).where(due.pending(), DueItem.due_at <= END)
        ).all()
    assert left == []  # nothing due by then was left undone (the daily check goes on)
