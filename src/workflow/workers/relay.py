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

``relay_forever`` is the loop a worker process runs in a daemon thread.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import dramatiq.errors
import redis.exceptions
from dramatiq import Broker
from dramatiq.message import Message
from sqlalchemy import select, update

from workflow.db.bulk import among
from workflow.db.models import OutboxMessage
from workflow.workers.broker import enqueue_all

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


def message_id(row_id: int) -> str:
    return f"outbox-{row_id}"


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


def relay_forever(
    runtime: Runtime,
    stop: threading.Event,
    *,
    interval: float = INTERVAL_SECONDS,
    limit: int = BATCH,
) -> None:
    """Relay until ``stop`` is set: at once while batches come full, else every ``interval``."""
    while not stop.is_set():
        try:
            relayed = relay_once(runtime, limit)
        except Exception as exc:  # the database is down, say: keep trying, quietly
            logger.warning("outbox relay: %s: %s", type(exc).__name__, _first_line(exc))
            relayed = 0
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
