"""Read-side helpers the services share: places used, the facts the guards judge."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow.db.bulk import among
from workflow.db.models import AuditEntry, Cohort, HubAllocation, School, Specialist
from workflow.states.guards import Facts
from workflow.states.lifecycle import HOLDS_PLACE
from workflow.states.rules import CohortRules, rules_from_snapshot

MILESTONE = "milestone"
TRANSITION = "transition"
CORRECTION = "correction"  # a void, an edit, a move, a change of cohort


def voided_ids():
    """The ids of voided milestones (a subquery): they stay in the trail but count no more."""
    return select(AuditEntry.voids_id).where(AuditEntry.voids_id.is_not(None)).scalar_subquery()


def counted_milestones():
    """The condition of a milestone that counts: a milestone, and not voided."""
    return (AuditEntry.kind == MILESTONE) & AuditEntry.id.not_in(voided_ids())


def last_transition(session: Session, specialist_id: int, trigger: str) -> AuditEntry | None:
    return session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.specialist_id == specialist_id,
            AuditEntry.kind == TRANSITION,
            AuditEntry.name == trigger,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )


def places_used(session: Session, hub_id: int, cohort_id: int) -> int:
    return session.scalar(
        select(func.count(Specialist.id))
        .join(School, School.id == Specialist.school_id)
        .where(
            School.hub_id == hub_id,
            Specialist.cohort_id == cohort_id,
            Specialist.state.in_([s.value for s in HOLDS_PLACE]),
        )
    )


def places(session: Session, hub_id: int, cohort_id: int, lock: bool = False) -> int:
    query = select(HubAllocation.places).where(
        HubAllocation.hub_id == hub_id, HubAllocation.cohort_id == cohort_id
    )
    if lock:  # serialises selections within one hub and cohort (PostgreSQL)
        query = query.with_for_update()
    return session.scalar(query) or 0


def cohort_rules(session: Session, cohort_id: int) -> CohortRules:
    return rules_from_snapshot(session.get(Cohort, cohort_id).rules)


def milestone_totals(session: Session, specialist_ids: list[int], programme_year: int) -> dict:
    """``{specialist_id: {milestone: half-days or count}}`` for one programme year."""
    rows = session.execute(
        select(
            AuditEntry.specialist_id,
            AuditEntry.name,
            func.coalesce(func.sum(AuditEntry.half_days), 0),
            func.count(AuditEntry.id),
        )
        .where(
            among(session, AuditEntry.specialist_id, specialist_ids),
            counted_milestones(),
            AuditEntry.programme_year == programme_year,
        )
        .group_by(AuditEntry.specialist_id, AuditEntry.name)
    )
    totals: dict[int, dict[str, int]] = {i: {} for i in specialist_ids}
    for specialist_id, name, half_days, count in rows:
        totals[specialist_id][name] = half_days if half_days else count
    return totals


EVER = ("accreditation", "launch_attended")  # the milestones a guard asks about in any year


def facts_for(session: Session, specialists: list[Specialist], rules) -> dict[int, Facts]:
    """The guard facts of several specialists of one cohort, in one query: Year 1's
    totals (as ``milestone_totals``) and whether each of ``EVER`` was ever recorded."""
    ids = [s.id for s in specialists]
    rows = session.execute(
        select(
            AuditEntry.specialist_id,
            AuditEntry.name,
            AuditEntry.programme_year,
            func.coalesce(func.sum(AuditEntry.half_days), 0),
            func.count(AuditEntry.id),
        )
        .where(
            among(session, AuditEntry.specialist_id, ids),
            counted_milestones(),
            or_(AuditEntry.programme_year == 1, AuditEntry.name.in_(EVER)),
        )
        .group_by(AuditEntry.specialist_id, AuditEntry.name, AuditEntry.programme_year)
    )
    year1: dict[int, dict[str, int]] = {i: {} for i in ids}
    ever: dict[str, set[int]] = {name: set() for name in EVER}
    for specialist_id, name, year, half_days, count in rows:
        if year == 1:
            year1[specialist_id][name] = half_days if half_days else count
        if name in ever:
            ever[name].add(specialist_id)
    return {
        s.id: Facts(
            year1_half_days=year1[s.id],
            launch_attended=s.id in ever["launch_attended"],
            accredited=s.id in ever["accreditation"],
            rules=rules,
        )
        for s in specialists
    }
