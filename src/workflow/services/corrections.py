"""Corrections as named services, each needing a written reason and kept in the audit trail.

- ``reinstate``: back from the reserve list (not selected -> nominated, until the cohort's
  Year 1 begins), or the undo of a withdrawal (to the state it left, with the reminders
  and funding it cancelled); the machine decides it (``states.lifecycle``).
- ``void_milestone``: a milestone recorded by mistake stays in the trail, marked by a
  correction entry that names it (``voids_id``); it no longer counts for guards or funding.
- ``change_cohort``: a deferred specialist joins a later cohort, taking its rules and dates;
  refused when money for the year they would repeat was released, unless overridden.

Hub leads and national admins may correct (``Action.CORRECT``); hub staff may not. As in
the Department for Education's services (Apply's ``revert_withdrawal``, Register's undo
withdrawal form, NPQ's ``change_cohort``), each is its own service, not a free edit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import AuditEntry, Cohort, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, GuardFailed, InvalidInput, NotFound
from workflow.services import funding, reminders, standing
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.queries import CORRECTION, MILESTONE, places, places_used
from workflow.services.setup import cohort_by_number
from workflow.services.specialists import _transition, check_version, load_with_hub
from workflow.states.lifecycle import Outcome, State

YEAR_OF_STATE = {State.SELECTED: 1, State.YEAR1: 1, State.YEAR2: 2}


def require_reason(reason: str | None, what: str) -> str:
    if not (reason or "").strip():
        raise InvalidInput(f"{what} is a correction: it needs a written reason (--reason)")
    return reason.strip()


@logs_refusals("reinstate")
def reinstate(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    reason: str,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> Outcome:
    """not_selected -> nominated (reserve list) or withdrawn -> the state it left."""
    require_reason(reason, "reinstate")
    return _transition(
        uow, actor, specialist_id, "reinstate", now, reason=reason,
        expected_version=expected_version,
    )  # fmt: skip


def correction_entry(
    session: Session,
    specialist: Specialist,
    name: str,
    actor: Actor,
    now: datetime,
    reason: str,
    details: dict | None = None,
    voids_id: int | None = None,
) -> AuditEntry:
    """Append a correction to the trail (state unchanged) and bump the version, so that a
    decision taken meanwhile on the old facts conflicts."""
    entry = AuditEntry(
        specialist_id=specialist.id,
        kind=CORRECTION,
        name=name,
        from_state=specialist.state,
        to_state=specialist.state,
        actor=actor.email,
        at=now,
        reason=reason,
        override=False,
    )
    session.add(entry)
    entry.voids_id = voids_id
    entry.details = details
    standing.trail_grew(session, specialist, now)  # a void or another cohort may change it
    return entry


@logs_refusals("milestone void")
def void_milestone(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    milestone_id: int,
    reason: str,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> int:
    """Void one milestone; returns the id of the correction entry."""
    reason = require_reason(reason, "a void")
    with uow:
        void = void_in(
            uow.session, actor, specialist_id, milestone_id, reason, now,
            expected_version=expected_version,
        )  # fmt: skip
        uow.commit()
        return void.id


def void_in(
    session: Session,
    actor: Actor,
    specialist_id: int,
    milestone_id: int,
    reason: str,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> AuditEntry:
    """Void one milestone in the caller's transaction (a command, or a register saved again
    without someone ticked before); the funding reaction follows in the same transaction."""
    specialist, hub_id = load_with_hub(session, actor, specialist_id)
    authorize(actor, Action.CORRECT, hub_id)
    check_version(specialist, expected_version)
    entry = session.get(AuditEntry, milestone_id)
    if entry is None or entry.specialist_id != specialist.id or entry.kind != MILESTONE:
        raise NotFound(f"milestone {milestone_id} of specialist {specialist_id} not found")
    if session.scalar(select(AuditEntry.id).where(AuditEntry.voids_id == entry.id)):
        raise DomainError(f"milestone {milestone_id} is already voided")
    details = {"milestone": entry.name, "half_days": entry.half_days,
               "occurred_on": entry.occurred_on.isoformat() if entry.occurred_on else None,
               "programme_year": entry.programme_year}  # fmt: skip
    void = correction_entry(
        session, specialist, "void", actor, now, reason, details, voids_id=entry.id
    )
    funding.on_milestone_voided(session, entry, now)
    return void


@logs_refusals("change-cohort")
def change_cohort(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    cohort_number: int,
    reason: str,
    now: datetime,
    *,
    override: bool = False,
    expected_version: int | None = None,
) -> None:
    """Move a deferred specialist into a later cohort: its rules and dates from now on.

    What was scheduled under the old cohort is cancelled (deferral cancelled it already;
    this makes sure); ``resume`` then schedules the new cohort's reminders and, for a
    year already started, only the balance still owed for it (``funding``), so a year is
    never paid twice. The place moves from the old cohort's allocation to the new one's.
    """
    reason = require_reason(reason, "a change of cohort")
    with uow:
        session = uow.session
        specialist, hub_id = load_with_hub(session, actor, specialist_id)
        authorize(actor, Action.CORRECT, hub_id)
        if override:
            authorize(actor, Action.OVERRIDE, hub_id)
        check_version(specialist, expected_version)
        if specialist.state != State.DEFERRED:
            raise DomainError(
                f"only a deferred specialist can change cohort; specialist {specialist_id} "
                f"is {specialist.state}"
            )
        old = session.get(Cohort, specialist.cohort_id)
        new = cohort_by_number(session, cohort_number)
        if new.number <= old.number:
            raise DomainError(
                f"specialist {specialist_id} is in cohort {old.number}: they can join a "
                "later cohort only"
            )
        reasons = []
        free = places(session, hub_id, new.id, lock=True) - places_used(session, hub_id, new.id)
        if free <= 0:
            reasons.append(f"the hub's allocation for cohort {new.number} is full")
        year = YEAR_OF_STATE.get(State(specialist.resume_state or State.SELECTED))
        paid = funding.year_released(session, specialist.id, year) if year else 0
        overridden = None
        if paid:
            money = (
                f"{paid} pence of Year {year}'s funding was already released; the year "
                f"they would repeat in cohort {new.number} pays only the balance"
            )
            if override:
                overridden = money
            else:
                reasons.append(money + " (override with a reason to go ahead)")
        if reasons:
            raise GuardFailed(reasons)
        funding.cancel_scheduled(session, specialist.id, now)
        reminders.cancel_pending(session, specialist.id, now)
        specialist.cohort_id = new.id
        details = {"from_cohort": old.number, "to_cohort": new.number,
                   "released_pence_for_year": paid, "programme_year": year}  # fmt: skip
        entry = correction_entry(session, specialist, "change_cohort", actor, now, reason, details)
        if overridden:
            entry.override = True
            entry.reason = f"{reason} (overrode: {overridden})"
        uow.commit()
