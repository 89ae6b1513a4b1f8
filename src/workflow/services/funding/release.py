"""Releasing an instalment: exactly once, however often and by however many it is asked for.

The scheduler's due-item dispatch (kind ``release_funding``) is the one production path:
``release_instalment`` locks the entry row, moves it scheduled -> released, appends one
ledger row (its ``funding_entry_id`` is unique, so a second release cannot add a second
row), marks the due item done and writes the release notices, in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.clock import local_date
from workflow.db.models import DueItem, FundingEntry
from workflow.db.uow import UnitOfWork
from workflow.notify.notifications import FUNDING_RELEASED
from workflow.services import effects
from workflow.services.funding import ledger
from workflow.services.funding.schedule import (
    RELEASED,
    SCHEDULED,
    due_item_key,
)

NOT_DUE, ALREADY_RELEASED, MISSING = "not_due", "already_released", "missing"


def _release_locked(
    session: Session, entry: FundingEntry, now: datetime, actor_email: str, tz: str
) -> str:
    """Release a locked entry if it is scheduled and due; the status it ends in otherwise."""
    if entry.status != SCHEDULED:
        return entry.status
    if entry.due_date > local_date(now, tz):
        return NOT_DUE
    entry.status = RELEASED
    entry.released_at = now
    ledger.append(
        session,
        specialist_id=entry.specialist_id,
        school_id=entry.school_id,
        programme_year=entry.programme_year,
        kind=ledger.RELEASE,
        origin=entry.origin,
        amount_pence=entry.amount_pence,
        actor=actor_email,
        at=now,
        funding_entry_id=entry.id,
    )
    session.execute(
        update(DueItem)
        .where(DueItem.key == due_item_key(entry.id), DueItem.done_at.is_(None))
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
    uow: UnitOfWork,
    funding_entry_id: int,
    now: datetime,
    actor_email: str = "system",
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
            return MISSING
        if entry.status == RELEASED:
            return ALREADY_RELEASED
        result = _release_locked(session, entry, now, actor_email, uow.timezone)
        if result == RELEASED:
            uow.commit()
        return result
