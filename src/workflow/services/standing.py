"""What each specialist's trail says of them, kept on their row: whether they are stuck
(and why), and how far they ever got (a place, Year 2, Year 3, accreditation).

The trail (``audit_log``) is the truth; these are its read model, so that the dashboards,
the list's "stuck" filter, ``list --stuck`` and the national report read columns instead
of judging or scanning the trail of everyone they count.

- **Stuck**: who would stay behind if their cohort advanced now, by the machine's own
  judgment (``fire`` of their next year's trigger on the facts the guards read,
  ``queries.facts_for``), as advancing the cohort decides. ``stuck_reasons`` is None when
  they would move on or their state has no next year to be held back from.
- **Reached**: ``ever_selected`` (a transition into a state that holds a place),
  ``ever_year2``, ``ever_year3`` (into Year 2, into leading Work Groups) and
  ``accredited`` (an accreditation milestone that counts: not voided).

``refresh`` is called, in the same transaction, by everything that adds to the trail: a
transition (``consequences.follow``), a milestone (``specialists.record_in``, and a
nomination already accredited), a correction (``corrections.correction_entry``: a void, a
change of cohort); ``record_in`` and ``correction_entry`` through ``trail_grew``, which
bumps the version too.
``rebuild`` reads everyone's trail again: ``workflow db upgrade`` runs it, and so must
anything that writes the trail with bare SQL (the bench's seeding).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from workflow.db.bulk import among
from workflow.db.models import AuditEntry, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import GuardFailed
from workflow.services.queries import TRANSITION, cohort_rules, counted_milestones, facts_for
from workflow.states.lifecycle import HOLDS_PLACE, State, fire
from workflow.states.programme import next_year_trigger

#: The states someone can be stuck in, with the trigger that would move them on (the
#: start of Year 1 has no guard on milestones: no one is stuck before it).
JUDGED = {
    state: trigger
    for state in State
    if (trigger := next_year_trigger(state)) is not None and trigger != "start_year1"
}
#: The kept columns, in the order ``_reached`` gives the last four.
KEPT = ("stuck_reasons", "ever_selected", "ever_year2", "ever_year3", "accredited")
BATCH = 5000


def refresh(session: Session, specialist_ids: Iterable[int]) -> None:
    """Read ``specialist_ids``' trails again and store what changed (caller's transaction)."""
    ids = sorted(set(specialist_ids))
    if not ids:
        return
    table = Specialist.__table__
    rows = session.execute(
        select(table.c.id, table.c.cohort_id, table.c.state, *(table.c[k] for k in KEPT))
        .where(among(session, table.c.id, ids))
    ).all()  # fmt: skip
    stuck = judge(session, rows)
    reached = _reached(session, ids)
    # Those whose kept values change, grouped by their new values: one UPDATE per group
    # (a batch just advanced shares one), not one per specialist.
    changed: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        kept = (stuck.get(row.id), *reached.get(row.id, (False,) * 4))
        if kept != tuple(getattr(row, k) for k in KEPT):
            reasons = tuple(kept[0]) if kept[0] is not None else None
            changed[(reasons, *kept[1:])].append(row.id)
    for (reasons, *flags), group in changed.items():
        values = dict(zip(KEPT, (list(reasons) if reasons else None, *flags), strict=True))
        session.execute(update(table).where(among(session, table.c.id, group)).values(values))
        for sid in group:  # a specialist loaded in this session sees the new values
            loaded = session.identity_map.get(session.identity_key(Specialist, sid))
            if loaded is not None:
                for k, v in values.items():
                    set_committed_value(loaded, k, v)


def trail_grew(session: Session, specialist: Specialist, now: datetime) -> None:
    """An entry was added to ``specialist``'s trail (a milestone, a correction): bump
    their version, so that a decision taken meanwhile on the old facts conflicts instead
    of slipping through, and read what their trail now says."""
    specialist.updated_at = now
    flag_modified(specialist, "updated_at")  # an UPDATE (and new version) even if equal
    session.flush()
    refresh(session, [specialist.id])


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


def _flag(condition):
    return func.max(case((condition, 1), else_=0)) == 1


def _reached(session: Session, ids: list[int]) -> dict[int, tuple[bool, bool, bool, bool]]:
    """``{id: (ever selected, ever Year 2, ever Year 3, accredited)}`` from their trails, in
    one grouped query (those with none of these are left out)."""
    into = AuditEntry.to_state
    transition = AuditEntry.kind == TRANSITION
    took = and_(transition, into.in_([s.value for s in HOLDS_PLACE]))
    accreditation = and_(counted_milestones(), AuditEntry.name == "accreditation")
    rows = session.execute(
        select(
            AuditEntry.specialist_id,
            _flag(took),
            _flag(and_(transition, into == State.YEAR2.value)),
            _flag(and_(transition, into == State.WORK_GROUP_LEAD.value)),
            _flag(accreditation),
        )
        .where(among(session, AuditEntry.specialist_id, ids), or_(took, accreditation))
        .group_by(AuditEntry.specialist_id)
    )
    return {sid: (bool(a), bool(b), bool(c), bool(d)) for sid, a, b, c, d in rows}


def rebuild(uow: UnitOfWork) -> int:
    """Read every specialist's trail again, in one transaction; how many are stuck."""
    with uow:
        session = uow.session
        ids = list(session.scalars(select(Specialist.id).order_by(Specialist.id)))
        for start in range(0, len(ids), BATCH):
            refresh(session, ids[start : start + BATCH])
        uow.commit()
        return session.scalar(
            select(func.count())
            .select_from(Specialist)
            .where(Specialist.stuck_reasons.is_not(None))
        )
