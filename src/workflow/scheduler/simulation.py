"""Simulated time: run the scheduler's own dispatch on a clock that jumps to what is due next.

``simulate`` sets the runtime's ``FixedClock`` to ``start`` and repeats: do everything due
by now (``dispatch.dispatch_due``, exactly what the scheduler process runs), drain the
effects, then jump the clock to the next pending due time up to ``until``. Three academic
years pass in seconds, against the configured database.

Draining is a seam: ``drain(runtime)`` is called after each step to move the outbox
along (relay the rows, deliver the emails in-process); the CLI passes the workers'
synchronous ``workflow.workers.embedded.drain``. Without one the emails stay queued in
the outbox for a worker to send later.

``summary`` reads the outcome back: specialists per state (overall and per hub), money
released (the ledger's sum, pence) and emails queued by template (one per recipient).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from workflow.clock import FixedClock
from workflow.db.models import Hub, OutboxMessage, School, Specialist
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import Handler, default_handlers
from workflow.services import due
from workflow.services.auth import SYSTEM
from workflow.services.funding.reports import money_totals
from workflow.services.outbox import SEND_EMAIL

if TYPE_CHECKING:
    from workflow.runtime import Runtime

Drain = Callable[["Runtime"], Any]


@dataclass
class Summary:
    by_state: dict[str, int]
    by_hub: dict[str, dict[str, int]]
    released_pence: int
    emails_by_template: dict[str, int]
    steps: int = 0
    dispatched: dict[str, int] = field(default_factory=dict)
    paid_pence: int = 0
    scheduled_pence: int = 0
    lapsed_pence: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "by_state": self.by_state,
            "released_pence": self.released_pence,
            "paid_pence": self.paid_pence,
            "scheduled_pence": self.scheduled_pence,
            "lapsed_pence": self.lapsed_pence,
            "emails_by_template": self.emails_by_template,
            "by_hub": self.by_hub,
            "dispatched": self.dispatched,
        }


def simulate(
    runtime: Runtime,
    start: datetime,
    until: datetime,
    progress: Callable[[datetime], None] | None = None,
    *,
    drain: Drain | None = None,
    handlers: Mapping[str, Handler] | None = None,
) -> Summary:
    """Run everything due from ``start`` to ``until`` on the runtime's (fixed) clock."""
    clock = runtime.clock
    if not isinstance(clock, FixedClock):
        raise TypeError("simulate needs a runtime built with a FixedClock")
    if until < start:
        raise ValueError(f"nothing to simulate: {until} is before {start}")
    handlers = default_handlers() if handlers is None else handlers
    clock.set(start)
    done: Counter = Counter()
    steps = 0
    while True:
        done.update(dispatch_due(runtime, handlers).done)
        if drain is not None:
            drain(runtime)
        steps += 1
        if progress:
            progress(clock.now())
        with runtime.uow() as uow:
            upcoming = due.next_due_at(uow.session, clock.now(), until, handlers.keys())
        if upcoming is None:
            break
        clock.set(upcoming)
    clock.set(until)
    if progress:
        progress(until)
    result = summary(runtime)
    result.steps, result.dispatched = steps, dict(done)
    return result


def summary(runtime: Runtime) -> Summary:
    with runtime.uow() as uow:
        session = uow.session
        by_state: Counter = Counter()
        by_hub: dict[str, Counter] = defaultdict(Counter)
        rows = session.execute(
            select(Hub.code, Specialist.state, func.count(Specialist.id))
            .join(School, School.id == Specialist.school_id)
            .join(Hub, Hub.id == School.hub_id)
            .group_by(Hub.code, Specialist.state)
        )
        for hub, state, count in rows:
            by_state[state] += count
            by_hub[hub][state] += count
        money = money_totals(session, SYSTEM)
        emails = Counter(
            payload["template"]
            for payload in session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.topic == SEND_EMAIL)
            )
        )
    return Summary(
        by_state=dict(sorted(by_state.items())),
        by_hub={hub: dict(sorted(c.items())) for hub, c in sorted(by_hub.items())},
        released_pence=money["released_pence"],
        emails_by_template=dict(sorted(emails.items())),
        paid_pence=money["paid_pence"],
        scheduled_pence=money["scheduled_pence"],
        lapsed_pence=money["cancelled_pence"],
    )
