"""The kinds of due item and the work each one does when it falls due.

- ``advance_cohort`` (payload ``cohort``, ``trigger``): the bulk advancement of a whole
  cohort at the start of a programme year. Scheduled when the cohort is created, for
  09:00 London time on the first term day on or after each of the rules' dates
  (``year1_start``, ``year2_start``, ``work_group_start``). It runs in its own batches
  and is idempotent (advancing twice changes nothing); the item is marked done after.
- ``reminder`` (payload ``template``, ``specialist_id``, ``to``, ``extra``): one email,
  written to the outbox in the same transaction that marks the item done, with the due
  key as the email's occurrence. ``unless_milestone`` skips it when that milestone is
  recorded by then (accreditation reminders).
- ``release_funding`` (payload ``funding_entry_id``): ``services.funding.
  release_instalment``, which marks the item done in the release's own transaction. This
  is the one path by which an instalment is released in production.
- ``funding_statements`` (payload ``cohort``, ``release_date``, ``closes_year``): basis
  ``days``, gathers each school's statement of that release date
  (``services.funding.statements.gather``), in the item's transaction.
- ``funding_check`` (daily): the funding invariants (``services.funding.invariants``);
  a violation emails the national admins; schedules the next day's check.

A handler is either *in-transaction* (``work(session, item, now)``: the dispatcher
locks the item, runs it and marks it done in one transaction) or *own-transaction*
(``work(runtime, item, now)``: it commits itself, and must be safe to run twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import AuditEntry
from workflow.scheduler import due
from workflow.scheduler.calendar import Calendar
from workflow.services import effects
from workflow.services.funding import (
    GATHER_STATEMENTS,
    RELEASE_FUNDING,
    invariants,
    release_instalment,
)
from workflow.services.funding.schedule import DEFAULT_ZONE
from workflow.services.funding.statements import gather
from workflow.states.rules import CohortRules

if TYPE_CHECKING:
    from workflow.bootstrap import Runtime
    from workflow.scheduler.due import Claimed

logger = logging.getLogger(__name__)

ADVANCE_COHORT = "advance_cohort"
REMINDER = "reminder"
YEAR_TRIGGERS = (
    ("year1_start", "start_year1"),
    ("year2_start", "start_year2"),
    ("work_group_start", "start_work_group"),
)


@dataclass(frozen=True)
class Handler:
    work: Callable[..., Any]
    in_transaction: bool


# --- Scheduling a cohort's year starts -----------------------------------------------------


def first_term_day(cal: Calendar, day: date) -> date:
    """``day`` if it is in a term (half-terms count), else the first day of the next term."""
    return day if cal.term_of(day) is not None else cal.next_term_start(day)


def advancement_key(cohort: int, trigger: str) -> str:
    return f"cohort:{cohort}:{trigger}"


def schedule_cohort_years(session: Session, cohort: int, rules: CohortRules) -> None:
    """The cohort's three year starts as ``advance_cohort`` items (called by add_cohort)."""
    from workflow.services.reminders import calendar

    cal = calendar()
    due.schedule_many(
        session,
        [
            due.row(
                advancement_key(cohort, trigger),
                ADVANCE_COHORT,
                cal.reminder_time(first_term_day(cal, getattr(rules.dates, field))),
                {"cohort": cohort, "trigger": trigger},
            )
            for field, trigger in YEAR_TRIGGERS
        ],
    )


# --- The work of each kind -----------------------------------------------------------------


def advance_cohort_item(runtime: Runtime, item: Claimed, now: datetime) -> None:
    from workflow.services.advancement import advance_cohort
    from workflow.services.auth import SYSTEM

    def heartbeat(_moved: int) -> None:
        with runtime.uow() as uow:
            due.renew_claim(uow.session, item.id, runtime.clock.now())
            uow.commit()

    report = advance_cohort(
        runtime.uow,
        SYSTEM,
        item.payload["cohort"],
        item.payload["trigger"],
        now,
        progress=heartbeat,
    )
    logger.info(
        "cohort %s %s: %d advanced, %d stuck",
        item.payload["cohort"],
        item.payload["trigger"],
        report.advanced,
        len(report.stuck),
    )
    with runtime.uow() as uow:
        due.mark_done(uow.session, item.id, runtime.clock.now())
        uow.commit()


def reminder_item(session: Session, item: Claimed, now: datetime) -> None:
    payload = item.payload
    unless = payload.get("unless_milestone")
    if unless and session.scalar(
        select(AuditEntry.id).where(
            AuditEntry.specialist_id == payload["specialist_id"],
            AuditEntry.kind == "milestone",
            AuditEntry.name == unless,
        )
    ):
        return
    row = effects.email_row(
        now,
        payload["template"],
        payload["specialist_id"],
        payload["to"],
        item.key,
        payload.get("extra") or {},
    )
    effects.write(session, [row])


def release_funding_item(runtime: Runtime, item: Claimed, now: datetime) -> None:
    result = release_instalment(
        runtime.uow(), item.payload["funding_entry_id"], now, tz=runtime.settings.tz
    )
    if result == "released":
        return  # the release marked the item done in its own transaction
    if result == "not_due":
        logger.warning("due item %s: instalment not due yet at %s; left for later", item.key, now)
        return
    with runtime.uow() as uow:  # already released, cancelled or missing: nothing to do
        due.mark_done(uow.session, item.id, now)
        uow.commit()


def statements_item(session: Session, item: Claimed, now: datetime) -> None:
    payload = item.payload
    release_date = date.fromisoformat(payload["release_date"])
    gather(session, payload["cohort"], release_date, payload.get("closes_year"), now)


def funding_check_item(session: Session, item: Claimed, now: datetime) -> None:
    found = invariants.check_and_report(session, now, DEFAULT_ZONE)
    if found:
        logger.error("funding check: %d violations; the national admins are told", len(found))
    invariants.schedule_check(session, now, DEFAULT_ZONE)


def default_handlers() -> dict[str, Handler]:
    """Every kind of due item and its work."""
    return {
        ADVANCE_COHORT: Handler(advance_cohort_item, in_transaction=False),
        REMINDER: Handler(reminder_item, in_transaction=True),
        RELEASE_FUNDING: Handler(release_funding_item, in_transaction=False),
        GATHER_STATEMENTS: Handler(statements_item, in_transaction=True),
        invariants.FUNDING_CHECK: Handler(funding_check_item, in_transaction=True),
    }
