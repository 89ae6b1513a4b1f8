"""The demo's messier year: what hubs correct by hand when the ideal path breaks.

Steps added to the demo's calendar (``demo.Story.plan``), each through the same services a
hub uses, with a reason kept in the audit trail:

- a late nomination, refused after the window closed on 11 July 2025 and accepted by a
  national admin with a reason (``late_nomination``, before selection);
- a selected teacher who withdraws in August, and the hub's reserve reinstated into the
  freed place and selected (``reserve_reinstated``, before Year 1);
- a development day ticked twice and the second one voided;
- a teacher who moves to another school of the hub in the middle of Year 1;
- a deferral into cohort 10: deferred in January 2026 after Year 1's first instalment
  was released, so the change of cohort is refused and then overridden by a national
  admin; resumed with cohort 10 in September 2026 (paying only Year 1's balance) and
  walked through cohort 10's Year 1 (cohort-10 rules: 2026 to 2029).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from workflow.db.models import Hub, School, Specialist
from workflow.errors import GuardFailed
from workflow.services import changes, corrections, setup
from workflow.services.specialists import NominationRequest, nominate, transition

NEXT_COHORT = 10


def late_nomination(story, cohort: int) -> int | None:
    """A nomination on Monday 14 July 2025, after the window: refused, then accepted."""
    urn = story.free_school()
    if urn is None:
        return None
    request = NominationRequest(
        cohort, urn, "Late Nominee", "late.nominee@schools.example", True, date(2016, 9, 1)
    )
    try:
        nominate(story.uow(), story.admin, request, story.now())
    except GuardFailed as refused:
        story.result_refused.append((request.name, urn, refused.reasons))
    late = NominationRequest(
        cohort,
        urn,
        request.name,
        request.email,
        True,
        date(2016, 9, 1),
        accept=frozenset({"late"}),
        reason="The school's form was lost in the post; sent on time.",
    )
    sid = nominate(story.uow(), story.admin, late, story.now())
    story.actions.append(f"late nomination {sid} accepted by a national admin")
    return sid


def reserve_reinstated(story) -> None:
    """A selected teacher withdraws before Year 1; the hub reinstates its reserve."""
    with story.uow() as uow:
        rows = uow.session.execute(
            select(Specialist.id, Specialist.state, Hub.code)
            .join(School, School.id == Specialist.school_id)
            .join(Hub, Hub.id == School.hub_id)
            .where(Specialist.state.in_(["selected", "not_selected"]))
            .order_by(Hub.code, Specialist.id)
        ).all()
    for code in sorted({r.code for r in rows}):
        chosen = [r.id for r in rows if r.code == code and r.state == "selected"]
        reserve = [r.id for r in rows if r.code == code and r.state == "not_selected"]
        if chosen and reserve:
            break
    else:
        return
    gone, back = chosen[0], reserve[0]
    transition(
        story.uow(),
        story.admin,
        gone,
        "withdraw",
        story.now(),
        reason="Took a post abroad before the programme began.",
    )
    corrections.reinstate(
        story.uow(),
        story.admin,
        back,
        "A place freed: first on the hub's reserve list.",
        story.now(),
    )
    transition(story.uow(), story.admin, back, "select", story.now())
    story.selected.remove(gone)
    story.selected.append(back)
    story.declined -= 1
    story.actions.append(f"reserve {back} reinstated into the place {gone} freed")


def steps(story, people: list[int], mover: int, doubled: int, deferred: int) -> list:
    """The dated corrections, as ``(when, label, act)`` for the demo's calendar."""
    at = story.at
    result: list[tuple] = []

    def step(day: date, label: str, act: Callable[[], None], hour: int = 15) -> None:
        result.append((at(day, hour), label, act))

    def void_doubled() -> None:
        story.record(doubled, "development_day", date(2025, 11, 20), 2)
        data = story.milestones(doubled)
        corrections.void_milestone(
            story.uow(), story.admin, doubled, data[-1], "Ticked twice by mistake.", story.now()
        )

    def move() -> None:
        urn = story.other_school_of(mover)
        if urn:
            changes.move(
                story.uow(),
                story.admin,
                mover,
                urn,
                "Appointed head of maths at another school of the hub.",
                story.now(),
            )

    def into_next_cohort() -> None:
        setup.add_cohort(story.uow(), story.admin, NEXT_COHORT, f"cohort-{NEXT_COHORT}")
        code = story.hub_of(deferred)
        setup.allocate(story.uow(), story.admin, code, NEXT_COHORT, 3)
        reason = "Parental leave: rejoins with cohort 10 in September."
        try:
            corrections.change_cohort(
                story.uow(), story.admin, deferred, NEXT_COHORT, reason, story.now()
            )
        except GuardFailed:  # Year 1 was part-paid: the national team overrides knowingly
            corrections.change_cohort(
                story.uow(), story.admin, deferred, NEXT_COHORT, reason, story.now(), override=True
            )

    def resume() -> None:
        transition(story.uow(), story.admin, deferred, "resume", story.now())

    step(date(2025, 11, 21), "a development day ticked twice, voided", void_doubled)
    step(date(2026, 2, 10), "a teacher moves school in Year 1", move)
    step(date(2026, 6, 1), "a deferred teacher moves into cohort 10", into_next_cohort)
    step(date(2026, 9, 2), "resumed with cohort 10", resume, hour=12)
    for day, kind, half_days in (
        (date(2026, 9, 29), "launch_attended", None),
        (date(2026, 10, 15), "central_day", 4),
        (date(2026, 11, 19), "development_day", 2),
        (date(2027, 1, 28), "central_day", 4),
        (date(2027, 3, 11), "development_day", 2),
        (date(2027, 5, 13), "central_day", 3),
    ):
        step(
            day,
            f"cohort 10: {kind.replace('_', ' ')}",
            lambda d=day, k=kind, h=half_days: story.record(deferred, k, d, h),
            hour=16,
        )
    return result
