"""Basis ``days``: funding lines from the days recorded, and what transitions do to them.

- A year start writes the specialist's ``funding_years`` row (what the year is worth),
  the bursary line if the rules give one (payable on the year's last release date), and
  the cohort's statement due items for the year's release dates (once per cohort).
- Each day recorded of a milestone in ``paid_milestones`` becomes a claim line for the
  specialist's school at the daily rate, capped at the year's funded days
  (``on_milestone_recorded``).
- A voided milestone's claim (``on_milestone_voided``): not yet on a statement, or on an
  unpaid one, it is removed (``removed_at``; an unpaid statement's total goes down);
  already paid, it is reversed by a clawback line on the school's next statement.
- Withdrawal: days recorded and not yet paid stay and are paid on the next statement;
  a bursary not yet on a statement is removed; the year closes and its remainder lapses.

Lines are written by ``add_line``, the one way a funding line is written.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.db.bulk import among, insert_rows
from workflow.db.models import (
    AuditEntry,
    DueItem,
    FundingLine,
    FundingYear,
    Specialist,
    Statement,
)
from workflow.db.uow import session_timezone
from workflow.services.funding import planning
from workflow.services.queries import cohort_rules
from workflow.states.rules import CohortRules

CLAIM, BURSARY, CLAWBACK, ADJUSTMENT = "claim", "bursary", "clawback", "adjustment"
LINE_KINDS = (CLAIM, BURSARY, CLAWBACK, ADJUSTMENT)
# Lines that spend the year's entitlement (an adjustment changes the entitlement instead).
SPENDING = (CLAIM, BURSARY, CLAWBACK)
PAYABLE, PAID = "payable", "paid"
GATHER_STATEMENTS = "funding_statements"  # the due item kind
YEAR_END, WITHDRAWAL = "year end", "withdrawal"


def statement_item_key(cohort: int, release_date: date) -> str:
    return f"statements:{cohort}:{release_date.isoformat()}"


def add_line(session: Session, **values) -> FundingLine:
    """Write one funding line (the one way a line is written)."""
    if values["kind"] not in LINE_KINDS:
        raise ValueError(f"unknown funding line kind {values['kind']!r}")
    line = FundingLine(**values)
    session.add(line)
    return line


def start_years(
    session: Session,
    rules: CohortRules,
    year: int,
    specialist_ids: list[int],
    now: datetime,
    tz: str,
) -> None:
    """The year ``year`` starts for each specialist (batch-first; safe to repeat)."""
    if not specialist_ids:
        return
    started = (
        select(FundingYear.id)
        .where(FundingYear.specialist_id == Specialist.id, FundingYear.programme_year == year)
        .exists()
    )
    rows = session.execute(
        select(Specialist.id, Specialist.school_id, Specialist.cohort_id)
        .where(among(session, Specialist.id, specialist_ids), ~started)
        .order_by(Specialist.id)
    ).all()
    if not rows:
        return
    entitled = rules.entitlement_pence(year)
    insert_rows(
        session,
        FundingYear.__table__,
        [
            {
                "specialist_id": sid,
                "cohort_id": cohort_id,
                "programme_year": year,
                "entitled_pence": entitled,
                "cancelled_pence": 0,
                "closed_on": None,
                "closed_reason": None,
                "closed_at": None,
                "created_at": now,
            }
            for sid, _, cohort_id in rows
        ],
    )
    dates = rules.year(year).statement_dates
    bursary = rules.year(year).bursary_pence
    if bursary:
        for sid, school_id, cohort_id in rows:
            add_line(
                session,
                specialist_id=sid,
                school_id=school_id,
                cohort_id=cohort_id,
                programme_year=year,
                kind=BURSARY,
                amount_pence=bursary,
                claimable_on=dates[-1],
                actor="system",
                reason="bursary",
                created_at=now,
            )
    items = [
        {
            "key": statement_item_key(rules.cohort, day),
            "kind": GATHER_STATEMENTS,
            "due_at": planning.due_at(day, tz),
            "payload": {
                "cohort": rules.cohort,
                "release_date": day.isoformat(),
                "closes_year": year if day == dates[-1] else None,
            },
        }
        for day in dates
    ]
    insert_rows(session, DueItem.__table__, items, skip_conflicts_on=("key",))
    session.flush()


def open_year(session: Session, specialist_id: int, year: int) -> FundingYear | None:
    return session.scalar(
        select(FundingYear).where(
            FundingYear.specialist_id == specialist_id,
            FundingYear.programme_year == year,
            FundingYear.closed_on.is_(None),
        )
    )


def _live(query):
    return query.where(FundingLine.removed_at.is_(None))


def claimed(session: Session, specialist_id: int, year: int) -> tuple[int, int]:
    """(claimed half-days, claimed pence) of a year: claims, bursary, clawbacks, live lines."""
    half_days, pence = session.execute(
        _live(
            select(
                func.coalesce(
                    func.sum(FundingLine.half_days).filter(FundingLine.kind != BURSARY), 0
                ),
                func.coalesce(func.sum(FundingLine.amount_pence), 0),
            ).where(
                FundingLine.specialist_id == specialist_id,
                FundingLine.programme_year == year,
                FundingLine.kind.in_(SPENDING),
            )
        )
    ).one()
    return int(half_days), int(pence)


def on_milestone_recorded(
    session: Session, specialist: Specialist, entry: AuditEntry, now: datetime
) -> FundingLine | None:
    """The claim line for a recorded milestone, if the rules pay for it and the year is open."""
    rules = cohort_rules(session, specialist.cohort_id)
    if rules.funding.basis != "days" or entry.name not in rules.funding.paid_milestones:
        return None
    year = open_year(session, specialist.id, entry.programme_year)
    if year is None or not entry.half_days:
        return None  # not started, or closed: the day is not funded
    claimed_half_days, _ = claimed(session, specialist.id, entry.programme_year)
    paid, amount = planning.claim_for(
        entry.half_days,
        claimed_half_days,
        rules.year(entry.programme_year).funded_half_days,
        rules.funding.daily_rate_pence,
    )
    if paid == 0:
        return None  # beyond the year's funded days
    return add_line(
        session,
        specialist_id=specialist.id,
        school_id=specialist.school_id,
        cohort_id=specialist.cohort_id,
        programme_year=entry.programme_year,
        kind=CLAIM,
        milestone_id=entry.id,
        half_days=paid,
        amount_pence=amount,
        claimable_on=entry.occurred_on,
        actor=entry.actor,
        created_at=now,
    )


def on_milestone_voided(
    session: Session, milestone: AuditEntry, now: datetime, actor_email: str = "system"
) -> str | None:
    """Take a voided milestone's claim back; what was done: ``removed`` or ``clawback``.

    Called by the void service in its transaction, with the voided audit row. Nothing paid
    is edited: a line on a paid statement is reversed by a clawback line on the school's
    next statement. Safe to call twice (a removed or reversed line is left alone).
    """
    milestone_id = milestone.id
    line = session.scalar(
        select(FundingLine)
        .where(
            FundingLine.milestone_id == milestone_id,
            FundingLine.kind == CLAIM,
            FundingLine.removed_at.is_(None),
        )
        .with_for_update()
    )
    if line is None:
        return None
    statement = session.get(Statement, line.statement_id) if line.statement_id else None
    year = session.scalar(
        select(FundingYear).where(
            FundingYear.specialist_id == line.specialist_id,
            FundingYear.programme_year == line.programme_year,
        )
    )
    if year is not None and year.closed_on is not None:
        year.cancelled_pence += line.amount_pence  # a closed year cannot claim the day again
    if statement is None or statement.status == PAYABLE:
        line.removed_at = now
        if statement is not None:
            statement.total_pence -= line.amount_pence
        return "removed"
    if session.scalar(select(FundingLine.id).where(FundingLine.reverses_line_id == line.id)):
        return None  # reversed already
    add_line(
        session,
        specialist_id=line.specialist_id,
        school_id=line.school_id,
        cohort_id=line.cohort_id,
        programme_year=line.programme_year,
        kind=CLAWBACK,
        milestone_id=milestone_id,
        half_days=-(line.half_days or 0),
        amount_pence=-line.amount_pence,
        claimable_on=local_date(now, session_timezone(session)),
        reverses_line_id=line.id,
        actor=actor_email,
        reason="milestone voided after payment",
        created_at=now,
    )
    return "clawback"


def close_year(session: Session, year: FundingYear, on: date, reason: str, now: datetime) -> int:
    """Close a year: what was not claimed lapses (``cancelled_pence``). Returns it."""
    _, spent = claimed(session, year.specialist_id, year.programme_year)
    adjusted = session.scalar(
        _live(
            select(func.coalesce(func.sum(FundingLine.amount_pence), 0)).where(
                FundingLine.specialist_id == year.specialist_id,
                FundingLine.programme_year == year.programme_year,
                FundingLine.kind == ADJUSTMENT,
            )
        )
    )
    year.cancelled_pence = planning.lapsed_pence(year.entitled_pence + int(adjusted), spent)
    year.closed_on = on
    year.closed_at = now
    year.closed_reason = reason
    return year.cancelled_pence


def on_withdrawal(session: Session, specialist: Specialist, now: datetime) -> None:
    """Days recorded stay claimed (paid on the next statement); nothing after; years close."""
    today = local_date(now, session_timezone(session))
    for line in session.scalars(
        _live(
            select(FundingLine).where(
                FundingLine.specialist_id == specialist.id,
                FundingLine.kind == BURSARY,
                FundingLine.statement_id.is_(None),
            )
        )
    ):
        line.removed_at = now  # the bursary pays for work after today: not owed
    for year in session.scalars(
        select(FundingYear).where(
            FundingYear.specialist_id == specialist.id, FundingYear.closed_on.is_(None)
        )
    ):
        close_year(session, year, today, WITHDRAWAL, now)


def lapsing(session: Session, specialist_id: int) -> list[dict]:
    """What of each open year is not yet claimed and lapses on its last release date
    (``list --stuck`` shows it to the hub lead beforehand)."""
    found = []
    for year in session.scalars(
        select(FundingYear)
        .where(FundingYear.specialist_id == specialist_id, FundingYear.closed_on.is_(None))
        .order_by(FundingYear.programme_year)
    ):
        _, spent = claimed(session, specialist_id, year.programme_year)
        left = year.entitled_pence - spent
        if left > 0:
            rules = cohort_rules(session, year.cohort_id)
            on = rules.year(year.programme_year).statement_dates[-1]
            found.append({"year": year.programme_year, "pence": left, "on": on.isoformat()})
    return found


def released_pence(session: Session, specialist_id: int, year: int) -> int:
    """Pence of a year's live lines on statements (released, paid or not)."""
    return int(
        session.scalar(
            _live(
                select(func.coalesce(func.sum(FundingLine.amount_pence), 0)).where(
                    FundingLine.specialist_id == specialist_id,
                    FundingLine.programme_year == year,
                    FundingLine.statement_id.is_not(None),
                )
            )
        )
    )


def reopen_after_withdrawal(session: Session, specialist_id: int, withdrawn_at: datetime) -> None:
    """Undo what ``on_withdrawal`` (at ``withdrawn_at``) did: the years it closed reopen
    (nothing lapsed) and a bursary it took off is owed again."""
    for year in session.scalars(
        select(FundingYear).where(
            FundingYear.specialist_id == specialist_id,
            FundingYear.closed_reason == WITHDRAWAL,
            FundingYear.closed_at == withdrawn_at,
        )
    ):
        year.closed_on = year.closed_at = year.closed_reason = None
        year.cancelled_pence = 0
    for line in session.scalars(
        select(FundingLine).where(
            FundingLine.specialist_id == specialist_id,
            FundingLine.kind == BURSARY,
            FundingLine.removed_at == withdrawn_at,
        )
    ):
        line.removed_at = None
