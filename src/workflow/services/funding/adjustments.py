"""``funding adjust``: a manual correction appended to the ledger, never an edit.

A national admin (``Action.SETUP``) appends a positive or negative amount with a written
reason; the row's origin is ``manual`` whatever its reason says, so the report counts it
as a change to what the school is owed. On the days basis the correction is a funding
line of its own kind (``adjustment``), on the school's next statement.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from workflow.clock import local_date
from workflow.db.models import FundingEntry, FundingYear, School, Specialist
from workflow.db.uow import UnitOfWork, session_timezone
from workflow.errors import DomainError, InvalidInput, NotFound
from workflow.services.auth import Action, Actor, authorize, not_found_unless_visible
from workflow.services.funding import claims, ledger
from workflow.services.funding.schedule import latest_year
from workflow.services.queries import cohort_rules


def adjust(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    programme_year: int | None,
    amount_pence: int,
    reason: str,
    now: datetime,
) -> int:
    """Append a correcting ledger entry (positive or negative); nothing is ever edited."""
    authorize(actor, Action.SETUP)
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int) or amount_pence == 0:
        raise InvalidInput("an adjustment is a non-zero whole number of pence")
    if not (reason or "").strip():
        raise InvalidInput("an adjustment needs a written reason")
    with uow:
        session = uow.session
        specialist = session.get(Specialist, specialist_id)
        if specialist is None:
            raise NotFound(f"specialist {specialist_id} not found")
        hub_id = session.scalar(select(School.hub_id).where(School.id == specialist.school_id))
        not_found_unless_visible(actor, hub_id, f"specialist {specialist_id}")
        if cohort_rules(session, specialist.cohort_id).funding.basis == "days":
            line = _adjust_days(
                session, actor, specialist, programme_year, amount_pence, reason, now
            )
            uow.flush()
            uow.commit()
            return line.id
        if programme_year is None:
            programme_year = latest_year(session, specialist_id) or 1
        started = session.scalar(
            select(func.count(FundingEntry.id)).where(
                FundingEntry.specialist_id == specialist_id,
                FundingEntry.programme_year == programme_year,
            )
        )
        if not started:
            raise DomainError(
                f"specialist {specialist_id} has no funding for Year {programme_year} to adjust"
            )
        row = ledger.append(
            session,
            specialist_id=specialist_id,
            school_id=specialist.school_id,
            programme_year=programme_year,
            kind=ledger.ADJUSTMENT,
            origin=ledger.MANUAL,
            amount_pence=amount_pence,
            actor=actor.email,
            reason=reason.strip(),
            at=now,
        )
        uow.flush()
        uow.commit()
        return row.id


def _adjust_days(session, actor: Actor, specialist, programme_year, amount_pence, reason, now):
    query = select(FundingYear).where(FundingYear.specialist_id == specialist.id)
    if programme_year is not None:
        query = query.where(FundingYear.programme_year == programme_year)
    year = session.scalar(query.order_by(FundingYear.programme_year.desc()))
    if year is None:
        which = "any year" if programme_year is None else f"Year {programme_year}"
        raise DomainError(f"specialist {specialist.id} has no funding for {which} to adjust")
    return claims.add_line(
        session,
        specialist_id=specialist.id,
        school_id=specialist.school_id,
        cohort_id=specialist.cohort_id,
        programme_year=year.programme_year,
        kind=claims.ADJUSTMENT,
        amount_pence=amount_pence,
        claimable_on=local_date(now, session_timezone(session)),
        actor=actor.email,
        reason=reason.strip(),
        created_at=now,
    )
