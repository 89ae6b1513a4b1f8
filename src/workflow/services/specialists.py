"""The lifecycle services: nominate, fire a trigger, record a milestone, read a specialist.

Each is one unit of work: load (version checked), let the machine decide, append to the
audit log, queue the consequences in the outbox, commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from workflow.db.models import AuditEntry, School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import Conflict, DomainError, GuardFailed, InvalidInput, NotFound
from workflow.services import effects, funding
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.queries import (
    MILESTONE,
    TRANSITION,
    cohort_rules,
    facts_for,
    places,
    places_used,
)
from workflow.services.reminders import update_reminders
from workflow.services.setup import cohort_by_number, school_by_urn
from workflow.services.validation import clean_email, clean_name
from workflow.states.guards import Facts, Nomination, nomination_reasons
from workflow.states.lifecycle import ACTIVE, NEXT_YEAR_TRIGGER, Outcome, State, fire

# Milestones: the states they may be recorded in, and whether they are measured in half-days.
MILESTONES: dict[str, tuple[tuple[State, ...], bool]] = {
    "launch_attended": ((State.SELECTED, State.YEAR1), False),
    "central_day": ((State.YEAR1, State.YEAR2), True),
    "development_day": ((State.YEAR1, State.YEAR2), True),
    "hub_support": ((State.YEAR1, State.YEAR2), True),
    "accreditation": ((State.YEAR1, State.YEAR2), False),
}
ONCE_ONLY = ("launch_attended", "accreditation")
PROGRAMME_YEAR = {State.SELECTED: 1, State.YEAR1: 1, State.YEAR2: 2}
MAX_HALF_DAYS = 40


@dataclass(frozen=True)
class NominationRequest:
    cohort: int
    school_urn: str
    name: str
    email: str
    qts: bool
    teaching_since: date


@logs_refusals("nominate")
def nominate(uow: UnitOfWork, actor: Actor, request: NominationRequest, now: datetime) -> int:
    """Store an eligible nomination, or refuse it with every reason and store nothing."""
    with uow:
        reasons, school, cohort = check_nomination(uow.session, actor, request)
        if reasons:
            raise GuardFailed(reasons)
        specialist_id = store_nomination(uow.session, actor, request, school, cohort, now)
        uow.commit()
        return specialist_id


def store_nomination(session, actor, request, school, cohort, now: datetime) -> int:
    """Write a checked nomination: the specialist, the audit entry, the emails."""
    specialist = Specialist(
        name=request.name.strip(),
        email=clean_email(request.email),
        qts=request.qts,
        teaching_since=request.teaching_since,
        school_id=school.id,
        cohort_id=cohort.id,
        state=State.NOMINATED.value,
        created_at=now,
        updated_at=now,
    )
    session.add(specialist)
    session.flush()
    _audit(session, specialist, "nominate", "none", State.NOMINATED, actor, now)
    effects.write(session, effects.transition_rows(specialist.id, "nominate", now, "v1"))
    return specialist.id


def check_nomination(session: Session, actor: Actor, request: NominationRequest):
    """Every reason the nomination is refused (empty when eligible), with school and cohort."""
    school = school_by_urn(session, request.school_urn)
    not_found_unless_visible(actor, school.hub_id, f"school with URN {request.school_urn}")
    authorize(actor, Action.NOMINATE, school.hub_id)
    cohort = cohort_by_number(session, request.cohort)
    name_problem = email_problem = None
    email = request.email
    try:
        clean_name(request.name, "the teacher's name")
    except InvalidInput as exc:
        name_problem = str(exc)
    try:
        email = clean_email(request.email)
    except InvalidInput as exc:
        email_problem = str(exc)
    already_active = session.scalar(
        select(Specialist.id).where(
            Specialist.email == email, Specialist.state.in_([s.value for s in ACTIVE])
        )
    )
    reasons = nomination_reasons(
        Nomination(
            name_problem=name_problem,
            email_problem=email_problem,
            qts=request.qts,
            teaching_since=request.teaching_since,
            school_phase=school.phase,
            school_state_funded=school.state_funded,
            cohort_start=cohort.start_date,
            already_active=already_active is not None,
        )
    )
    return reasons, school, cohort


def load_specialist(session: Session, actor: Actor, specialist_id: int) -> Specialist:
    """The specialist, or NotFound when missing or in a hub the actor cannot see."""
    return load_with_hub(session, actor, specialist_id)[0]


def load_with_hub(session: Session, actor: Actor, specialist_id: int) -> tuple[Specialist, int]:
    """``load_specialist`` and the id of the specialist's hub, in one query."""
    found = session.execute(
        select(Specialist, School.hub_id)
        .join(School, School.id == Specialist.school_id)
        .where(Specialist.id == specialist_id)
    ).first()
    if found is None:
        raise NotFound(f"specialist {specialist_id} not found")
    not_found_unless_visible(actor, found.hub_id, f"specialist {specialist_id}")
    return found.Specialist, found.hub_id


def _transition(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    trigger: str,
    now: datetime,
    *,
    reason: str | None = None,
    override: bool = False,
    expected_version: int | None = None,
) -> Outcome:
    """Fire ``trigger`` for one specialist; raises a domain error and writes nothing if refused."""
    if override and not (reason or "").strip():
        raise InvalidInput("an override needs a written reason (--reason)")
    with uow:
        session = uow.session
        specialist, hub_id = load_with_hub(session, actor, specialist_id)
        authorize(actor, Action.OVERRIDE if override else Action.DECIDE, hub_id)
        if expected_version is not None and specialist.version != expected_version:
            raise Conflict(
                f"specialist {specialist_id} changed since version {expected_version} "
                f"(now version {specialist.version}); look again and retry"
            )
        facts = _facts(session, specialist, trigger, hub_id)
        outcome = fire(
            specialist.state,
            trigger,
            facts,
            resume_state=specialist.resume_state,
            override=override,
        )
        apply_outcome(session, specialist, trigger, outcome, actor, now, reason)
        uow.commit()
        return outcome


transition = logs_refusals("transition")(_transition)


@logs_refusals("advance")
def advance(uow: UnitOfWork, actor: Actor, specialist_id: int, now: datetime, **kwargs) -> Outcome:
    """Fire the trigger that moves the specialist into their next programme year."""
    with uow:
        specialist = load_specialist(uow.session, actor, specialist_id)
        state = State(specialist.state)
    trigger = NEXT_YEAR_TRIGGER.get(state)
    if trigger is None:
        raise DomainError(f"specialist {specialist_id} is {state.value}: there is no next year")
    return _transition(uow, actor, specialist_id, trigger, now, **kwargs)


def apply_outcome(
    session: Session,
    specialist: Specialist,
    trigger: str,
    outcome: Outcome,
    actor: Actor,
    now: datetime,
    reason: str | None,
) -> None:
    """Write a decided transition: state, audit entry, consequences (same transaction)."""
    occurrence = f"v{specialist.version}"  # the version it changed from: unique per change
    if outcome.dest == State.DEFERRED:
        specialist.resume_state = outcome.source.value
    elif outcome.source == State.DEFERRED:
        specialist.resume_state = None
    specialist.state = outcome.dest.value
    specialist.updated_at = now
    if outcome.overridden:
        reason = f"{reason} (overrode: {'; '.join(outcome.overridden)})"
    _audit(
        session,
        specialist,
        trigger,
        outcome.source,
        outcome.dest,
        actor,
        now,
        reason=reason,
        override=bool(outcome.overridden),
    )
    update_reminders(session, specialist, trigger, outcome, now)
    session.flush()  # the version check happens here: a concurrent change raises Conflict
    effects.write(session, effects.transition_rows(specialist.id, trigger, now, occurrence, reason))
    funding.after_transition(session, specialist, trigger, outcome, actor, now)


@logs_refusals("record")
def record_milestone(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    kind: str,
    now: datetime,
    *,
    half_days: int | None = None,
    on: date | None = None,
) -> None:
    if kind not in MILESTONES:
        raise InvalidInput(f"unknown milestone {kind!r}; expected one of {', '.join(MILESTONES)}")
    states, measured = MILESTONES[kind]
    if measured and (half_days is None or not 0 < half_days <= MAX_HALF_DAYS):
        raise InvalidInput(f"{kind.replace('_', ' ')}: give between 0.5 and {MAX_HALF_DAYS // 2}")
    with uow:
        session = uow.session
        specialist, hub_id = load_with_hub(session, actor, specialist_id)
        authorize(actor, Action.RECORD, hub_id)
        state = State(specialist.state)
        if state not in states:
            allowed = " or ".join(s.value for s in states)
            raise DomainError(
                f"cannot record {kind.replace('_', ' ')} for a specialist who is "
                f"{state.value} (only when {allowed})"
            )
        if kind in ONCE_ONLY and session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.specialist_id == specialist.id,
                AuditEntry.kind == MILESTONE,
                AuditEntry.name == kind,
            )
        ):
            raise DomainError(f"{kind.replace('_', ' ')} is already recorded")
        entry = _audit(
            session,
            specialist,
            kind,
            state,
            state,
            actor,
            now,
            kind=MILESTONE,
            half_days=half_days if measured else None,
            occurred_on=on or now.date(),
            programme_year=PROGRAMME_YEAR[state],
        )
        funding.on_milestone_recorded(session, specialist, entry, now)
        # A milestone changes what the guards see: bump the version so that a decision
        # taken concurrently on the old facts conflicts instead of slipping through.
        specialist.updated_at = now
        flag_modified(specialist, "updated_at")  # an UPDATE (and new version) even if equal
        session.flush()
        uow.commit()


def _facts(session: Session, specialist: Specialist, trigger: str, hub_id: int) -> Facts:
    if trigger == "select":
        return Facts(
            places=places(session, hub_id, specialist.cohort_id, lock=True),
            places_used=places_used(session, hub_id, specialist.cohort_id),
        )
    if trigger in ("start_year2", "start_work_group"):
        rules = cohort_rules(session, specialist.cohort_id)
        return facts_for(session, [specialist], rules)[specialist.id]
    return Facts()


def _audit(
    session: Session,
    specialist: Specialist,
    name: str,
    source: State | str,
    dest: State | str,
    actor: Actor,
    now: datetime,
    *,
    kind: str = TRANSITION,
    reason: str | None = None,
    override: bool = False,
    half_days: int | None = None,
    occurred_on: date | None = None,
    programme_year: int | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        specialist_id=specialist.id,
        kind=kind,
        name=name,
        from_state=str(source),
        to_state=str(dest),
        half_days=half_days,
        occurred_on=occurred_on,
        programme_year=programme_year,
        actor=actor.email,
        at=now,
        reason=reason,
        override=override,
    )
    session.add(entry)
    session.flush()
    return entry


def history(session: Session, specialist_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.specialist_id == specialist_id)
            .order_by(AuditEntry.id)
        )
    )
