"""The daily check that the money adds up (basis ``days``), and the email when it does not.

Each check returns the rows that break it, as ``{"check", "row", "detail"}``:

- identity: per specialist and year, ``entitled == released + scheduled + cancelled``
  with each figure taken from its own rows (``scheduled`` may not go below zero);
- entitlement: no year has more claimed than it is worth (with manual adjustments);
- after withdrawal: no claim for a day after the specialist's withdrawal;
- statements: a statement's total is the sum of its live lines, and nothing left a paid
  statement after it was paid;
- allocation: no hub holds more places in a cohort than it was allocated.

Each row names its cohort; ``check_and_report`` emails the national admins one list per
cohort (the notification ``funding_invariant_violation``, national scope).

``check_and_report`` runs them in the caller's transaction and, on a violation, writes
one email to each national admin listing the rows; its due item (kind ``funding_check``)
runs daily and schedules the next day's (the DfE Apply service's "detect invariants"
jobs work the same way).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.db.bulk import insert_rows
from workflow.db.models import (
    AuditEntry,
    Cohort,
    DueItem,
    FundingLine,
    FundingYear,
    HubAllocation,
    School,
    Specialist,
    Statement,
)
from workflow.db.uow import session_timezone
from workflow.notify.notifications import FUNDING_INVARIANT_VIOLATION
from workflow.services import effects
from workflow.services.funding.claims import ADJUSTMENT, PAID, SPENDING
from workflow.states.lifecycle import HOLDS_PLACE

FUNDING_CHECK = "funding_check"  # the due item kind
CHECK_HOUR = time(6)


def _violation(cohort_id: int, check: str, row: str, detail: str) -> dict:
    return {"cohort_id": cohort_id, "check": check, "row": row, "detail": detail}


def year_figures(session: Session) -> dict[tuple[int, int], dict[str, int]]:
    """Per (specialist, year): entitled, spent, adjusted, released, awaiting, cancelled."""
    figures: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for year in session.scalars(select(FundingYear)):
        f = figures[(year.specialist_id, year.programme_year)]
        f["cohort"] = year.cohort_id
        f["entitled"] += year.entitled_pence
        f["cancelled"] += year.cancelled_pence
    for line in session.scalars(select(FundingLine).where(FundingLine.removed_at.is_(None))):
        f = figures[(line.specialist_id, line.programme_year)]
        f["cohort"] = line.cohort_id
        if line.kind in SPENDING:
            f["spent"] += line.amount_pence
        elif line.kind == ADJUSTMENT:
            f["adjusted"] += line.amount_pence
        f["released" if line.statement_id is not None else "awaiting"] += line.amount_pence
    return figures


def violations(session: Session) -> list[dict[str, str]]:
    """Every row that breaks one of the ledger's rules (empty when the money adds up)."""
    found = []
    for (sid, year), f in sorted(year_figures(session).items()):
        row = f"specialist {sid}, Year {year}"
        entitled = f["entitled"] + f["adjusted"]
        scheduled = entitled - f["spent"] - f["adjusted"] - f["cancelled"] + f["awaiting"]
        if f["spent"] > f["entitled"]:
            found.append(
                _violation(
                    f["cohort"],
                    "year above its entitlement",
                    row,
                    f"claimed {f['spent']} of {f['entitled']} pence",
                )
            )
        if scheduled < f["awaiting"] or entitled != f["released"] + scheduled + f["cancelled"]:
            found.append(
                _violation(
                    f["cohort"],
                    "entitled = released + scheduled + cancelled",
                    row,
                    f"entitled {entitled}, released {f['released']}, claimed and waiting "
                    f"{f['awaiting']}, cancelled {f['cancelled']}",
                )
            )
    withdrawn = (
        select(AuditEntry.specialist_id, func.min(AuditEntry.at).label("at"))
        .where(AuditEntry.kind == "transition", AuditEntry.name == "withdraw")
        .group_by(AuditEntry.specialist_id)
        .subquery()
    )
    for line_id, sid, created, cohort_id in session.execute(
        select(
            FundingLine.id, FundingLine.specialist_id, FundingLine.created_at, FundingLine.cohort_id
        )
        .join(withdrawn, withdrawn.c.specialist_id == FundingLine.specialist_id)
        .where(
            FundingLine.kind.in_(("claim", "bursary")),
            FundingLine.removed_at.is_(None),
            FundingLine.created_at > withdrawn.c.at,
        )
    ):
        found.append(
            _violation(
                cohort_id,
                "paid after withdrawal",
                f"funding line {line_id}",
                f"specialist {sid}: a claim written on {created:%Y-%m-%d}, after withdrawal",
            )
        )
    live = func.coalesce(func.sum(FundingLine.amount_pence), 0)
    for statement, total in session.execute(
        select(Statement, live)
        .outerjoin(
            FundingLine,
            (FundingLine.statement_id == Statement.id) & FundingLine.removed_at.is_(None),
        )
        .group_by(Statement.id)
    ):
        if statement.total_pence != int(total):
            found.append(
                _violation(
                    statement.cohort_id,
                    "statement total",
                    f"statement {statement.id}",
                    f"total {statement.total_pence} but its lines add up to {int(total)}",
                )
            )
    for statement_id, line_id, cohort_id in session.execute(
        select(Statement.id, FundingLine.id, Statement.cohort_id)
        .join(FundingLine, FundingLine.statement_id == Statement.id)
        .where(Statement.status == PAID, FundingLine.removed_at >= Statement.paid_at)
    ):
        found.append(
            _violation(
                cohort_id,
                "statement edited after payment",
                f"statement {statement_id}",
                f"funding line {line_id} removed after the statement was paid",
            )
        )
    used = (
        select(School.hub_id, Specialist.cohort_id, func.count(Specialist.id).label("n"))
        .join(School, School.id == Specialist.school_id)
        .where(Specialist.state.in_([s.value for s in HOLDS_PLACE]))
        .group_by(School.hub_id, Specialist.cohort_id)
        .subquery()
    )
    for hub_id, cohort_id, n, places in session.execute(
        select(used.c.hub_id, used.c.cohort_id, used.c.n, func.coalesce(HubAllocation.places, 0))
        .outerjoin(
            HubAllocation,
            (HubAllocation.hub_id == used.c.hub_id) & (HubAllocation.cohort_id == used.c.cohort_id),
        )
        .where(used.c.n > func.coalesce(HubAllocation.places, 0))
    ):
        found.append(
            _violation(
                cohort_id,
                "places beyond the allocation",
                f"hub {hub_id}, cohort {cohort_id}",
                f"{n} places held of {places} allocated",
            )
        )
    return found


def check_and_report(session: Session, now: datetime) -> list[dict]:
    """Run the checks; on a violation email the national admins, once a day per cohort."""
    found = violations(session)
    day = local_date(now, session_timezone(session)).isoformat()
    numbers = dict(session.execute(select(Cohort.id, Cohort.number)).all())
    by_cohort: dict[int, list[dict]] = defaultdict(list)
    for v in found:
        by_cohort[numbers[v["cohort_id"]]].append(
            {"check": v["check"], "row": v["row"], "detail": v["detail"]}
        )
    for number, rows in sorted(by_cohort.items()):
        extra = {"cohort_number": number, "violations": rows}
        effects.write(
            session,
            effects.email_rows(now, FUNDING_INVARIANT_VIOLATION, None, f"{day}-c{number}", extra),
        )
    return found


def schedule_check(session: Session, now: datetime) -> None:
    """The check's due item for the next day at 06:00 in the configured zone (idempotent)."""
    tz = session_timezone(session)
    day = local_date(now, tz) + timedelta(days=1)
    at = datetime.combine(day, CHECK_HOUR, tzinfo=ZoneInfo(tz))
    insert_rows(
        session,
        DueItem.__table__,
        [
            {
                "key": f"{FUNDING_CHECK}:{day.isoformat()}",
                "kind": FUNDING_CHECK,
                "due_at": at,
                "payload": {},
            }
        ],
        skip_conflicts_on=("key",),
    )
