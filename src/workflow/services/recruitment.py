"""Recruitment: a cohort's window, the nominees a school may make, and possible duplicates.

These checks sit beside eligibility (``states.guards.nomination_reasons``) when a
nomination or an import row is judged. Each refusal can be accepted on purpose, with a
written reason that the nomination's audit entry keeps:

- ``late``: outside the cohort's recruitment window (a national admin);
- ``extra_nominee``: beyond the cohort's nominees per school (a national admin);
- ``not_duplicate``: the same person seems to be nominated already (anyone who nominates).

The window is the cohort's own copy (``cohorts.recruitment_*``), taken from the rules when
the cohort is created and changed by ``set_window``; a cohort without one takes
nominations at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.db.models import Cohort, School, Specialist
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.errors import InvalidInput
from workflow.notify.formatting import format_day, format_when
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.setup import cohort_by_number
from workflow.states.lifecycle import State

LATE, EXTRA_NOMINEE, NOT_DUPLICATE = "late", "extra_nominee", "not_duplicate"
# Who may accept each on purpose.
ACCEPT_ACTION = {LATE: Action.ADMIT, EXTRA_NOMINEE: Action.ADMIT, NOT_DUPLICATE: Action.NOMINATE}
# A school's nominee counts against its limit unless the hub declined them or they left.
COUNTED = [s.value for s in State if s not in (State.NOT_SELECTED, State.WITHDRAWN)]


@dataclass(frozen=True, slots=True)
class Finding:
    """One recruitment refusal, and the acceptance that would let it through."""

    accept: str
    reason: str


def opens_at(day: date, zone: str) -> datetime:
    """The start of the opening day, in the configured time zone."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def window_finding(cohort: Cohort, now: datetime, zone: str) -> Finding | None:
    opens, closes = cohort.recruitment_opens, cohort.recruitment_closes
    if opens is None or closes is None:
        return None
    window = (
        f"nominations for cohort {cohort.number} are taken from {format_day(opens, zone)} "
        f"until {format_when(closes, zone)}"
    )
    if now < opens_at(opens, zone):
        return Finding(LATE, f"{window}: the window has not opened yet")
    if now > closes:
        return Finding(LATE, f"{window}: the window has closed")
    return None


def nominee_finding(session: Session, school: School, cohort: Cohort) -> Finding | None:
    limit = cohort.nominees_per_school
    if not limit:
        return None
    first = session.scalars(
        select(Specialist.id)
        .where(
            Specialist.school_id == school.id,
            Specialist.cohort_id == cohort.id,
            Specialist.state.in_(COUNTED),
        )
        .order_by(Specialist.id)
    ).all()
    if len(first) < limit:
        return None
    which = ", ".join(str(i) for i in first)
    return Finding(
        EXTRA_NOMINEE,
        f"school {school.urn} has already nominated specialist {which} for cohort "
        f"{cohort.number}; the cohort takes {limit} nominee(s) per school",
    )


def duplicate_findings(session: Session, name: str, email: str, school: School) -> list[Finding]:
    """The same email in any cohort, or the same name at the same school with another email."""
    same_email = session.scalars(
        select(Specialist.id).where(Specialist.email == email).order_by(Specialist.id)
    ).all()
    same_name = session.scalars(
        select(Specialist.id)
        .where(
            Specialist.school_id == school.id,
            func.lower(Specialist.name) == " ".join(name.split()).lower(),
            Specialist.email != email,
        )
        .order_by(Specialist.id)
    ).all()
    findings = [
        Finding(NOT_DUPLICATE, f"possible duplicate: specialist {i} has the same email address")
        for i in same_email
    ]
    findings += [
        Finding(
            NOT_DUPLICATE,
            f"possible duplicate: specialist {i} has the same name at school {school.urn}",
        )
        for i in same_name
    ]
    return findings


def check_accepts(actor: Actor, accept: frozenset[str], reason: str | None, hub_id: int) -> None:
    """Refuse an acceptance the actor may not give, or one without a reason."""
    unknown = set(accept) - set(ACCEPT_ACTION)
    if unknown:
        raise InvalidInput(f"cannot accept {', '.join(sorted(unknown))}")
    if accept and not (reason or "").strip():
        raise InvalidInput("accepting a nomination on purpose needs a written reason (--reason)")
    for what in sorted(accept):
        authorize(actor, ACCEPT_ACTION[what], hub_id)


def findings(
    session: Session, school: School, cohort: Cohort, name: str, email: str, now: datetime
) -> list[Finding]:
    """Every recruitment refusal of one nomination (accepted ones included)."""
    zone = session_timezone(session)
    found = [window_finding(cohort, now, zone), nominee_finding(session, school, cohort)]
    return [f for f in found if f] + duplicate_findings(session, name, email, school)


@logs_refusals("cohort window")
def set_window(
    uow: UnitOfWork,
    actor: Actor,
    number: int,
    opens: date,
    closes: datetime,
    nominees_per_school: int | None = None,
) -> None:
    """Change a cohort's recruitment window (national admins)."""
    authorize(actor, Action.SETUP)
    if closes.tzinfo is None:
        raise InvalidInput("the closing time needs a time zone")
    if closes < opens_at(opens, uow.timezone):
        raise InvalidInput("the window closes before it opens")
    if nominees_per_school is not None and nominees_per_school < 1:
        raise InvalidInput("nominees per school must be at least 1")
    with uow:
        cohort = cohort_by_number(uow.session, number)
        cohort.recruitment_opens = opens
        cohort.recruitment_closes = closes
        if nominees_per_school is not None:
            cohort.nominees_per_school = nominees_per_school
        uow.commit()
