"""The system's health, for its operators (the national team): what is waiting, and whether
the scheduler is ticking.

- the outbox: rows whose effect is not yet recorded (``done_at`` null), of which those not
  yet published (``sent_at`` null), and the oldest one's age;
- due items that have fallen due and are not done (the scheduler is behind, or down);
- dead letters not yet retried;
- the scheduler's last tick: ``record_tick`` is called by ``scheduler.dispatch.tick`` at the
  end of every tick and keeps one row per job (``scheduler_ticks``), so another process
  (the web) can tell when it last ran. A tick older than ``TICK_LATE`` is late.

Counts and times only: no names, no addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from workflow.db.models import DeadLetter, DueItem, OutboxMessage, SchedulerTick
from workflow.db.uow import UnitOfWork
from workflow.services.auth import Action, Actor, authorize, logs_refusals

DISPATCH = "dispatch"
#: The scheduler ticks every 30 seconds by default; this long without one, it is late.
TICK_LATE = timedelta(minutes=5)


@dataclass(frozen=True)
class Health:
    now: datetime
    outbox_pending: int
    outbox_unpublished: int
    outbox_oldest: datetime | None
    due_overdue: int
    due_oldest: datetime | None
    dead_letters: int
    dead_letter_oldest: datetime | None
    last_tick: datetime | None
    last_tick_items: int
    last_tick_published: int

    @property
    def outbox_oldest_age(self) -> timedelta | None:
        return self.now - self.outbox_oldest if self.outbox_oldest else None

    @property
    def due_oldest_age(self) -> timedelta | None:
        return self.now - self.due_oldest if self.due_oldest else None

    @property
    def last_tick_age(self) -> timedelta | None:
        return self.now - self.last_tick if self.last_tick else None

    @property
    def scheduler_late(self) -> bool:
        """No tick recorded, or none for ``TICK_LATE``."""
        return self.last_tick is None or self.now - self.last_tick > TICK_LATE


def record_tick(uow: UnitOfWork, at: datetime, items_done: int, published: int) -> None:
    """Keep when the dispatch job last finished a tick (one row, updated; two schedulers
    ticking at once both succeed, the later write stays)."""
    values = {"at": at, "items_done": items_done, "published": published}
    with uow:
        changed = uow.session.execute(
            update(SchedulerTick).where(SchedulerTick.job == DISPATCH).values(**values)
        ).rowcount
        if not changed:
            try:
                with uow.session.begin_nested():
                    uow.session.add(SchedulerTick(job=DISPATCH, **values))
            except IntegrityError:  # another scheduler wrote the first row meanwhile
                uow.session.execute(
                    update(SchedulerTick).where(SchedulerTick.job == DISPATCH).values(**values)
                )
        uow.commit()


@logs_refusals("system health")
def system_health(uow: UnitOfWork, actor: Actor, now: datetime) -> Health:
    authorize(actor, Action.OPERATE)  # the operators: the national team
    with uow:
        s = uow.session
        pending = OutboxMessage.done_at.is_(None)
        outbox_pending, outbox_oldest = s.execute(
            select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(pending)
        ).one()
        unpublished = s.scalar(
            select(func.count(OutboxMessage.id)).where(pending, OutboxMessage.sent_at.is_(None))
        )
        due_overdue, due_oldest = s.execute(
            select(func.count(DueItem.id), func.min(DueItem.due_at)).where(
                DueItem.done_at.is_(None), DueItem.cancelled_at.is_(None), DueItem.due_at <= now
            )
        ).one()
        dead, dead_oldest = s.execute(
            select(func.count(DeadLetter.id), func.min(DeadLetter.created_at)).where(
                DeadLetter.retried_at.is_(None)
            )
        ).one()
        tick = s.get(SchedulerTick, DISPATCH)
        return Health(
            now=now,
            outbox_pending=outbox_pending,
            outbox_unpublished=unpublished or 0,
            outbox_oldest=outbox_oldest,
            due_overdue=due_overdue,
            due_oldest=due_oldest,
            dead_letters=dead,
            dead_letter_oldest=dead_oldest,
            last_tick=tick.at if tick else None,
            last_tick_items=tick.items_done if tick else 0,
            last_tick_published=tick.published if tick else 0,
        )
