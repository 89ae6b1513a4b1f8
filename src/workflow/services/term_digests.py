"""The termly digests: each hub lead's figures at a term start, and the national summary.

A cohort has one ``term_start`` due item per term it is active (from the term holding
``year1_start`` to the one holding ``work_group_start``), due at 09:00 local time on the
term's first day (``cohort_schedule.term_items``, scheduled with the year starts). When it runs
(``send_term_digests``, one transaction):

- while the term is still running, each hub with a specialist in Year 1 or Year 2 gets one
  ``term_digest`` (its figures from ``services.progress``) to its hub lead, and to its
  staff where the hub chose so (``workflow hub digest CODE --to-staff``), and the national
  admins one ``term_summary``; sent after the term's first day, both say they are late;
- once the term has ended (the scheduler was down across all of it), nothing is sent and
  the term is recorded as skipped.

Each hub's outcome is a ``term_digests`` row, unique by (cohort, hub, term start), written
in the transaction that writes the emails and marks the item done: a term's digest goes
out once, however often the item runs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from workflow.db.models import Hub
from workflow.db.models import TermDigest as TermDigestRow
from workflow.db.uow import UnitOfWork
from workflow.notify.notifications import TERM_DIGEST, TERM_SUMMARY, TermDigest, TermSummary
from workflow.notify.registry import Role
from workflow.services import due, effects
from workflow.services.calendar import Calendar, calendar
from workflow.services.progress import cohort_progress
from workflow.services.setup import cohort_by_number

SENT, LATE, SKIPPED = "sent", "late", "skipped"


def send_term_digests(
    uow: UnitOfWork,
    cohort_number: int,
    term_start: date,
    item_id: int,
    now: datetime,
    cal: Calendar | None = None,
) -> str | None:
    """The term's digests and summary, once; the outcome (sent, late, skipped), or None
    when the item was done already."""
    cal = cal or calendar(uow.timezone)
    with uow:
        session = uow.session
        if due.lock_pending(session, item_id) is None:
            return None  # done by another dispatcher, or cancelled since the claim
        cohort = cohort_by_number(session, cohort_number)
        _, _, dates = cal.term_at(term_start)
        today = now.astimezone(cal.tz).date()
        status = SKIPPED if today > dates.end else LATE if today > term_start else SENT
        figures = cohort_progress(session, cohort_number, term_start, cal=cal)
        recorded = set(
            session.scalars(
                select(TermDigestRow.hub_id).where(
                    TermDigestRow.cohort_id == cohort.id, TermDigestRow.term_start == term_start
                )
            )
        )
        to_staff = set(session.scalars(select(Hub.id).where(Hub.digest_to_staff.is_(True))))
        rows = []
        for hub_id, hub in figures.hubs:
            if hub_id in recorded:
                continue
            session.add(
                TermDigestRow(
                    cohort_id=cohort.id,
                    hub_id=hub_id,
                    term_start=term_start,
                    status=status,
                    on_track=hub.on_track,
                    behind=hub.behind,
                    at=now,
                )
            )
            if status == SKIPPED:
                continue
            extra = TermDigest(
                hub_id=hub_id,
                cohort_number=cohort_number,
                term=figures.term,
                late=status == LATE,
                figures=hub,
                events=figures.events,
                later_events=figures.later_events,
            )
            occurrence = f"cohort{cohort_number}-term{term_start.isoformat()}-hub{hub_id}"
            rows += [
                effects.email_row(now, TERM_DIGEST, None, to, occurrence, extra)
                for to in TERM_DIGEST.recipients
                if to != Role.HUB_STAFF or hub_id in to_staff
            ]
        if status != SKIPPED and figures.hubs and not recorded:
            summary = TermSummary(
                cohort_number=cohort_number,
                term=figures.term,
                late=status == LATE,
                hubs=figures.counts(),
            )
            occurrence = f"cohort{cohort_number}-term{term_start.isoformat()}"
            rows += effects.email_rows(now, TERM_SUMMARY, None, occurrence, summary)
        effects.write(session, rows)
        due.mark_done(session, item_id, now)
        uow.commit()
        return status
