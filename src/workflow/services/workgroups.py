"""Year 3's Teaching for Mastery Work Groups and the schools they reach.

From Year 3 "the Mastery Specialist and a school colleague will join a Teaching for
Mastery Work Group"; later they lead provision with other schools. A Work Group is
recorded with the specialist who leads or joins it, the school colleague if any, and the
participating schools by URN (they need not be in ``schools``). The national team counts
schools reached, per hub and nationally, against the state-funded secondary schools in
each hub's area where known (``hubs.secondary_schools``): the strategic goal is 65%.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.db.models import Hub, School, Specialist, WorkGroup, WorkGroupSchool
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.specialists import load_with_hub
from workflow.services.validation import clean_name
from workflow.states.lifecycle import State

URN = re.compile(r"^\d{6}$")
ROLES = ("leads", "joins")
MAX_SCHOOLS = 200


@logs_refusals("workgroup add")
def add_work_group(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    name: str,
    urns: list[str],
    now: datetime,
    *,
    role: str = "leads",
    colleague: str | None = None,
) -> int:
    """Record a Work Group of a specialist in Year 3 (Work Group Lead); returns its id."""
    name = clean_name(name, "the Work Group's name")
    colleague = clean_name(colleague, "the school colleague's name") if colleague else None
    if role not in ROLES:
        raise InvalidInput(f"role {role!r}: expected leads or joins")
    urns = list(dict.fromkeys(u.strip() for u in urns))
    bad = [u for u in urns if not URN.match(u)]
    if bad:
        raise InvalidInput(f"URN {bad[0]!r} is not six digits")
    if not urns or len(urns) > MAX_SCHOOLS:
        raise InvalidInput(f"give between 1 and {MAX_SCHOOLS} participating schools (--school)")
    with uow:
        session = uow.session
        specialist, hub_id = load_with_hub(session, actor, specialist_id)
        authorize(actor, Action.RECORD, hub_id)
        if specialist.state != State.WORK_GROUP_LEAD:
            raise DomainError(
                f"specialist {specialist_id} is {specialist.state}: Work Groups are recorded "
                "from Year 3 (work_group_lead)"
            )
        group = WorkGroup(
            specialist_id=specialist.id,
            name=name,
            role=role,
            colleague_name=colleague,
            actor=actor.email,
            created_at=now,
        )
        session.add(group)
        session.flush()
        session.add_all(WorkGroupSchool(work_group_id=group.id, urn=u) for u in urns)
        uow.commit()
        return group.id


def schools_reached(
    session: Session, cohort_id: int | None = None, hub_id: int | None = None
) -> dict[int, int]:
    """``{hub id: distinct schools reached}`` through the Work Groups of (a cohort's)
    specialists, counted once per hub however many groups reach a school (only
    ``hub_id``'s when given)."""
    query = (
        select(School.hub_id, func.count(func.distinct(WorkGroupSchool.urn)))
        .join(WorkGroup, WorkGroup.id == WorkGroupSchool.work_group_id)
        .join(Specialist, Specialist.id == WorkGroup.specialist_id)
        .join(School, School.id == Specialist.school_id)
        .group_by(School.hub_id)
    )
    if cohort_id is not None:
        query = query.where(Specialist.cohort_id == cohort_id)
    if hub_id is not None:
        query = query.where(School.hub_id == hub_id)
    return {hub: int(n) for hub, n in session.execute(query)}


def national_reach(session: Session, cohort_id: int | None = None) -> dict:
    """Distinct schools reached nationally, and the share of the known secondary schools."""
    query = select(func.count(func.distinct(WorkGroupSchool.urn))).join(
        WorkGroup, WorkGroup.id == WorkGroupSchool.work_group_id
    )
    if cohort_id is not None:
        query = query.join(Specialist, Specialist.id == WorkGroup.specialist_id).where(
            Specialist.cohort_id == cohort_id
        )
    reached = int(session.scalar(query) or 0)
    known = session.scalar(select(func.sum(Hub.secondary_schools)))
    return {"schools_reached": reached, "secondary_schools": int(known) if known else None}
