"""Dispatching what is due: claim items, do each one's work once, mark it done.

``dispatch_due`` repeats until nothing due is left: claim a batch (``due.claim_due``,
committed at once so that other dispatchers skip it), then for each item:

- in-transaction kinds (reminders): one transaction locks the item, checks it is still
  to do (not done, not cancelled meanwhile), does the work (an outbox row) and sets
  ``done_at``. A crash leaves both or neither; a stale claim re-taken by a second
  dispatcher finds the item done and skips it.
- own-transaction kinds (cohort advancement, funding release): their work commits
  itself and is idempotent; the item is marked done when it completes.

An item whose work is refused by the domain (a ``WorkflowError``) is logged and left
claimed, so it is retried when the claim goes stale; any other error propagates, so
that the scheduler process fails loudly (and its supervisor restarts it).

``tick`` is what the scheduler runs every interval: dispatch, then relay the outbox, then
record that it ticked (``services.health.record_tick``: the web's system health page).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from workflow.errors import WorkflowError
from workflow.scheduler.jobs import EXPIRED, Handler, default_handlers
from workflow.services import due, health
from workflow.workers.relay import relay_once

if TYPE_CHECKING:
    from workflow.runtime import Runtime

logger = logging.getLogger(__name__)

CLAIM_BATCH = 200


@dataclass
class DispatchReport:
    done: Counter = field(default_factory=Counter)  # by kind
    failed: list[str] = field(default_factory=list)  # keys
    expired: Counter = field(default_factory=Counter)  # by kind: done without doing (too late)

    @property
    def total(self) -> int:
        return sum(self.done.values())


def dispatch_due(
    runtime: Runtime,
    handlers: Mapping[str, Handler] | None = None,
    *,
    now: datetime | None = None,
    limit: int = CLAIM_BATCH,
) -> DispatchReport:
    """Do everything due by ``now`` (default: the runtime's clock) that no one else holds."""
    handlers = default_handlers() if handlers is None else handlers
    report = DispatchReport()
    renew = _Renewal(runtime)
    while True:
        at = now or runtime.clock.now()
        with runtime.uow() as uow:
            claimed = due.claim_due(uow.session, at, limit, kinds=handlers.keys())
            uow.commit()
        if not claimed:
            return _logged(report)
        for item in claimed:
            try:
                outcome = _run(runtime, handlers[item.kind], item, at)
            except WorkflowError as exc:
                logger.error(
                    "due item %s (%s) refused: %s; retried later", item.key, item.kind, exc
                )
                report.failed.append(item.key)
                continue
            finally:
                runtime.heartbeat()  # progress, for the watchdog: a long tick is no stall
                renew.maybe(claimed)
            if outcome == EXPIRED:
                report.expired[item.kind] += 1
            else:
                report.done[item.kind] += 1
        if len(claimed) < limit:
            return _logged(report)


def _logged(report: DispatchReport) -> DispatchReport:
    """Say once per dispatch how many items expired unsent (``show`` says why, each)."""
    if report.expired:
        logger.warning(
            "%d due items expired unsent (came due too late): %s",
            sum(report.expired.values()),
            dict(report.expired),
        )
    return report


class _Renewal:
    """Renews the claims of a batch in hand every ``due.RENEW_EVERY`` (wall time): the
    claim is a lease, kept while this dispatcher lives; a dead one's lapses after
    ``due.STALE_CLAIM`` and another dispatcher takes the items over."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.last = time.monotonic()

    def maybe(self, claimed: list[due.Claimed]) -> None:
        if time.monotonic() - self.last < due.RENEW_EVERY.total_seconds():
            return
        self.last = time.monotonic()
        with self.runtime.uow() as uow:
            due.renew_claims(uow.session, [i.id for i in claimed], self.runtime.clock.now())
            uow.commit()


def _run(runtime: Runtime, handler: Handler, item: due.Claimed, now: datetime) -> str | None:
    if not handler.in_transaction:
        return handler.work(runtime, item, now)
    with runtime.uow() as uow:
        if due.lock_pending(uow.session, item.id) is None:
            return None  # done by another dispatcher, or cancelled since the claim
        outcome = handler.work(uow.session, item, now, runtime.settings.tz)
        due.mark_done(uow.session, item.id, now)
        uow.commit()
        return outcome


def relay_outbox(runtime: Runtime) -> int:
    """Publish every pending outbox row."""
    published = 0
    while (batch := relay_once(runtime, 500)) > 0:
        published += batch
    return published


def tick(runtime: Runtime, handlers: Mapping[str, Handler] | None = None) -> DispatchReport:
    """One scheduler interval: dispatch what is due, relay the outbox, record the tick."""
    report = dispatch_due(runtime, handlers)
    published = relay_outbox(runtime)
    health.record_tick(runtime.uow(), runtime.clock.now(), report.total, published)
    return report
