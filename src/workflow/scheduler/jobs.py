"""The kinds of due item and the work each one does when it falls due.

- ``advance_cohort`` (payload ``cohort``, ``trigger``): the bulk advancement of a whole
  cohort at the start of a programme year, scheduled when the cohort is created
  (``services/cohort_schedule.py``). It runs in its own batches and is idempotent
  (advancing twice changes nothing); the item is marked done after.
- ``reminder`` (payload ``template``, ``specialist_id``, ``to``, ``extra``): one email,
  written to the outbox in the same transaction that marks the item done, with the due
  key as the email's occurrence. ``unless_milestone`` skips it when that milestone is
  recorded by then (accreditation reminders). A reminder that came due too late
  (``services.reminders.expiry``) is not sent: the item is done with the reason in its
  ``outcome``, counted as ``expired`` and shown by ``workflow show``; the words of one
  that is sent count the days from the day it goes out. An online event's joining link,
  if set by then, is added to the event (``services.events.with_link``). A headteacher's
  launch emails are one per school: every specialist of the school going is named at
  sending (``services.reminders.for_the_school``).
- ``term_start`` (payload ``cohort``, ``term_start``, ``trigger``): the term's digests to
  each hub lead and the national summary (``services.term_digests``), after advancing the
  cohort when the term starts a programme year. Scheduled with the year starts
  (``services/cohort_schedule.py``).
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

from workflow.db.models import AuditEntry, DueItem
from workflow.notify.notifications import notification
from workflow.services import due, effects, events, funding, reminders
from workflow.services.advancement import advance_cohort
from workflow.services.auth import SYSTEM
from workflow.services.cohort_schedule import ADVANCE_COHORT, TERM_START, advancement_key
from workflow.services.due import Claimed
from workflow.services.funding import invariants, statements
from workflow.services.queries import counted_milestones
from workflow.services.term_digests import send_term_digests

if TYPE_CHECKING:
    from workflow.runtime import Runtime

logger = logging.getLogger(__name__)

REMINDER = "reminder"


@dataclass(frozen=True)
class Handler:
    work: Callable[..., Any]
    in_transaction: bool


# --- The work of each kind -----------------------------------------------------------------


def advance_cohort_item(runtime: Runtime, item: Claimed, now: datetime) -> None:
    def heartbeat(_moved: int) -> None:
        runtime.heartbeat()
        with runtime.uow() as uow:
            due.renew_claim(uow.session, item.id, runtime.clock.now())
            uow.commit()

    report = advance_cohort(
        runtime.uow(),
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


EXPIRED = "expired"


def reminder_item(session: Session, item: Claimed, now: datetime, tz) -> str | None:
    """Write the reminder's email; returns ``EXPIRED`` when it came due too late."""
    payload = reminders.for_the_school(session, item.payload)
    if payload is None:
        return None  # a head's email about a school none of whose specialists is going now
    unless = payload.get("unless_milestone")
    if unless and session.scalar(
        select(AuditEntry.id).where(
            AuditEntry.specialist_id == payload["specialist_id"],
            counted_milestones(),
            AuditEntry.name == unless,
        )
    ):
        return None
    why = reminders.expiry(payload, item.due_at, now, tz)
    if why is not None:
        due.set_outcome(session, item.id, why)
        return EXPIRED
    row = effects.email_row(
        now,
        notification(payload["template"]),
        payload["specialist_id"],
        payload["to"],
        item.key,
        events.with_link(session, payload["specialist_id"], reminders.as_sent(payload, now, tz)),
    )
    effects.write(session, [row])
    return None


def term_start_item(runtime: Runtime, item: Claimed, now: datetime) -> None:
    """A term's start: on a programme year's first term the cohort is advanced first (if its
    ``advance_cohort`` item has not done it yet), then the term's digests are sent."""
    payload = item.payload
    trigger = payload.get("trigger")
    if trigger:
        with runtime.uow() as uow:
            advance = uow.session.scalar(
                select(DueItem).where(DueItem.key == advancement_key(payload["cohort"], trigger))
            )
            pending = advance is not None and advance.done_at is None
        if pending:
            advance_cohort(runtime.uow(), SYSTEM, payload["cohort"], trigger, now)
            with runtime.uow() as uow:
                due.mark_done(uow.session, advance.id, runtime.clock.now())
                uow.commit()
    status = send_term_digests(
        runtime.uow(), payload["cohort"], date.fromisoformat(payload["term_start"]), item.id, now
    )
    logger.info("cohort %s term %s: digests %s", payload["cohort"], payload["term_start"], status)


def release_funding_item(runtime: Runtime, item: Claimed, now: datetime) -> None:
    result = funding.release_instalment(runtime.uow(), item.payload["funding_entry_id"], now)
    if result == "released":
        return  # the release marked the item done in its own transaction
    if result == "not_due":
        logger.warning("due item %s: instalment not due yet at %s; left for later", item.key, now)
        return
    with runtime.uow() as uow:  # already released, cancelled or missing: nothing to do
        due.mark_done(uow.session, item.id, now)
        uow.commit()


def statements_item(session: Session, item: Claimed, now: datetime, tz) -> None:
    payload = item.payload
    release_date = date.fromisoformat(payload["release_date"])
    statements.gather(session, payload["cohort"], release_date, payload.get("closes_year"), now)


def funding_check_item(session: Session, item: Claimed, now: datetime, tz) -> None:
    found = invariants.check_and_report(session, now)
    if found:
        logger.error("funding check: %d violations; the national admins are told", len(found))
    invariants.schedule_check(session, now)


def default_handlers() -> dict[str, Handler]:
    """Every kind of due item and the work it does."""
    return {
        ADVANCE_COHORT: Handler(advance_cohort_item, in_transaction=False),
        REMINDER: Handler(reminder_item, in_transaction=True),
        TERM_START: Handler(term_start_item, in_transaction=False),
        funding.RELEASE_FUNDING: Handler(release_funding_item, in_transaction=False),
        funding.GATHER_STATEMENTS: Handler(statements_item, in_transaction=True),
        invariants.FUNDING_CHECK: Handler(funding_check_item, in_transaction=True),
    }
