"""Who would stay behind if their cohort advanced now, and why: kept on each specialist.

The judgment is the machine's: ``fire`` of their next year's trigger on the facts the
guards read (``queries.facts_for``), as advancing the cohort does. It is made again
whenever what it reads changes: a transition (``consequences.follow``), a milestone
recorded (``specialists.record_in``), a correction (``corrections.correction_entry``: a
void, a change of cohort), and stored in ``specialists.stuck_reasons`` (None: they would
move on, or their state has no next year to be held back from). The dashboards, the
list's "stuck" filter and ``list --stuck`` then read the stuck as they read a column,
however many specialists there are. ``rebuild`` judges everyone again: ``workflow db
upgrade`` runs it, and so must anything that writes milestones or states with bare SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow.db.bulk import among
from workflow.db.models import Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import GuardFailed
from workflow.services.queries import cohort_rules, facts_for
from workflow.states.lifecycle import State, fire
from workflow.states.programme import next_year_trigger

#: The states someone can be stuck in, with the trigger that would move them on (the
#: start of Year 1 has no guard on milestones: no one is stuck before it).
JUDGED = {
    state: trigger
    for state in State
    if (trigger := next_year_trigger(state)) is not None and trigger != "start_year1"
}
BATCH = 5000


def refresh(session: Session, specialist_ids: Iterable[int]) -> None:
    """Judge ``specialist_ids`` again and store what changed (in the caller's transaction)."""
    ids = sorted(set(specialist_ids))
    if not ids:
        return
    rows = session.execute(
        select(Specialist.id, Specialist.cohort_id, Specialist.state, Specialist.stuck_reasons)
        .where(among(session, Specialist.id, ids))
    ).all()  # fmt: skip
    judged = judge(session, rows)
    changed = [
        {"sid": row.id, "reasons": judged.get(row.id)}
        for row in rows
        if judged.get(row.id) != row.stuck_reasons
    ]
    if not changed:
        return
    table = Specialist.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("sid"))
        .values(stuck_reasons=bindparam("reasons", type_=table.c.stuck_reasons.type)),
        changed,
    )
    for change in changed:  # a specialist loaded in this session sees the new value
        loaded = session.identity_map.get(session.identity_key(Specialist, change["sid"]))
        if loaded is not None:
            set_committed_value(loaded, "stuck_reasons", change["reasons"])


def judge(session: Session, rows: Sequence) -> dict[int, list[str]]:
    """``{id: reasons}`` of the stuck among ``rows`` (each with ``id``, ``cohort_id`` and
    ``state``); whoever is not in it would move on, or cannot be stuck."""
    groups: dict[tuple[int, State], list] = defaultdict(list)
    for row in rows:
        state = State(row.state)
        if state in JUDGED:
            groups[(row.cohort_id, state)].append(row)
    stuck = {}
    for (cohort_id, state), group in groups.items():
        trigger = JUDGED[state]
        facts = facts_for(session, group, cohort_rules(session, cohort_id))
        for row in group:
            try:
                fire(state, trigger, facts[row.id])
            except GuardFailed as refused:
                stuck[row.id] = list(refused.reasons)
    return stuck


def rebuild(uow: UnitOfWork) -> int:
    """Judge every specialist again, in one transaction; how many are stuck."""
    with uow:
        session = uow.session
        table = Specialist.__table__
        judged_states = [s.value for s in JUDGED]
        session.execute(
            update(table)
            .where(table.c.stuck_reasons.is_not(None), table.c.state.not_in(judged_states))
            .values(stuck_reasons=None)
        )
        ids = list(
            session.scalars(select(Specialist.id).where(Specialist.state.in_(judged_states)))
        )
        for start in range(0, len(ids), BATCH):
            refresh(session, ids[start : start + BATCH])
        uow.commit()
        return session.scalar(
            select(func.count())
            .select_from(Specialist)
            .where(Specialist.stuck_reasons.is_not(None))
        )
