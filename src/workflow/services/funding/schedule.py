"""Scheduling funding: a programme year's instalments, and what transitions do to them.

- Starting a programme year schedules its instalments (``funding_entries``, origin
  ``rules``) and one ``due_items`` row each (kind ``release_funding``), from which the
  scheduler's due-item dispatch releases them (``release.py``).
- Withdrawal and deferral cancel what is not yet released (instalment and due item);
  withdrawal under ``on_withdrawal = "pro_rata"`` also pays the days recorded that year,
  as a ledger adjustment of origin ``withdrawal``.
- Resuming schedules again what is still owed for the year resumed into (origin
  ``resume``, numbered after the instalments already used).
- Corrections (issue 14): reinstating a withdrawn specialist undoes what the withdrawal
  did (``undo_withdrawal``); a move of school takes the instalments not yet released
  along (``follow_school``).

``after_transition`` is the entry point a transition's consequences call, in the
transition's transaction; ``schedule_years`` is the batch-first one for year starts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.db.bulk import among, insert_rows
from workflow.db.models import DueItem, FundingEntry, LedgerEntry, Specialist
from workflow.db.uow import session_timezone
from workflow.notify.notifications import FUNDING_RELEASED
from workflow.services import effects
from workflow.services.auth import Actor
from workflow.services.funding import claims, invariants, ledger, planning
from workflow.services.queries import cohort_rules, last_transition, milestone_totals
from workflow.states.lifecycle import Outcome, State
from workflow.states.programme import funded_year, started_by
from workflow.states.rules import CohortRules

RELEASE_FUNDING = "release_funding"  # the due item kind
SCHEDULED, RELEASED, CANCELLED = "scheduled", "released", "cancelled"


def due_item_key(funding_entry_id: int) -> str:
    return f"funding:{funding_entry_id}"


def _insert_entries(session: Session, rows: list[dict], tz: str) -> None:
    """Insert funding entries and one due item each (keyed by the entry's new id)."""
    ids = insert_rows(session, FundingEntry.__table__, rows, return_ids=True)
    releasable = {day: planning.due_at(day, tz) for day in {row["due_date"] for row in rows}}
    due = [
        {
            "key": due_item_key(entry_id),
            "kind": RELEASE_FUNDING,
            "due_at": releasable[row["due_date"]],
            "payload": {"funding_entry_id": entry_id},
        }
        for entry_id, row in zip(ids, rows, strict=True)
    ]
    insert_rows(session, DueItem.__table__, due)


def _entry_row(specialist_id, school_id, year, planned, origin, now) -> dict:
    number, due, amount = planned
    return {
        "specialist_id": specialist_id,
        "school_id": school_id,
        "programme_year": year,
        "instalment": number,
        "origin": origin,
        "amount_pence": amount,
        "due_date": due,
        "status": SCHEDULED,
        "created_at": now,
    }


def schedule_years(
    session: Session,
    rules: CohortRules,
    trigger: str,
    specialist_ids: list[int],
    now: datetime,
) -> None:
    """Schedule the year ``trigger`` starts for each specialist; those already scheduled are
    skipped, so this is safe to repeat. Used by the single and the bulk path alike."""
    started = started_by(trigger)
    if started is None or not started.funded or not specialist_ids:
        return
    year, tz = started.number, session_timezone(session)
    if rules.funding.basis == "days":
        claims.start_years(session, rules, year, specialist_ids, now, tz)
        invariants.schedule_check(session, now)
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
    plan = planning.year_schedule(rules, year)
    entries = [
        _entry_row(sid, school_id, year, planned, ledger.RULES, now)
        for sid, school_id in rows
        for planned in plan
    ]
    _insert_entries(session, entries, tz)


def after_transition(
    session: Session,
    specialist: Specialist,
    trigger: str,
    outcome: Outcome,
    actor: Actor,
    now: datetime,
) -> None:
    """The funding consequences of one transition, in the transition's transaction."""
    rules = cohort_rules(session, specialist.cohort_id)
    tz = session_timezone(session)
    if started_by(trigger) is not None:
        schedule_years(session, rules, trigger, [specialist.id], now)
    elif rules.funding.basis == "days" and outcome.dest == State.WITHDRAWN:
        claims.on_withdrawal(session, specialist, now)
    elif outcome.dest in (State.WITHDRAWN, State.DEFERRED):
        cancel_scheduled(session, specialist.id, now)
        if outcome.dest == State.WITHDRAWN:
            _pay_pro_rata(session, specialist, actor, now, tz)
    elif outcome.source == State.DEFERRED and funded_year(outcome.dest) is not None:
        _reschedule_owed(session, specialist, funded_year(outcome.dest), now, tz)
    elif trigger == "reinstate" and outcome.source == State.WITHDRAWN:
        withdrawal = last_transition(session, specialist.id, "withdraw")
        if withdrawal is not None:
            withdrawn_at = withdrawal.at
            undo_withdrawal(session, specialist, actor, withdrawn_at, now)


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
            DueItem.key.in_([due_item_key(i) for i in ids]),
            DueItem.done_at.is_(None),
            DueItem.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )
    return len(ids)


def year_sums(session: Session, specialist_id: int, year: int) -> tuple[int, int, int]:
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


def latest_year(session: Session, specialist_id: int) -> int | None:
    """The latest programme year with funding scheduled for the specialist, if any."""
    return session.scalar(
        select(func.max(FundingEntry.programme_year)).where(
            FundingEntry.specialist_id == specialist_id
        )
    )


def _reschedule_owed(
    session: Session, specialist: Specialist, year: int, now: datetime, tz: str
) -> None:
    if latest_year(session, specialist.id) is None:
        return  # the year never started (deferred before it): start_year schedules it
    rules = cohort_rules(session, specialist.cohort_id)
    released, scheduled, highest = year_sums(session, specialist.id, year)
    owed = planning.owed_pence(rules, year, released, scheduled)
    plan = planning.resumed_schedule(rules, year, owed, highest, local_date(now, tz))
    rows = [
        _entry_row(specialist.id, specialist.school_id, year, planned, ledger.RESUME, now)
        for planned in plan
    ]
    _insert_entries(session, rows, tz)


def _pay_pro_rata(
    session: Session, specialist: Specialist, actor: Actor, now: datetime, tz: str
) -> None:
    rules = cohort_rules(session, specialist.cohort_id)
    year = latest_year(session, specialist.id)
    if rules.funding.on_withdrawal != "pro_rata" or year is None:
        return
    recorded = milestone_totals(session, [specialist.id], year)[specialist.id]
    released, _, _ = year_sums(session, specialist.id, year)
    amount = planning.pro_rata_pence(planning.paid_half_days(recorded), rules, year, released)
    if amount <= 0:
        return
    ledger.append(
        session,
        specialist_id=specialist.id,
        school_id=specialist.school_id,
        programme_year=year,
        kind=ledger.ADJUSTMENT,
        origin=ledger.WITHDRAWAL,
        amount_pence=amount,
        actor=actor.email,
        reason=ledger.PRO_RATA_REASON,
        at=now,
    )
    extra = {
        "funding": {
            "amount_pence": amount,
            "programme_year": year,
            "instalment": ledger.PRO_RATA_REASON,
            "due_date": local_date(now, tz).isoformat(),
        },
        "reason": ledger.PRO_RATA_REASON,
    }
    effects.write(
        session, effects.email_rows(now, FUNDING_RELEASED, specialist.id, f"w{year}", extra)
    )


# --- Corrections (issue 14 calls these) ------------------------------------------------------


def follow_school(session: Session, specialist_id: int, school_id: int) -> int:
    """Future funding follows a specialist who moved school: instalments not yet released
    are paid to the new school (on the days basis, claims name the school when made);
    what was released stays with the old one."""
    result = session.execute(
        update(FundingEntry)
        .where(FundingEntry.specialist_id == specialist_id, FundingEntry.status == SCHEDULED)
        .values(school_id=school_id)
    )
    return result.rowcount


def year_released(session: Session, specialist_id: int, year: int) -> int:
    """Pence released to date for one programme year of one specialist (both bases)."""
    released, _, _ = year_sums(session, specialist_id, year)
    return released + claims.released_pence(session, specialist_id, year)


def _still_owed(session: Session, specialist: Specialist, entry_ids: list[int]) -> list[int]:
    """Of the instalments a withdrawal cancelled, the newest that the year still owes: a
    deferral cancelled earlier ones and a resume replaced them, and when the deferral and
    the withdrawal fall at one instant both cancellations carry the same time."""
    if not entry_ids:
        return []
    rules = cohort_rules(session, specialist.cohort_id)
    rows = session.execute(
        select(FundingEntry.id, FundingEntry.programme_year, FundingEntry.amount_pence)
        .where(FundingEntry.id.in_(entry_ids))
        .order_by(FundingEntry.id.desc())
    ).all()
    chosen = []
    for year in sorted({year for _, year, _ in rows}):
        released = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_pence), 0)).where(
                LedgerEntry.specialist_id == specialist.id,
                LedgerEntry.programme_year == year,
                LedgerEntry.origin != ledger.WITHDRAWAL,  # the pro rata is reversed below
            )
        )
        _, scheduled, _ = year_sums(session, specialist.id, year)
        owed = rules.entitlement_pence(year) - int(released) - scheduled
        for entry_id, entry_year, amount in rows:
            if entry_year == year and amount <= owed:
                chosen.append(entry_id)
                owed -= amount
    return chosen


def undo_withdrawal(
    session: Session, specialist: Specialist, actor: Actor, withdrawn_at: datetime, now: datetime
) -> int:
    """Reinstating a withdrawn specialist (a correction): what the withdrawal (at
    ``withdrawn_at``) cancelled is scheduled again exactly, and a pro-rata payment it made is
    reversed by a negative row of the same origin (the ledger is never edited). On the days
    basis the years it closed reopen. Returns how many instalments were restored."""
    claims.reopen_after_withdrawal(session, specialist.id, withdrawn_at)
    cancelled = session.scalars(
        select(FundingEntry.id)
        .where(FundingEntry.specialist_id == specialist.id, FundingEntry.status == CANCELLED)
        .with_for_update()
    ).all()
    keys = session.scalars(
        select(DueItem.key).where(
            DueItem.key.in_([due_item_key(i) for i in cancelled]),
            DueItem.cancelled_at == withdrawn_at,
            DueItem.done_at.is_(None),
        )
    ).all()
    restored = _still_owed(session, specialist, [int(k.removeprefix("funding:")) for k in keys])
    if restored:
        session.execute(
            update(FundingEntry).where(FundingEntry.id.in_(restored)).values(status=SCHEDULED)
        )
        session.execute(
            update(DueItem)
            .where(DueItem.key.in_([due_item_key(i) for i in restored]))
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
            LedgerEntry.origin == ledger.WITHDRAWAL,
            LedgerEntry.at >= withdrawn_at,
        )
        .group_by(LedgerEntry.programme_year, LedgerEntry.school_id)
    ).all()
    for year, school_id, amount in paid:
        if not amount or amount <= 0:
            continue
        ledger.append(
            session,
            specialist_id=specialist.id,
            school_id=school_id,
            programme_year=year,
            kind=ledger.ADJUSTMENT,
            origin=ledger.WITHDRAWAL,  # nets the payment out of every figure of the report
            amount_pence=-int(amount),
            actor=actor.email,
            reason=ledger.PRO_RATA_REASON,
            at=now,
        )
    return len(restored)
