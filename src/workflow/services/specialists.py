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

from workflow.clock import local_date
from workflow.db.models import AuditEntry, School, Specialist
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.errors import Conflict, DomainError, GuardFailed, InvalidInput, NotFound
from workflow.services import funding
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.consequences import Moved, follow
from workflow.services.queries import (
    MILESTONE,
    cohort_rules,
    facts_for,
    places,
    places_used,
)
from workflow.services.setup import cohort_by_number, school_by_urn
from workflow.services.validation import clean_email, clean_name
from workflow.states.guards import Facts, Nomination, nomination_reasons
from workflow.states.lifecycle import ACTIVE, Outcome, State, fire
from workflow.states.programme import milestone_year, next_year_trigger

# Milestones: the states they may be recorded in, and whether they are measured in half-days.
MILESTONES: dict[str, tuple[tuple[State, ...], bool]] = {
    "launch_attended": ((State.SELECTED, State.YEAR1), False),
    "central_day": ((State.YEAR1, State.YEAR2), True),
    "development_day": ((State.YEAR1, State.YEAR2), True),
    "hub_support": ((State.YEAR1, State.YEAR2), True),
    "accreditation": ((State.YEAR1, State.YEAR2), False),
}
ONCE_ONLY = ("launch_attended", "accreditation")
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
    moved = Moved(specialist.id, cohort.id, specialist.version, None, State.NOMINATED)
    follow(session, [moved], "nominate", actor, now)
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
    trigger = next_year_trigger(state)
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
    """Write a decided transition: the state, then its consequences (same transaction)."""
    moved = Moved.of(specialist.id, specialist.cohort_id, specialist.version, outcome)
    if outcome.dest == State.DEFERRED:
        specialist.resume_state = outcome.source.value
    elif outcome.source == State.DEFERRED:
        specialist.resume_state = None
    specialist.state = outcome.dest.value
    specialist.updated_at = now
    session.flush()  # the version check happens here: a concurrent change raises Conflict
    follow(session, [moved], trigger, actor, now, reason=reason)


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
    with uow:
        record_in(uow.session, actor, specialist_id, kind, now, half_days=half_days, on=on)
        uow.commit()


def record_in(
    session: Session,
    actor: Actor,
    specialist_id: int,
    kind: str,
    now: datetime,
    *,
    half_days: int | None = None,
    on: date | None = None,
) -> AuditEntry:
    """Record a milestone in the caller's transaction (a command, or a register of many)."""
    if kind not in MILESTONES:
        raise InvalidInput(f"unknown milestone {kind!r}; expected one of {', '.join(MILESTONES)}")
    states, measured = MILESTONES[kind]
    if measured and (half_days is None or not 0 < half_days <= MAX_HALF_DAYS):
        raise InvalidInput(f"{kind.replace('_', ' ')}: give between 0.5 and {MAX_HALF_DAYS // 2}")
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
    entry = AuditEntry(
        specialist_id=specialist.id,
        kind=MILESTONE,
        name=kind,
        from_state=state.value,
        to_state=state.value,
        half_days=half_days if measured else None,
        occurred_on=on or local_date(now, session_timezone(session)),
        programme_year=milestone_year(state),
        actor=actor.email,
        at=now,
        override=False,
    )
    session.add(entry)
    session.flush()
    funding.on_milestone_recorded(session, specialist, entry, now)
    # A milestone changes what the guards see: bump the version so that a decision
    # taken concurrently on the old facts conflicts instead of slipping through.
    specialist.updated_at = now
    flag_modified(specialist, "updated_at")  # an UPDATE (and new version) even if equal
    session.flush()
    return entry


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


def history(session: Session, specialist_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.specialist_id == specialist_id)
            .order_by(AuditEntry.id)
        )
    )
