"""The lifecycle services: nominate, fire a trigger, record a milestone, read a specialist.

Each is one unit of work: load (version checked), let the machine decide, append to the
audit log, queue the consequences in the outbox, commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.db.models import AuditEntry, Cohort, School, Specialist
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.errors import Conflict, DomainError, GuardFailed, InvalidInput, NotFound
from workflow.services import funding, recruitment, standing
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.consequences import Moved, follow
from workflow.services.gdpr.erase import address_erased
from workflow.services.queries import (
    MILESTONE,
    cohort_rules,
    counted_milestones,
    facts_for,
    last_transition,
    places,
    places_used,
)
from workflow.services.setup import cohort_by_number, school_by_urn
from workflow.services.validation import (
    EARLIEST_TEACHING,
    check_milestone_date,
    clean_email,
    clean_name,
    clean_reason,
)
from workflow.states.guards import Facts, Nomination, nomination_reasons
from workflow.states.lifecycle import CORRECTIONS, HOLDS_PLACE, Outcome, State, fire
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
    # Already an NCETM Accredited secondary PD Lead: the accreditation is met from the start.
    accredited_pd_lead: bool = False
    # Recruitment refusals accepted on purpose (``recruitment.LATE`` ...), with the reason.
    accept: frozenset[str] = frozenset()
    reason: str | None = None


ALREADY_ACCREDITED = "already an NCETM Accredited secondary PD Lead when nominated"


@logs_refusals("nominate")
def nominate(uow: UnitOfWork, actor: Actor, request: NominationRequest, now: datetime) -> int:
    """Store an eligible nomination, or refuse it with every reason and store nothing."""
    with uow:
        reasons, school, cohort = check_nomination(uow.session, actor, request, now)
        if reasons:
            raise GuardFailed(reasons)
        specialist_id = store_nomination(uow.session, actor, request, school, cohort, now)
        uow.commit()
        return specialist_id


def store_nomination(session, actor, request, school, cohort, now: datetime) -> int:
    """Write a checked nomination: the specialist, the audit entries, the emails.

    What was accepted on purpose is overridden in the nomination's audit entry, with the
    reason; an accredited PD Lead also gets an accreditation milestone that says why.
    """
    email = clean_email(request.email)
    accepted = tuple(
        f.reason
        for f in recruitment.findings(session, school, cohort, request.name, email, now)
        if f.accept in request.accept
    )
    specialist = Specialist(
        name=request.name.strip(),
        email=email,
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
    moved = Moved(specialist.id, cohort.id, specialist.version, None, State.NOMINATED, accepted)
    follow(session, [moved], "nominate", actor, now, reason=request.reason if accepted else None)
    if request.accredited_pd_lead:
        session.add(
            AuditEntry(
                specialist_id=specialist.id, kind=MILESTONE, name="accreditation",
                from_state=State.NOMINATED.value, to_state=State.NOMINATED.value,
                occurred_on=local_date(now, session_timezone(session)), actor=actor.email,
                at=now, reason=ALREADY_ACCREDITED, override=False,
            )
        )  # fmt: skip
        session.flush()
        standing.refresh(session, [specialist.id])
    return specialist.id


def check_nomination(session: Session, actor: Actor, request: NominationRequest, now: datetime):
    """Every reason the nomination is refused (empty when eligible), with school and cohort.

    Eligibility, then recruitment (window, nominees per school, possible duplicates) less
    what the request accepts on purpose.
    """
    school = school_by_urn(session, request.school_urn)
    not_found_unless_visible(actor, school.hub_id, f"school with URN {request.school_urn}")
    authorize(actor, Action.NOMINATE, school.hub_id)
    recruitment.check_accepts(actor, request.accept, request.reason, school.hub_id)
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
    reasons = nomination_reasons(
        Nomination(
            name_problem=name_problem,
            email_problem=email_problem,
            qts=request.qts,
            teaching_since=request.teaching_since,
            school_phase=school.phase,
            school_state_funded=school.state_funded,
            cohort_start=cohort.start_date,
            previously_erased=email_problem is None and address_erased(session, email),
        )
    )
    if request.teaching_since < EARLIEST_TEACHING:
        reasons.append(
            f"teaching since {request.teaching_since.isoformat()} is before"
            f" {EARLIEST_TEACHING.year}: check the date"
        )
    if not email_problem:
        reasons += [
            f.reason
            for f in recruitment.findings(session, school, cohort, request.name, email, now)
            if f.accept not in request.accept
        ]
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
    correction = trigger in CORRECTIONS
    if correction and not (reason or "").strip():
        raise InvalidInput(f"{trigger} is a correction: it needs a written reason (--reason)")
    if reason is not None:
        reason = clean_reason(reason, "--reason")
    with uow:
        session = uow.session
        specialist, hub_id = load_with_hub(session, actor, specialist_id)
        action = Action.CORRECT if correction else Action.OVERRIDE if override else Action.DECIDE
        authorize(actor, action, hub_id)
        check_version(specialist, expected_version)
        left = _state_left(session, specialist, trigger)
        facts = _facts(session, specialist, trigger, hub_id, now, left)
        outcome = fire(specialist.state, trigger, facts, resume_state=left, override=override)
        apply_outcome(session, specialist, trigger, outcome, actor, now, reason)
        uow.commit()
        return outcome


def check_version(specialist: Specialist, expected_version: int | None) -> None:
    """Refuse a change decided on an older version of the specialist (``Conflict``)."""
    if expected_version is not None and specialist.version != expected_version:
        raise Conflict(
            f"specialist {specialist.id} changed since version {expected_version} "
            f"(now version {specialist.version}); look again and retry"
        )


def _state_left(session: Session, specialist: Specialist, trigger: str) -> str | None:
    """The state a trigger may return to: deferral's for resume, withdrawal's for reinstate."""
    if trigger == "reinstate" and specialist.state == State.WITHDRAWN:
        withdrawal = last_transition(session, specialist.id, "withdraw")
        return withdrawal.from_state if withdrawal else None
    return specialist.resume_state


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
    if outcome.dest == State.DEFERRED and trigger != "reinstate":
        specialist.resume_state = outcome.source.value
    elif trigger == "resume":
        specialist.resume_state = None  # kept through a withdrawal, for its undo
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
    expected_version: int | None = None,
) -> None:
    with uow:
        record_in(uow.session, actor, specialist_id, kind, now, half_days=half_days, on=on,
                  expected_version=expected_version)  # fmt: skip
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
    expected_version: int | None = None,
) -> AuditEntry:
    """Record a milestone in the caller's transaction (a command, or a register of many).

    ``expected_version``: refused (``Conflict``) if the specialist changed since that
    version, as for a transition (a bulk action confirmed twice records once)."""
    if kind not in MILESTONES:
        raise InvalidInput(f"unknown milestone {kind!r}; expected one of {', '.join(MILESTONES)}")
    states, measured = MILESTONES[kind]
    if measured and (half_days is None or not 0 < half_days <= MAX_HALF_DAYS):
        raise InvalidInput(f"{kind.replace('_', ' ')}: give between 0.5 and {MAX_HALF_DAYS // 2}")
    specialist, hub_id = load_with_hub(session, actor, specialist_id)
    authorize(actor, Action.RECORD, hub_id)
    check_version(specialist, expected_version)
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
            counted_milestones(),
            AuditEntry.name == kind,
        )
    ):
        raise DomainError(f"{kind.replace('_', ' ')} is already recorded")
    today = local_date(now, session_timezone(session))
    if on is not None:
        start = session.get(Cohort, specialist.cohort_id).start_date
        # The cohort's programme years: from the calendar year it starts in (the launch
        # may come first) to the end of its third year's calendar year; never after today.
        check_milestone_date(on, date(start.year, 1, 1), date(start.year + 3, 12, 31), today)
    entry = AuditEntry(
        specialist_id=specialist.id,
        kind=MILESTONE,
        name=kind,
        from_state=state.value,
        to_state=state.value,
        half_days=half_days if measured else None,
        occurred_on=on or today,
        programme_year=milestone_year(state),
        actor=actor.email,
        at=now,
        override=False,
    )
    session.add(entry)
    session.flush()
    funding.on_milestone_recorded(session, specialist, entry, now)
    standing.trail_grew(session, specialist, now)  # what the guards see has changed
    return entry


def _facts(
    session: Session,
    specialist: Specialist,
    trigger: str,
    hub_id: int,
    now: datetime,
    left: str | None = None,
) -> Facts:
    if trigger == "reinstate":
        cohort = session.get(Cohort, specialist.cohort_id)
        return Facts(
            places=places(session, hub_id, specialist.cohort_id, lock=True),
            places_used=places_used(session, hub_id, specialist.cohort_id),
            from_reserve=specialist.state == State.NOT_SELECTED,
            year1_started=local_date(now, session_timezone(session)) >= cohort.start_date,
            needs_place=left in HOLDS_PLACE,
        )
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
