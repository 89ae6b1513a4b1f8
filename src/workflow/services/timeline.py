"""One specialist's timeline for the web: every change, milestone, email and funding line,
with who and when, oldest first, plus what the page's summary shows."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from workflow.db.models import AuditEntry, Cohort, EmailLog, FundingEntry, Hub, School
from workflow.db.uow import UnitOfWork
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.queries import CORRECTION, MILESTONE
from workflow.services.specialists import load_with_hub


@logs_refusals("show")
def specialist_page(uow: UnitOfWork, actor: Actor, specialist_id: int) -> dict:
    """The summary and timeline of one specialist the actor can see (else ``NotFound``)."""
    with uow:
        session = uow.session
        specialist, hub_id = load_with_hub(session, actor, specialist_id)
        authorize(actor, Action.VIEW)
        school = session.get(School, specialist.school_id)
        hub = session.get(Hub, hub_id)
        cohort = session.get(Cohort, specialist.cohort_id)
        events = []
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.specialist_id == specialist.id)
                .order_by(AuditEntry.id)
            )
        )
        voided = {e.voids_id for e in entries if e.voids_id is not None}
        for e in entries:
            if e.kind == MILESTONE:
                amount = _days(e.half_days) if e.half_days is not None else None
                events.append(
                    _event(e.at, "milestone", e.name, e.actor, amount=amount, on=e.occurred_on,
                           id=e.id, voided=e.id in voided)
                )  # fmt: skip
            elif e.kind == CORRECTION:
                events.append(
                    _event(e.at, "correction", e.name, e.actor, reason=e.reason,
                           override=e.override, details=e.details or {}, id=e.id)
                )  # fmt: skip
            else:
                events.append(
                    _event(
                        e.at,
                        "change",
                        e.name,
                        e.actor,
                        source=e.from_state,
                        dest=e.to_state,
                        reason=e.reason,
                        override=e.override,
                    )
                )
        for m in session.scalars(select(EmailLog).where(EmailLog.specialist_id == specialist.id)):
            events.append(
                _event(
                    m.sent_at or m.created_at,
                    "email",
                    m.template,
                    "system",
                    status=m.status,
                    to=m.recipient,
                )
            )
        for f in session.scalars(
            select(FundingEntry).where(FundingEntry.specialist_id == specialist.id)
        ):
            when = f.released_at or datetime.combine(f.due_date, time(9), UTC)
            events.append(
                _event(
                    when,
                    "funding",
                    f"year {f.programme_year} instalment {f.instalment}",
                    "system",
                    amount_pence=f.amount_pence,
                    status=f.status,
                    on=f.due_date,
                )
            )
        events.sort(key=lambda ev: (ev["at"], ev["order"]))
        return {
            "id": specialist.id,
            "name": specialist.name,
            "email": specialist.email,
            "state": specialist.state,
            "version": specialist.version,
            "school": school.name,
            "school_urn": school.urn,
            "hub": hub.code,
            "hub_name": hub.name,
            "hub_id": hub_id,
            "cohort": cohort.number,
            "timeline": events,
        }


def _days(half_days: int) -> str:
    days = half_days / 2
    return f"{days:g} day" if days == 1 else f"{days:g} days"


_ORDER = {"change": 0, "correction": 0, "milestone": 1, "funding": 2, "email": 3}


def _event(at: datetime, kind: str, name: str, who: str, **details) -> dict:
    return {"at": at, "kind": kind, "name": name, "who": who, "order": _ORDER[kind], **details}
