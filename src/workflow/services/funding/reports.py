"""``report funding``: per school of a cohort, entitled, released, scheduled and cancelled.

The four figures are defined so that ``entitled == released + scheduled + cancelled``
holds per school, per specialist and year, and in total:

- entitled: the rules' entitlement for each year the specialist started, plus manual
  adjustments (ledger origin ``manual``: a correction changes what the school is owed);
- released: the ledger sum (releases and every adjustment);
- scheduled: instalments still to be released;
- cancelled: cancelled instalments, less what was scheduled again in their place on
  resume (instalments of origin ``resume``) and less what withdrawal paid out of them
  (ledger origin ``withdrawal``).

Kinds and origins are read from their columns, never inferred from reason text.

Basis ``days`` (claims and statements) adds claimed, paid and clawed back, and keeps the
same identity with:

- entitled: each started year's worth (``funding_years``) plus manual adjustment lines;
- released: the live lines on statements (payable or paid; clawbacks are negative);
- scheduled: the entitlement not yet claimed, plus lines claimed and waiting for the
  next release date;
- cancelled: what lapsed when a year closed (year end or withdrawal);
- claimed: live claim, bursary and clawback lines (net); paid: lines on paid statements;
  clawed back: the clawback lines, as a positive amount.

So ``entitled = released + scheduled + cancelled`` per school and in total; the daily
check (``invariants.py``) verifies each part from its own rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from workflow.db.models import (
    Cohort,
    FundingEntry,
    FundingLine,
    FundingYear,
    Hub,
    LedgerEntry,
    School,
    Specialist,
    Statement,
)
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.funding import claims, ledger
from workflow.services.funding.schedule import CANCELLED, SCHEDULED
from workflow.services.setup import cohort_by_number, hub_by_code
from workflow.states.rules import rules_from_snapshot

FIGURES = ("entitled_pence", "released_pence", "scheduled_pence", "cancelled_pence")
DAYS_FIGURES = ("claimed_pence", "paid_pence", "clawed_back_pence")


@dataclass
class SchoolFunding:
    urn: str
    hub: str
    entitled_pence: int = 0
    released_pence: int = 0
    scheduled_pence: int = 0
    cancelled_pence: int = 0
    claimed_pence: int = 0
    paid_pence: int = 0
    clawed_back_pence: int = 0
    days_basis: bool = False
    name: str = ""  # the school's name, for pages; not in ``as_dict`` (the CLI's JSON)

    @property
    def figures(self) -> tuple[str, ...]:
        return FIGURES + DAYS_FIGURES if self.days_basis else FIGURES

    def as_dict(self) -> dict:
        return {"urn": self.urn, "hub": self.hub, **{f: getattr(self, f) for f in self.figures}}


@dataclass
class FundingReport:
    cohort: int
    schools: list[SchoolFunding]
    days_basis: bool = False

    @property
    def totals(self) -> dict[str, int]:
        return _summed(self.schools, self.days_basis)

    @property
    def hubs(self) -> dict[str, dict[str, int]]:
        """The schools' figures summed per hub (by code, in code order)."""
        by_hub: dict[str, list[SchoolFunding]] = {}
        for school in self.schools:  # sorted by hub, then URN
            by_hub.setdefault(school.hub, []).append(school)
        return {hub: _summed(schools, self.days_basis) for hub, schools in by_hub.items()}

    def as_dict(self) -> dict:
        return {
            "cohort": self.cohort,
            "schools": [s.as_dict() for s in self.schools],
            "totals": self.totals,
        }


def _summed(schools: list[SchoolFunding], days_basis: bool) -> dict[str, int]:
    figures = FIGURES + DAYS_FIGURES if days_basis else FIGURES
    return {f: sum(getattr(s, f) for s in schools) for f in figures}


@logs_refusals("report funding")
def report(uow, actor: Actor, cohort_number: int, hub_code: str | None = None) -> FundingReport:
    """``funding_report`` in its own unit of work, with refusals recorded."""
    with uow:
        return funding_report(uow.session, actor, cohort_number, hub_code)


def _sum_where(condition, amount):
    return func.coalesce(func.sum(case((condition, amount))), 0)


def funding_report(
    session: Session, actor: Actor, cohort_number: int, hub_code: str | None = None
) -> FundingReport:
    """Per school of the cohort: entitled, released, scheduled and cancelled pence.

    Hub staff see their own hub only; with no hub given, a national actor sees every hub.
    """
    cohort = cohort_by_number(session, cohort_number)
    rules = rules_from_snapshot(cohort.rules)
    hub_id = None
    if hub_code is not None:
        hub_id = hub_by_code(session, hub_code).id
        not_found_unless_visible(actor, hub_id, f"hub {hub_code!r}")
        authorize(actor, Action.VIEW, hub_id)
    else:
        authorize(actor, Action.VIEW)
        if not actor.national:
            hub_id = actor.hub_id
    in_scope = [Specialist.cohort_id == cohort.id]
    if hub_id is not None:
        in_scope.append(School.hub_id == hub_id)
    if rules.funding.basis == "days":
        return _days_report(session, cohort_number, in_scope)

    amount = FundingEntry.amount_pence
    entries = session.execute(
        select(
            FundingEntry.school_id,
            FundingEntry.programme_year,
            func.count(func.distinct(FundingEntry.specialist_id)),
            _sum_where(FundingEntry.status == SCHEDULED, amount),
            _sum_where(FundingEntry.status == CANCELLED, amount),
            _sum_where(FundingEntry.origin == ledger.RESUME, amount),
        )
        .join(Specialist, Specialist.id == FundingEntry.specialist_id)
        .join(School, School.id == FundingEntry.school_id)
        .where(*in_scope)
        .group_by(FundingEntry.school_id, FundingEntry.programme_year)
    ).all()
    paid = LedgerEntry.amount_pence
    rows = session.execute(
        select(
            LedgerEntry.school_id,
            func.coalesce(func.sum(paid), 0),
            _sum_where(LedgerEntry.origin == ledger.WITHDRAWAL, paid),
            _sum_where(LedgerEntry.origin == ledger.MANUAL, paid),
        )
        .join(Specialist, Specialist.id == LedgerEntry.specialist_id)
        .join(School, School.id == LedgerEntry.school_id)
        .where(*in_scope)
        .group_by(LedgerEntry.school_id)
    ).all()

    figures: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for school_id, year, started, scheduled, cancelled, again in entries:
        school = figures[school_id]
        school["entitled_pence"] += int(started) * rules.entitlement_pence(year)
        school["scheduled_pence"] += int(scheduled)
        school["cancelled_pence"] += int(cancelled) - int(again)
    for school_id, total, withdrawal, manual in rows:
        school = figures[school_id]
        school["released_pence"] += int(total)
        school["cancelled_pence"] -= int(withdrawal)
        school["entitled_pence"] += int(manual)

    return FundingReport(cohort=cohort_number, schools=_schools(session, figures))


def _schools(session: Session, figures: dict[int, dict[str, int]], **flags) -> list:
    names = {
        row.id: (row.urn, row.code, row.name)
        for row in session.execute(
            select(School.id, School.urn, Hub.code, School.name)
            .join(Hub, Hub.id == School.hub_id)
            .where(School.id.in_(list(figures)))
        )
    }
    schools = [
        SchoolFunding(*names[school_id][:2], **values, **flags, name=names[school_id][2])
        for school_id, values in figures.items()
    ]
    schools.sort(key=lambda s: (s.hub, s.urn))
    return schools


def _days_report(session: Session, cohort_number: int, in_scope: list) -> FundingReport:
    """Basis ``days``: the figures from funding years, lines and statements (see above).

    A year counts for the specialist's current school, a line for the school it was
    claimed for.
    """
    figures: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(FIGURES + DAYS_FIGURES, 0)
    )
    # Summed by the database per school (a cohort has tens of thousands of lines at
    # 100,000 specialists: reading each one took seconds).
    amount, status = FundingLine.amount_pence, Statement.status
    claimed = FundingLine.kind != claims.ADJUSTMENT
    for school_id, *sums in session.execute(
        select(
            FundingLine.school_id,
            _sum_where(FundingLine.kind == claims.ADJUSTMENT, amount),
            _sum_where(claimed, amount),
            _sum_where(FundingLine.kind == claims.CLAWBACK, amount),
            _sum_where(status.is_(None), amount),
            _sum_where(status.is_not(None), amount),
            _sum_where(status == claims.PAID, amount),
        )
        .join(Specialist, Specialist.id == FundingLine.specialist_id)
        .join(School, School.id == FundingLine.school_id)
        .outerjoin(Statement, Statement.id == FundingLine.statement_id)
        .where(*in_scope, FundingLine.removed_at.is_(None))
        .group_by(FundingLine.school_id)
    ):
        adjusted, claimed_pence, clawed, waiting, released, paid = (int(v) for v in sums)
        school = figures[school_id]
        school["entitled_pence"] += adjusted
        school["claimed_pence"] += claimed_pence
        school["clawed_back_pence"] -= clawed
        school["scheduled_pence"] += waiting  # claimed, waiting for the next statement
        school["released_pence"] += released
        school["paid_pence"] += paid
    # What each year has claimed, against what it is entitled to: all the year's claims,
    # wherever they were made (a year counts for the specialist's current school, so
    # one of another hub's schools is still taken off what it has left).
    spent = (
        select(func.coalesce(func.sum(amount), 0))
        .where(
            FundingLine.specialist_id == FundingYear.specialist_id,
            FundingLine.programme_year == FundingYear.programme_year,
            FundingLine.removed_at.is_(None),
            claimed,
        )
        .scalar_subquery()
    )
    unclaimed = FundingYear.entitled_pence - FundingYear.cancelled_pence
    for school_id, entitled, cancelled, left in session.execute(
        select(
            Specialist.school_id,
            func.coalesce(func.sum(FundingYear.entitled_pence), 0),
            func.coalesce(func.sum(FundingYear.cancelled_pence), 0),
            func.coalesce(func.sum(unclaimed - spent), 0),
        )
        .select_from(FundingYear)
        .join(Specialist, Specialist.id == FundingYear.specialist_id)
        .join(School, School.id == Specialist.school_id)
        .where(*in_scope)
        .group_by(Specialist.school_id)
    ):
        school = figures[school_id]
        school["entitled_pence"] += int(entitled)
        school["cancelled_pence"] += int(cancelled)
        school["scheduled_pence"] += int(left)
    schools = _schools(session, figures, days_basis=True)
    return FundingReport(cohort=cohort_number, schools=schools, days_basis=True)


def money_totals(session: Session, actor: Actor) -> dict[str, int]:
    """Every cohort's totals added up (released, paid, scheduled, cancelled pence), as the
    demo and ``simulate`` print them. Instalments count as paid when released."""
    totals = dict.fromkeys(
        ("released_pence", "paid_pence", "scheduled_pence", "cancelled_pence"), 0
    )
    for number in session.scalars(select(Cohort.number).order_by(Cohort.number)):
        report = funding_report(session, actor, number)
        figures = report.totals
        for name in ("released_pence", "scheduled_pence", "cancelled_pence"):
            totals[name] += figures[name]
        totals["paid_pence"] += figures.get("paid_pence", figures["released_pence"])
    return totals


def specialist_lines(session: Session, specialist_id: int) -> list[dict]:
    """A specialist's funding lines (basis ``days``) in the shape ``show`` prints: status
    ``scheduled`` (claimed, waiting for a statement), ``released`` (on a payable
    statement), ``paid`` or ``cancelled`` (removed before payment)."""
    rows = session.execute(
        select(FundingLine, Statement.status)
        .outerjoin(Statement, Statement.id == FundingLine.statement_id)
        .where(FundingLine.specialist_id == specialist_id)
        .order_by(FundingLine.programme_year, FundingLine.id)
    ).all()
    return [
        {
            "year": line.programme_year,
            "instalment": None,
            "amount_pence": line.amount_pence,
            "due": line.claimable_on.isoformat(),
            "status": "cancelled"
            if line.removed_at is not None
            else {None: "scheduled", claims.PAYABLE: "released", claims.PAID: "paid"}[status],
            "kind": line.kind,
            "days": line.half_days / 2 if line.half_days is not None else None,
            "statement": line.statement_id,
        }
        for line, status in rows
    ]
