"""Advancing a whole cohort at a term start, in batches of bounded size.

Each batch is one transaction: lock the batch's rows, let the machine decide each
specialist (the same ``fire`` as a single command), then write states, audit entries,
outbox rows, reminders and funding with a few bulk statements per batch (``db.bulk``),
not one per row. Those whose guards refuse stay where they are; each hub's lead gets
one email listing them.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from workflow.db.bulk import among
from workflow.db.models import School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import GuardFailed, InvalidInput
from workflow.notify.notifications import STUCK_SPECIALISTS, StuckPerson, StuckSpecialists
from workflow.services import effects
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.consequences import Moved, follow
from workflow.services.queries import facts_for
from workflow.services.setup import cohort_by_number
from workflow.states.lifecycle import State, fire
from workflow.states.programme import YEAR_TRIGGERS, source_of, started_by
from workflow.states.rules import rules_from_snapshot


@dataclass
class Stuck:
    specialist_id: int
    name: str
    hub_id: int
    reasons: list[str]
    school: str
    urn: str


@dataclass
class AdvanceReport:
    trigger: str
    advanced: int = 0
    stuck: list[Stuck] = field(default_factory=list)


@logs_refusals("advance_cohort")
def advance_cohort(
    uow: UnitOfWork,
    actor: Actor,
    cohort_number: int,
    trigger: str,
    now: datetime,
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> AdvanceReport:
    """Fire ``trigger`` (start_year1, start_year2 or start_work_group) for the whole cohort,
    one transaction per batch (each a ``uow.fresh()``)."""
    authorize(actor, Action.DECIDE)
    if started_by(trigger) is None:
        raise InvalidInput(f"{trigger!r} is not a year trigger: {', '.join(YEAR_TRIGGERS)}")
    source = source_of(trigger)
    with uow:
        cohort = cohort_by_number(uow.session, cohort_number)
        cohort_id, rules = cohort.id, rules_from_snapshot(cohort.rules)
    report = AdvanceReport(trigger=trigger)
    after_id = 0
    while True:
        with uow.fresh() as batch_uow, _collector_paused():
            batch = _advance_batch(
                batch_uow.session,
                actor,
                cohort_id,
                rules,
                source,
                trigger,
                now,
                after_id,
                batch_size,
            )
            if batch is None:
                break
            after_id, advanced, stuck = batch
            batch_uow.commit()
        report.advanced += advanced
        report.stuck += stuck
        if progress:
            progress(advanced + len(stuck))
    if report.stuck:
        with uow.fresh() as stuck_uow:
            effects.write(stuck_uow.session, _stuck_emails(report, cohort_number, now))
            stuck_uow.commit()
    return report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for one batch.

    A batch builds some 10^5 small acyclic objects (row dicts and tuples) that live until
    its commit; the collector would traverse them again and again, a quarter of the CPU
    time of a large cohort. Reference counting frees them either way.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _advance_batch(session, actor, cohort_id, rules, source, trigger, now, after_id, size):
    rows = session.execute(
        _candidates(cohort_id, source)
        .where(Specialist.id > after_id)
        .limit(size)
        .with_for_update(of=Specialist)
    ).all()
    if not rows:
        return None
    facts = facts_for(session, rows, rules) if trigger != "start_year1" else {}
    decided, stuck = _decide(rows, source, trigger, facts)
    moved = [Moved.of(row.id, cohort_id, row.version, outcome) for row, outcome in decided]
    by_dest: dict[State, list[int]] = defaultdict(list)
    for m in moved:
        by_dest[m.dest].append(m.specialist_id)
    # The rows are locked (FOR UPDATE; SQLite: one writer), so the versions read hold.
    table = Specialist.__table__
    for dest, ids in by_dest.items():
        session.execute(
            update(table)
            .where(among(session, table.c.id, ids))
            .values(state=dest.value, version=table.c.version + 1, updated_at=now)
        )
    follow(session, moved, trigger, actor, now)
    return rows[-1].id, len(decided), stuck


def _stuck_emails(report: AdvanceReport, cohort_number: int, now: datetime) -> list[dict]:
    by_hub: dict[int, list[Stuck]] = defaultdict(list)
    for stuck in report.stuck:
        by_hub[stuck.hub_id].append(stuck)
    rows = []
    for hub_id, people in sorted(by_hub.items()):
        extra = StuckSpecialists(
            hub_id=hub_id,
            cohort_number=cohort_number,
            specialists=[
                StuckPerson(id=p.specialist_id, name=p.name, school=p.school, reasons=p.reasons)
                for p in people
            ],
        )
        occurrence = f"cohort{cohort_number}-{report.trigger}-hub{hub_id}"
        rows += effects.email_rows(now, STUCK_SPECIALISTS, None, occurrence, extra)
    return rows


def _candidates(cohort_id: int, state: State):
    """The cohort's specialists in ``state``, in id order, with what a decision reports."""
    return (
        select(
            Specialist.id,
            Specialist.name,
            Specialist.version,
            School.hub_id,
            School.name.label("school"),
            School.urn,
        )
        .join(School, School.id == Specialist.school_id)
        .where(Specialist.cohort_id == cohort_id, Specialist.state == state.value)
        .order_by(Specialist.id)
    )


def _decide(rows, state: State, trigger: str, facts: dict) -> tuple[list, list[Stuck]]:
    """The machine's decision for each row: ``(row, outcome)`` for the movers, and the stuck."""
    moved, stuck = [], []
    for row in rows:
        try:
            moved.append((row, fire(state, trigger, facts.get(row.id))))
        except GuardFailed as refused:
            stuck.append(Stuck(row.id, row.name, row.hub_id, refused.reasons, row.school, row.urn))
    return moved, stuck
