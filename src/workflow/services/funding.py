"""Funding: each programme year's instalments, their release exactly once, and the ledger.

Money is integer pence throughout; no floats. The cohort's rules snapshot says what a
year is worth (``entitlement_pence``), how it is split (``instalments``: due date and
percent) and what a withdrawal pays (``funding.on_withdrawal``).

- Starting a programme year schedules its instalments (``funding_entries``) and one
  ``due_items`` row each (kind ``release_funding``), from which the scheduler releases them.
- ``release_instalment`` releases one instalment once: the entry row is locked, its
  status moves scheduled -> released, and one ledger row is appended (its
  ``funding_entry_id`` is unique, so a second release cannot add a second row).
- Withdrawal and deferral cancel what is not yet released; resuming schedules again what
  is still owed for the year resumed into; withdrawal under ``pro_rata`` pays the days
  recorded that year as an adjustment.
- The ledger is append-only: corrections are new ``adjust`` rows, never edits.

How the four report figures are defined, per specialist and programme year, so that
``entitled == released + scheduled + cancelled`` always holds:

- entitled: the rules' entitlement for each year the specialist started, plus manual
  adjustments (a correction changes what the school is owed);
- released: the ledger sum (releases and every adjustment, pro rata included);
- scheduled: instalments still to be released;
- cancelled: cancelled instalments, less what was scheduled again in their place on
  resume (instalments numbered after the rules' own) and less the pro-rata payment made
  out of them on withdrawal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from workflow.db.bulk import among, insert_rows
from workflow.db.models import DueItem, FundingEntry, Hub, LedgerEntry, School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput, NotFound
from workflow.notify.notifications import FUNDING_RELEASED
from workflow.services import effects
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.queries import cohort_rules, last_transition, milestone_totals
from workflow.services.setup import cohort_by_number, hub_by_code
from workflow.states.lifecycle import Outcome, State
from workflow.states.rules import CohortRules, rules_from_snapshot

LONDON = ZoneInfo("Europe/London")
RELEASE_HOUR = time(9)
RELEASE_FUNDING = "release_funding"  # the due item kind
SCHEDULED, RELEASED, CANCELLED = "scheduled", "released", "cancelled"
RELEASE, ADJUSTMENT = "release", "adjustment"
PRO_RATA_REASON = "pro rata on withdrawal"
YEAR_STARTED_BY = {"start_year1": 1, "start_year2": 2}
YEAR_OF_STATE = {State.YEAR1: 1, State.YEAR2: 2}
PAID_DAYS = ("central_day", "development_day")

# --- Pure arithmetic -------------------------------------------------------------------------


def split(total_pence: int, percents: list[int]) -> list[int]:
    """``total * percent // sum`` for each share but the last, which takes the remainder."""
    whole = sum(percents)
    amounts = [total_pence * p // whole for p in percents[:-1]]
    return [*amounts, total_pence - sum(amounts)]


def london_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def due_at(day: date) -> datetime:
    """When an instalment due on ``day`` becomes releasable: 09:00 London time, in UTC."""
    return datetime.combine(day, RELEASE_HOUR, tzinfo=LONDON).astimezone(UTC)


def year_schedule(rules: CohortRules, programme_year: int) -> list[tuple[int, date, int]]:
    """The year's instalments as ``(number, due date, amount in pence)``."""
    instalments = rules.year(programme_year).instalments
    amounts = split(rules.entitlement_pence(programme_year), [i.percent for i in instalments])
    return [(n, i.due, a) for n, (i, a) in enumerate(zip(instalments, amounts, strict=True), 1)]


def resumed_schedule(
    rules: CohortRules, programme_year: int, owed_pence: int, after: int, today: date
) -> list[tuple[int, date, int]]:
    """What is still owed, on the rules' due dates not yet past (or one instalment today).

    Numbers continue after ``after`` (the highest number already used for the year).
    """
    if owed_pence <= 0:
        return []
    ahead = [i for i in rules.year(programme_year).instalments if i.due >= today]
    if not ahead:
        return [(after + 1, today, owed_pence)]
    amounts = split(owed_pence, [i.percent for i in ahead])
    return [(after + n, i.due, a) for n, (i, a) in enumerate(zip(ahead, amounts, strict=True), 1)]


def pro_rata_pence(half_days: int, rules: CohortRules, programme_year: int, released: int) -> int:
    """What withdrawal still pays: days recorded at the daily rate, capped, less what was paid.

    Half-days times the rate, halved and rounded down to a whole penny.
    """
    earned = half_days * rules.funding.daily_rate_pence // 2
    return max(0, min(earned, rules.entitlement_pence(programme_year)) - released)


# --- Scheduling ------------------------------------------------------------------------------


def _insert_entries(session: Session, rows: list[dict]) -> None:
    """Insert funding entries and one due item each (keyed by the entry's new id)."""
    ids = insert_rows(session, FundingEntry.__table__, rows, return_ids=True)
    releasable = {day: due_at(day) for day in {row["due_date"] for row in rows}}
    due = [
        {
            "key": f"funding:{entry_id}",
            "kind": RELEASE_FUNDING,
            "due_at": releasable[row["due_date"]],
            "payload": {"funding_entry_id": entry_id},
        }
        for entry_id, row in zip(ids, rows, strict=True)
    ]
    insert_rows(session, DueItem.__table__, due)


def _entry_row(specialist_id, school_id, year, number, due, amount, now) -> dict:
    return {
        "specialist_id": specialist_id,
        "school_id": school_id,
        "programme_year": year,
        "instalment": number,
        "amount_pence": amount,
        "due_date": due,
        "status": SCHEDULED,
        "created_at": now,
    }


def schedule_years(
    session: Session, rules: CohortRules, trigger: str, specialist_ids: list[int], now: datetime
) -> None:
    """Schedule the year ``trigger`` starts for each specialist; those already scheduled are
    skipped, so this is safe to repeat. Used by the single and the bulk path alike."""
    year = YEAR_STARTED_BY.get(trigger)
    if year is None or not specialist_ids:
        return
    scheduled_already = (
        select(FundingEntry.id)
        .where(FundingEntry.specialist_id == Specialist.id, FundingEntry.programme_year == year)
        .exists()
    )
    rows = session.execute(
        select(Specialist.id, Specialist.school_id)
        .where(among(session, Specialist.id, specialist_ids), ~scheduled_already)
        .order_by(Specialist.id)
    ).all()
    schedule = year_schedule(rules, year)
    entries = [
        _entry_row(sid, school_id, year, number, due, amount, now)
        for sid, school_id in rows
        for number, due, amount in schedule
    ]
    _insert_entries(session, entries)


def after_transition(
    session: Session, specialist: Specialist, trigger: str, outcome: Outcome, actor: Actor, now
) -> None:
    """The funding consequences of one transition, in the transition's transaction."""
    if trigger in YEAR_STARTED_BY:
        schedule_years(
            session, cohort_rules(session, specialist.cohort_id), trigger, [specialist.id], now
        )
    elif outcome.dest in (State.WITHDRAWN, State.DEFERRED):
        cancel_scheduled(session, specialist.id, now)
        if outcome.dest == State.WITHDRAWN:
            _pay_pro_rata(session, specialist, actor, now)
    elif outcome.source == State.DEFERRED and outcome.dest in YEAR_OF_STATE:
        _reschedule_owed(session, specialist, YEAR_OF_STATE[outcome.dest], now)
    elif trigger == "reinstate" and outcome.source == State.WITHDRAWN:
        withdrawal = last_transition(session, specialist.id, "withdraw")
        if withdrawal is not None:
            undo_withdrawal(session, specialist, actor, withdrawal.at, now)


def cancel_scheduled(session: Session, specialist_id: int, now: datetime) -> int:
    """Cancel every instalment not yet released, and its due item. Released ones stay."""
    ids = list(
        session.scalars(
            select(FundingEntry.id)
            .where(FundingEntry.specialist_id == specialist_id, FundingEntry.status == SCHEDULED)
            .with_for_update()
        )
    )
    if not ids:
        return 0
    session.execute(update(FundingEntry).where(FundingEntry.id.in_(ids)).values(status=CANCELLED))
    session.execute(
        update(DueItem)
        .where(
            DueItem.key.in_([f"funding:{i}" for i in ids]),
            DueItem.done_at.is_(None),
            DueItem.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )
    return len(ids)


# --- Corrections ------------------------------------------------------------------------------


def undo_withdrawal(
    session: Session, specialist: Specialist, actor: Actor, withdrawn_at: datetime, now: datetime
) -> int:
    """The funding a withdrawal (at ``withdrawn_at``) cancelled, scheduled again exactly, and
    its pro-rata payment reversed (a negative line of the same kind: the ledger is never
    edited). Returns how many instalments were restored."""
    cancelled = session.scalars(
        select(FundingEntry.id)
        .where(FundingEntry.specialist_id == specialist.id, FundingEntry.status == CANCELLED)
        .with_for_update()
    ).all()
    keys = session.scalars(
        select(DueItem.key).where(
            DueItem.key.in_([f"funding:{i}" for i in cancelled]),
            DueItem.cancelled_at == withdrawn_at,
            DueItem.done_at.is_(None),
        )
    ).all()
    restored = [int(key.removeprefix("funding:")) for key in keys]
    if restored:
        session.execute(
            update(FundingEntry).where(FundingEntry.id.in_(restored)).values(status=SCHEDULED)
        )
        session.execute(
            update(DueItem)
            .where(DueItem.key.in_([f"funding:{i}" for i in restored]))
            .values(cancelled_at=None, claimed_at=None)
        )
    # What the withdrawal paid pro rata, net of any reversal since (a withdrawal undone and
    # made again at the same instant must not be reversed twice).
    paid = session.execute(
        select(
            LedgerEntry.programme_year,
            LedgerEntry.school_id,
            func.sum(LedgerEntry.amount_pence),
        )
        .where(
            LedgerEntry.specialist_id == specialist.id,
            LedgerEntry.reason == PRO_RATA_REASON,
            LedgerEntry.at >= withdrawn_at,
        )
        .group_by(LedgerEntry.programme_year, LedgerEntry.school_id)
    ).all()
    for year, school_id, amount in paid:
        if not amount or amount <= 0:
            continue
        session.add(
            LedgerEntry(
                specialist_id=specialist.id,
                school_id=school_id,
                programme_year=year,
                funding_entry_id=None,
                kind=ADJUSTMENT,
                amount_pence=-int(amount),
                actor=actor.email,
                reason=PRO_RATA_REASON,  # nets the payment out of every figure of the report
                at=now,
            )
        )
    return len(restored)


def on_milestone_voided(session: Session, entry, now: datetime) -> None:
    """The funding consequence of a voided milestone (``entry`` is the voided audit row).

    Here funding is per programme year, not per day recorded, so a voided day changes
    no instalment; the per-day funding (issue 15) adds its clawback here.
    """


def follow_school(session: Session, specialist_id: int, school_id: int) -> int:
    """Future funding follows a specialist who moved school: instalments not yet released
    are paid to the new school; what was released stays with the old one."""
    result = session.execute(
        update(FundingEntry)
        .where(FundingEntry.specialist_id == specialist_id, FundingEntry.status == SCHEDULED)
        .values(school_id=school_id)
    )
    return result.rowcount


def year_released(session: Session, specialist_id: int, year: int) -> int:
    """Pence released to date for one programme year of one specialist."""
    return _year_sums(session, specialist_id, year)[0]


def _year_sums(session: Session, specialist_id: int, year: int) -> tuple[int, int, int]:
    """(released in the ledger, still scheduled, highest instalment number) for a year."""
    released = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_pence), 0)).where(
            LedgerEntry.specialist_id == specialist_id, LedgerEntry.programme_year == year
        )
    )
    scheduled, highest = session.execute(
        select(
            func.coalesce(
                func.sum(case((FundingEntry.status == SCHEDULED, FundingEntry.amount_pence))), 0
            ),
            func.coalesce(func.max(FundingEntry.instalment), 0),
        ).where(FundingEntry.specialist_id == specialist_id, FundingEntry.programme_year == year)
    ).one()
    return int(released), int(scheduled), int(highest)


def _latest_year(session: Session, specialist_id: int) -> int | None:
    return session.scalar(
        select(func.max(FundingEntry.programme_year)).where(
            FundingEntry.specialist_id == specialist_id
        )
    )


def _reschedule_owed(session: Session, specialist: Specialist, year: int, now: datetime) -> None:
    if _latest_year(session, specialist.id) is None:
        return  # the year never started (deferred before it): start_year schedules it
    rules = cohort_rules(session, specialist.cohort_id)
    released, scheduled, highest = _year_sums(session, specialist.id, year)
    owed = rules.entitlement_pence(year) - released - scheduled
    plan = resumed_schedule(rules, year, owed, highest, london_date(now))
    _insert_entries(
        session,
        [_entry_row(specialist.id, specialist.school_id, year, n, d, a, now) for n, d, a in plan],
    )


def _pay_pro_rata(session: Session, specialist: Specialist, actor: Actor, now: datetime) -> None:
    rules = cohort_rules(session, specialist.cohort_id)
    year = _latest_year(session, specialist.id)
    if rules.funding.on_withdrawal != "pro_rata" or year is None:
        return
    recorded = milestone_totals(session, [specialist.id], year)[specialist.id]
    half_days = sum(recorded.get(kind, 0) for kind in PAID_DAYS)
    released, _, _ = _year_sums(session, specialist.id, year)
    amount = pro_rata_pence(half_days, rules, year, released)
    if amount <= 0:
        return
    session.add(
        LedgerEntry(
            specialist_id=specialist.id,
            school_id=specialist.school_id,
            programme_year=year,
            funding_entry_id=None,
            kind=ADJUSTMENT,
            amount_pence=amount,
            actor=actor.email,
            reason=PRO_RATA_REASON,
            at=now,
        )
    )
    extra = {
        "funding": {
            "amount_pence": amount,
            "programme_year": year,
            "instalment": "pro rata on withdrawal",
            "due_date": now.date().isoformat(),
        },
        "reason": PRO_RATA_REASON,
    }
    effects.write(
        session, effects.email_rows(now, FUNDING_RELEASED, specialist.id, f"w{year}", extra)
    )


# --- Release ---------------------------------------------------------------------------------


def _release_locked(session: Session, entry: FundingEntry, now: datetime, actor_email: str) -> str:
    """Release a locked entry if it is scheduled and due; the status it ends in otherwise."""
    if entry.status != SCHEDULED:
        return entry.status
    if entry.due_date > london_date(now):
        return "not_due"
    entry.status = RELEASED
    entry.released_at = now
    session.add(
        LedgerEntry(
            specialist_id=entry.specialist_id,
            school_id=entry.school_id,
            programme_year=entry.programme_year,
            funding_entry_id=entry.id,
            kind=RELEASE,
            amount_pence=entry.amount_pence,
            actor=actor_email,
            reason=None,
            at=now,
        )
    )
    session.execute(
        update(DueItem)
        .where(DueItem.key == f"funding:{entry.id}", DueItem.done_at.is_(None))
        .values(done_at=now)
    )
    extra = {
        "funding_entry_id": entry.id,
        "funding": {
            "amount_pence": entry.amount_pence,
            "programme_year": entry.programme_year,
            "instalment": entry.instalment,
            "due_date": entry.due_date.isoformat(),
        },
    }
    effects.write(
        session,
        effects.email_rows(now, FUNDING_RELEASED, entry.specialist_id, f"f{entry.id}", extra),
    )
    session.flush()
    return RELEASED


def release_instalment(
    uow: UnitOfWork, funding_entry_id: int, now: datetime, actor_email: str = "system"
) -> str:
    """Release one instalment exactly once; safe to call again and from several workers.

    Returns ``released`` when this call released it, else what it found: ``released``
    is never returned twice for one entry; ``already_released``, ``cancelled``,
    ``not_due`` or ``missing`` mean nothing was written.
    """
    with uow:
        session = uow.session
        entry = session.scalar(
            select(FundingEntry).where(FundingEntry.id == funding_entry_id).with_for_update()
        )
        if entry is None:
            return "missing"
        if entry.status == RELEASED:
            return "already_released"
        result = _release_locked(session, entry, now, actor_email)
        if result == RELEASED:
            uow.commit()
        return result


def release_due(uow_factory: Callable[[], UnitOfWork], now: datetime, batch_size: int = 500) -> int:
    """Release every scheduled instalment due by ``now``, a batch per transaction.

    Rows another worker holds are skipped (PostgreSQL), and it releases them itself.
    """
    released = 0
    today = london_date(now)
    while True:
        with uow_factory() as uow:
            entries = list(
                uow.session.scalars(
                    select(FundingEntry)
                    .where(FundingEntry.status == SCHEDULED, FundingEntry.due_date <= today)
                    .order_by(FundingEntry.id)
                    .limit(batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            if not entries:
                return released
            for entry in entries:
                released += _release_locked(uow.session, entry, now, "system") == RELEASED
            uow.commit()


# --- Adjustments -----------------------------------------------------------------------------


def adjust(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    programme_year: int,
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
        entry = LedgerEntry(
            specialist_id=specialist_id,
            school_id=specialist.school_id,
            programme_year=programme_year,
            funding_entry_id=None,
            kind=ADJUSTMENT,
            amount_pence=amount_pence,
            actor=actor.email,
            reason=reason.strip(),
            at=now,
        )
        session.add(entry)
        uow.flush()
        uow.commit()
        return entry.id


# --- Report ----------------------------------------------------------------------------------

FIGURES = ("entitled_pence", "released_pence", "scheduled_pence", "cancelled_pence")


@dataclass
class SchoolFunding:
    urn: str
    hub: str
    entitled_pence: int = 0
    released_pence: int = 0
    scheduled_pence: int = 0
    cancelled_pence: int = 0

    def as_dict(self) -> dict:
        return {"urn": self.urn, "hub": self.hub, **{f: getattr(self, f) for f in FIGURES}}


@dataclass
class FundingReport:
    cohort: int
    schools: list[SchoolFunding]

    @property
    def totals(self) -> dict[str, int]:
        return {f: sum(getattr(s, f) for s in self.schools) for f in FIGURES}

    def as_dict(self) -> dict:
        return {
            "cohort": self.cohort,
            "schools": [s.as_dict() for s in self.schools],
            "totals": self.totals,
        }


@logs_refusals("report funding")
def report(uow, actor: Actor, cohort_number: int, hub_code: str | None = None) -> FundingReport:
    """``funding_report`` in its own unit of work, with refusals recorded."""
    with uow:
        return funding_report(uow.session, actor, cohort_number, hub_code)


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

    # Instalments numbered after the rules' own were scheduled again on resume.
    rescheduled = or_(
        *(
            and_(
                FundingEntry.programme_year == year,
                FundingEntry.instalment > len(rules.year(year).instalments),
            )
            for year in (1, 2)
        )
    )
    amount = FundingEntry.amount_pence
    entries = session.execute(
        select(
            FundingEntry.school_id,
            FundingEntry.programme_year,
            func.count(func.distinct(FundingEntry.specialist_id)),
            func.coalesce(func.sum(case((FundingEntry.status == SCHEDULED, amount))), 0),
            func.coalesce(func.sum(case((FundingEntry.status == CANCELLED, amount))), 0),
            func.coalesce(func.sum(case((rescheduled, amount))), 0),
        )
        .join(Specialist, Specialist.id == FundingEntry.specialist_id)
        .join(School, School.id == FundingEntry.school_id)
        .where(*in_scope)
        .group_by(FundingEntry.school_id, FundingEntry.programme_year)
    ).all()
    ledger = session.execute(
        select(
            LedgerEntry.school_id,
            func.coalesce(func.sum(LedgerEntry.amount_pence), 0),
            func.coalesce(
                func.sum(case((LedgerEntry.reason == PRO_RATA_REASON, LedgerEntry.amount_pence))),
                0,
            ),
            func.coalesce(
                func.sum(
                    case(
                        (
                            and_(
                                LedgerEntry.kind == ADJUSTMENT,
                                LedgerEntry.reason != PRO_RATA_REASON,
                            ),
                            LedgerEntry.amount_pence,
                        )
                    )
                ),
                0,
            ),
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
    for school_id, total, pro_rata, manual in ledger:
        school = figures[school_id]
        school["released_pence"] += int(total)
        school["cancelled_pence"] -= int(pro_rata)
        school["entitled_pence"] += int(manual)

    names = {
        row.id: (row.urn, row.code)
        for row in session.execute(
            select(School.id, School.urn, Hub.code)
            .join(Hub, Hub.id == School.hub_id)
            .where(School.id.in_(list(figures)))
        )
    }
    schools = [SchoolFunding(*names[school_id], **values) for school_id, values in figures.items()]
    schools.sort(key=lambda s: (s.hub, s.urn))
    return FundingReport(cohort=cohort_number, schools=schools)
