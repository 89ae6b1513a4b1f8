"""Releasing funding in tests the way production does: the scheduler's due-item dispatch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from workflow.db.models import LedgerEntry
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import default_handlers
from workflow.services.funding import RELEASE_FUNDING

# Only funding's due items: a test's clock jumps must not also advance whole cohorts.
FUNDING_ONLY = {RELEASE_FUNDING: default_handlers()[RELEASE_FUNDING]}


def releases(runtime) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "release")
        )


def release_due(runtime, now: datetime | None = None, limit: int = 200) -> int:
    """Dispatch the funding items due by ``now``; how many instalments were released."""
    before = releases(runtime)
    dispatch_due(runtime, FUNDING_ONLY, now=now, limit=limit)
    return releases(runtime) - before
