"""The outbox relay: publishes committed outbox rows as dramatiq messages, each row once.

``relay_once`` claims a batch of pending rows (``sent_at IS NULL``) in id order, in one
transaction: on PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED``, so that relays
running side by side (one per worker process, and the scheduler's tick) take disjoint
batches; on SQLite the engine opens every transaction with ``BEGIN IMMEDIATE``, so the
claiming transaction holds the one write lock and relays take turns. It marks the rows
sent, publishes them, and commits only after the broker took every message. When the
broker is down, the transaction rolls back: the rows stay pending, one line is logged,
and the next call tries again. Nothing is lost.

A row always becomes the message id ``outbox-<row id>``. If the commit fails after the
publish, the row is published again later under the same id; the effects are idempotent
by their own keys, so the second copy changes nothing.

Published is not done: a row is done when its effect is recorded (``done_at``, see
``services/outbox.py`` and the ``OutboxEffects`` middleware). ``reconcile_once`` takes,
with the same row locks, rows published more than ``outbox_redeliver_after_s`` ago (60 s
by default) and not done; those whose message the broker no longer holds (Redis restarted
empty or failed over, an in-process broker that died with its queue) are published again
and counted in one WARNING line. Rows the broker still holds (a backlog, a delayed retry)
are left alone and looked at again one bound later; their ``sent_at`` is renewed, so the
row lock and that renewal are the lease that keeps two relays from re-publishing one row.
The bound is short because the broker check keeps a slow queue from being duplicated; it
only has to cover a publish in flight. A lost email is therefore sent within the bound
plus one reconcile period (a quarter of the bound), about 75 s with the defaults; a
second copy, should one ever race, changes nothing (effects are idempotent by key).

``relay_forever`` is the loop a worker process runs in a daemon thread.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import dramatiq.errors
import redis.exceptions
from dramatiq import Broker
from dramatiq.message import Message
from sqlalchemy import select, update

from workflow.db.bulk import among
from workflow.db.models import OutboxMessage
from workflow.services import outbox
from workflow.workers.broker import enqueue_all, held

if TYPE_CHECKING:
    from workflow.runtime import Runtime

logger = logging.getLogger(__name__)

BATCH = 500
INTERVAL_SECONDS = 0.5

#: What a broker that is down raises while publishing.
BROKER_DOWN = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    dramatiq.errors.ConnectionError,
)


message_id = outbox.message_id


def relay_once(runtime: Runtime, limit: int = BATCH) -> int:
    """Publish up to ``limit`` pending outbox rows; returns how many were published."""
    broker = runtime.broker
    with runtime.uow() as uow:
        # Plain columns and one UPDATE for the batch: loading and flushing ORM objects
        # cost more than publishing.
        rows = uow.session.execute(
            select(OutboxMessage.id, OutboxMessage.topic, OutboxMessage.payload)
            .where(OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0
        messages = [_message(broker, row.id, row.topic, row.payload) for row in rows]
        uow.session.execute(
            update(OutboxMessage)
            .where(among(uow.session, OutboxMessage.id, [row.id for row in rows]))
            .values(sent_at=runtime.clock.now(), attempts=OutboxMessage.attempts + 1)
        )
        try:
            enqueue_all(broker, messages)
        except BROKER_DOWN as exc:
            logger.warning(
                "outbox relay: broker unavailable (%s); %d messages stay pending",
                _first_line(exc),
                len(rows),
            )
            return 0
        uow.commit()
    return len(rows)


def reconcile_once(runtime: Runtime, limit: int = BATCH) -> int:
    """Publish again rows relayed over a bound ago, not done, that the broker lost;
    returns how many were published again."""
    broker = runtime.broker
    now = runtime.clock.now()
    cutoff = now - timedelta(seconds=runtime.settings.outbox_redeliver_after_s)
    with runtime.uow() as uow:
        rows = uow.session.execute(
            select(OutboxMessage.id, OutboxMessage.topic, OutboxMessage.payload)
            .where(OutboxMessage.done_at.is_(None), OutboxMessage.sent_at < cutoff)
            .order_by(OutboxMessage.sent_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0
        still = held(broker, [message_id(row.id) for row in rows])
        lost = [row for row in rows if message_id(row.id) not in still]
        uow.session.execute(
            update(OutboxMessage)
            .where(among(uow.session, OutboxMessage.id, [row.id for row in rows]))
            .values(sent_at=now)
        )
        if lost:
            uow.session.execute(
                update(OutboxMessage)
                .where(among(uow.session, OutboxMessage.id, [row.id for row in lost]))
                .values(attempts=OutboxMessage.attempts + 1)
            )
            try:
                enqueue_all(broker, [_message(broker, r.id, r.topic, r.payload) for r in lost])
            except BROKER_DOWN as exc:
                logger.warning(
                    "outbox reconciler: broker unavailable (%s); %d lost messages wait",
                    _first_line(exc),
                    len(lost),
                )
                return 0
        uow.commit()
    if lost:
        logger.warning(
            "outbox reconciler: published again %d messages relayed over %s s ago whose"
            " effect is not recorded and which the broker no longer holds",
            len(lost),
            f"{runtime.settings.outbox_redeliver_after_s:g}",
        )
    return len(lost)


def relay_forever(
    runtime: Runtime,
    stop: threading.Event,
    *,
    interval: float = INTERVAL_SECONDS,
    limit: int = BATCH,
) -> None:
    """Relay until ``stop`` is set: at once while batches come full, else every ``interval``;
    reconcile every quarter of the re-publish bound."""
    period = runtime.settings.outbox_redeliver_after_s / 4
    next_reconcile = time.monotonic() + period
    while not stop.is_set():
        relayed = 0
        try:
            relayed = relay_once(runtime, limit)
            if time.monotonic() >= next_reconcile:
                next_reconcile = time.monotonic() + period
                while reconcile_once(runtime, limit) == limit:
                    pass
        except Exception as exc:  # the database is down, say: keep trying, quietly
            logger.warning("outbox relay: %s: %s", type(exc).__name__, _first_line(exc))
        if relayed < limit:
            stop.wait(interval)


def start_relay_thread(runtime: Runtime, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(
        target=relay_forever, args=(runtime, stop), name="outbox-relay", daemon=True
    )
    thread.start()
    return thread


def _message(broker: Broker, row_id: int, topic: str, payload: dict) -> Message:
    actor = broker.get_actor(topic)
    return Message(
        queue_name=actor.queue_name,
        actor_name=actor.actor_name,
        args=(payload,),
        kwargs={},
        options={},
        message_id=message_id(row_id),
    )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
