"""Statements per school per release date (basis ``days``): gathered, listed, paid.

On each release date of a cohort's rules, the scheduler's due item (kind
``funding_statements``) runs ``gather``: every school's live lines not yet on a statement
and claimable by that date go onto one statement for the school (status ``payable``),
whose finance contact (the headteacher when there is none) gets one email listing the
lines by specialist and day, the total and what remains of each year's entitlement. On
the year's last release date the years still open close and their remainder lapses.
``mark_paid`` records the hub finance team's payment (hub lead or national admin); a paid
statement is never changed again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.db.bulk import among
from workflow.db.models import (
    AuditEntry,
    Cohort,
    FundingLine,
    FundingYear,
    Hub,
    School,
    Specialist,
    Statement,
)
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput, NotFound
from workflow.notify.notifications import FUNDING_STATEMENT
from workflow.notify.registry import Role
from workflow.services import effects
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.funding import claims
from workflow.services.paging import PAGE_SIZE, Page, place
from workflow.services.setup import cohort_by_number, hub_by_code
from workflow.states.lifecycle import State


@dataclass(frozen=True)
class StatementView:
    id: int
    school_urn: str
    hub: str
    cohort: int
    release_date: date
    status: str
    total_pence: int
    lines: int
    paid_at: datetime | None
    reference: str | None
    school_name: str = ""  # for pages; not in ``as_dict`` (the CLI's JSON)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "school_urn": self.school_urn,
            "hub": self.hub,
            "cohort": self.cohort,
            "release_date": self.release_date.isoformat(),
            "status": self.status,
            "total_pence": self.total_pence,
            "lines": self.lines,
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
            "reference": self.reference,
        }


def gather(
    session: Session, cohort_number: int, release_date: date, closes_year: int | None, now
) -> list[int]:
    """Gather the statements of one release date (in the caller's transaction); their ids.

    Safe to run twice: lines already on a statement are not gathered again, and a school
    has at most one statement per cohort and release date.
    """
    cohort = session.scalar(select(Cohort).where(Cohort.number == cohort_number))
    if cohort is None:
        return []
    lines = list(
        session.scalars(
            select(FundingLine)
            .where(
                FundingLine.cohort_id == cohort.id,
                FundingLine.statement_id.is_(None),
                FundingLine.removed_at.is_(None),
                FundingLine.claimable_on <= release_date,
            )
            .order_by(FundingLine.school_id, FundingLine.id)
            .with_for_update()
        )
    )
    by_school: dict[int, list[FundingLine]] = defaultdict(list)
    for line in lines:
        by_school[line.school_id].append(line)
    made = []
    for school_id, school_lines in by_school.items():
        statement = session.scalar(
            select(Statement).where(
                Statement.school_id == school_id,
                Statement.cohort_id == cohort.id,
                Statement.release_date == release_date,
            )
        )
        if statement is None:
            statement = Statement(
                school_id=school_id,
                cohort_id=cohort.id,
                release_date=release_date,
                status=claims.PAYABLE,
                total_pence=0,
                created_at=now,
            )
            session.add(statement)
            session.flush()
        elif statement.status != claims.PAYABLE:
            continue  # paid already: the lines wait for the next statement
        for line in school_lines:
            line.statement_id = statement.id
        statement.total_pence += sum(line.amount_pence for line in school_lines)
        made.append(statement.id)
    session.flush()
    if closes_year is not None:
        _close_years(session, cohort.id, closes_year, release_date, now)
    for statement_id in made:
        _email(session, statement_id, now)
    return made


def _close_years(session: Session, cohort_id: int, year: int, on: date, now: datetime) -> None:
    """The year's end: open years close and their remainder lapses (deferred ones wait)."""
    for funding_year in session.scalars(
        select(FundingYear)
        .join(Specialist, Specialist.id == FundingYear.specialist_id)
        .where(
            FundingYear.cohort_id == cohort_id,
            FundingYear.programme_year == year,
            FundingYear.closed_on.is_(None),
            Specialist.state != State.DEFERRED.value,
        )
        .with_for_update()
    ):
        claims.close_year(session, funding_year, on, claims.YEAR_END, now)


def statement_detail(session: Session, statement_id: int) -> dict:
    """The statement as the email shows it: lines by specialist and day, total, remainders."""
    statement = session.get(Statement, statement_id)
    rows = session.execute(
        select(FundingLine, Specialist.name, AuditEntry.name, AuditEntry.occurred_on)
        .join(Specialist, Specialist.id == FundingLine.specialist_id)
        .outerjoin(AuditEntry, AuditEntry.id == FundingLine.milestone_id)
        .where(FundingLine.statement_id == statement_id, FundingLine.removed_at.is_(None))
        .order_by(Specialist.name, FundingLine.id)
    ).all()
    lines = [
        {
            "specialist": name,
            "kind": line.kind,
            "what": (milestone or line.kind).replace("_", " "),
            "date": (occurred or line.claimable_on).isoformat(),
            "days": (line.half_days or 0) / 2 if line.half_days is not None else None,
            "amount_pence": line.amount_pence,
        }
        for line, name, milestone, occurred in rows
    ]
    remaining = []
    for sid, name, year in sorted({(ln.specialist_id, n, ln.programme_year) for ln, n, *_ in rows}):
        funding_year = session.scalar(
            select(FundingYear).where(
                FundingYear.specialist_id == sid, FundingYear.programme_year == year
            )
        )
        _, spent = claims.claimed(session, sid, year)
        left = 0 if funding_year is None else funding_year.entitled_pence - spent
        lapsed = 0 if funding_year is None else funding_year.cancelled_pence
        remaining.append(
            {
                "specialist": name,
                "programme_year": year,
                "remaining_pence": max(0, left - lapsed),
                "lapsed_pence": lapsed,
            }
        )
    return {
        "id": statement.id,
        "release_date": statement.release_date.isoformat(),
        "status": statement.status,
        "total_pence": statement.total_pence,
        "lines": lines,
        "remaining": remaining,
    }


def _email(session: Session, statement_id: int, now: datetime) -> None:
    statement = session.get(Statement, statement_id)
    school = session.get(School, statement.school_id)
    first = session.scalar(
        select(FundingLine.specialist_id)
        .where(FundingLine.statement_id == statement_id)
        .order_by(FundingLine.id)
    )
    to = Role.FINANCE if school.finance_email else Role.HEADTEACHER
    extra = {"statement": statement_detail(session, statement_id)}
    effects.write(
        session,
        [effects.email_row(now, FUNDING_STATEMENT, first, str(to), f"s{statement_id}", extra)],
    )


def _scope(session: Session, actor: Actor, hub_code: str | None) -> int | None:
    if hub_code is not None:
        hub_id = hub_by_code(session, hub_code).id
        not_found_unless_visible(actor, hub_id, f"hub {hub_code!r}")
        authorize(actor, Action.VIEW, hub_id)
        return hub_id
    authorize(actor, Action.VIEW)
    return None if actor.national else actor.hub_id


@logs_refusals("funding statements")
def list_statements(
    uow: UnitOfWork, actor: Actor, cohort_number: int, hub_code: str | None = None
) -> list[StatementView]:
    """The cohort's statements, per school and release date (hub staff: their hub's)."""
    with uow:
        query = _listed(uow.session, actor, cohort_number, hub_code, None)
        return _views(uow.session, cohort_number, uow.session.execute(query).all())


@logs_refusals("funding statements")
def statements_page(
    uow: UnitOfWork,
    actor: Actor,
    cohort_number: int,
    hub_code: str | None = None,
    school_urn: str | None = None,
    page: int = 1,
) -> Page:
    """One page of ``list_statements``, of one hub or one school (by URN) when given."""
    with uow:
        session = uow.session
        query = _listed(session, actor, cohort_number, hub_code, school_urn)
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        page, pages = place(total, page, PAGE_SIZE)
        rows = session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        return Page(_views(session, cohort_number, rows), total, page, pages)


def _listed(session: Session, actor: Actor, cohort_number: int, hub_code, school_urn):
    """The statements of the cohort in the actor's scope, by release date, hub and URN."""
    cohort = cohort_by_number(session, cohort_number)
    hub_id = _scope(session, actor, hub_code)
    query = (
        select(Statement, School.urn, Hub.code, School.name)
        .join(School, School.id == Statement.school_id)
        .join(Hub, Hub.id == School.hub_id)
        .where(Statement.cohort_id == cohort.id)
        .order_by(Statement.release_date, Hub.code, School.urn, Statement.id)
    )
    if hub_id is not None:
        query = query.where(School.hub_id == hub_id)
    if school_urn is not None:
        query = query.where(School.urn == school_urn)
    return query


def _views(session: Session, cohort_number: int, rows) -> list[StatementView]:
    """The rows as views, each with its number of live lines (counted for these alone)."""
    ids = [s.id for s, *_ in rows]
    counts = dict(
        session.execute(
            select(FundingLine.statement_id, func.count())
            .where(among(session, FundingLine.statement_id, ids), FundingLine.removed_at.is_(None))
            .group_by(FundingLine.statement_id)
        ).all()
    ) if ids else {}  # fmt: skip
    return [
        StatementView(s.id, urn, code, cohort_number, s.release_date, s.status, s.total_pence,
                      counts.get(s.id, 0), s.paid_at, s.reference, name)
        for s, urn, code, name in rows
    ]  # fmt: skip


@logs_refusals("funding statement")
def statement(uow: UnitOfWork, actor: Actor, statement_id: int) -> dict:
    """One statement as its page shows it: the school, hub and cohort, status and payment,
    and every line (``statement_detail``); another hub's statement is not found."""
    authorize(actor, Action.VIEW)
    with uow:
        session = uow.session
        row = session.execute(
            select(Statement, School.urn, School.name, Hub.code, Hub.name, Cohort.number,
                   School.hub_id)
            .join(School, School.id == Statement.school_id)
            .join(Hub, Hub.id == School.hub_id)
            .join(Cohort, Cohort.id == Statement.cohort_id)
            .where(Statement.id == statement_id)
        ).one_or_none()  # fmt: skip
        if row is None:
            raise NotFound(f"statement {statement_id} not found")
        found, urn, school, code, hub, cohort, hub_id = row
        not_found_unless_visible(actor, hub_id, f"statement {statement_id}")
        detail = statement_detail(session, statement_id)
        lines = [{**line, "date": date.fromisoformat(line["date"])} for line in detail["lines"]]
        return {
            **detail,
            "lines": lines,
            "release_date": found.release_date,
            "school_urn": urn,
            "school_name": school,
            "hub": code,
            "hub_name": hub,
            "hub_id": hub_id,
            "cohort": cohort,
            "paid_at": found.paid_at,
            "reference": found.reference,
        }


@logs_refusals("funding mark-paid")
def mark_paid(
    uow: UnitOfWork,
    actor: Actor,
    statement_id: int,
    now: datetime,
    reference: str | None = None,
) -> StatementView:
    """Record a statement's payment by the hub's finance team; refused if paid already."""
    if reference is not None and not reference.strip():
        raise InvalidInput("a payment reference, when given, cannot be blank")
    with uow:
        session = uow.session
        row = session.execute(
            select(Statement, School.urn, Hub.code, School.hub_id)
            .join(School, School.id == Statement.school_id)
            .join(Hub, Hub.id == School.hub_id)
            .where(Statement.id == statement_id)
            .with_for_update(of=Statement)
        ).one_or_none()
        if row is None:
            raise NotFound(f"statement {statement_id} not found")
        statement, urn, code, hub_id = row
        not_found_unless_visible(actor, hub_id, f"statement {statement_id}")
        authorize(actor, Action.DECIDE, hub_id)
        if statement.status == claims.PAID:
            raise DomainError(f"statement {statement_id} is already paid")
        statement.status = claims.PAID
        statement.paid_at = now
        statement.paid_by = actor.email
        statement.reference = reference.strip() if reference else None
        cohort = session.get(Cohort, statement.cohort_id).number
        uow.commit()
        return StatementView(
            statement.id, urn, code, cohort, statement.release_date, statement.status,
            statement.total_pence, 0, statement.paid_at, statement.reference,
        )  # fmt: skip
