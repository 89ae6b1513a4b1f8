"""Two relays side by side (threads, each with its own engine and broker) publish each row once."""

from __future__ import annotations

import threading
from collections import Counter

import redis
from dramatiq.message import Message
from sqlalchemy import func, select

from tests.integration._workers_support import flush_redis
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import OutboxMessage
from workflow.services.outbox import SEND_EMAIL, emit
from workflow.workers.relay import relay_once

ROWS = 600


def published_message_ids(redis_url: str) -> Counter[str]:
    """Every message waiting in Redis, by dramatiq message id."""
    client = redis.Redis.from_url(redis_url)
    try:
        counts: Counter[str] = Counter()
        for data in client.hvals("dramatiq:emails.msgs"):
            counts[Message.decode(data).message_id] += 1
        return counts
    finally:
        client.close()


def test_two_relays_publish_every_row_exactly_once(database_url, redis_url, clock):
    flush_redis(redis_url)
    settings = Settings(database_url=database_url, broker_url=redis_url)
    runtimes = [bootstrap(settings, clock=clock) for _ in range(2)]
    with runtimes[0].uow() as uow:
        for n in range(ROWS):
            emit(uow.session, SEND_EMAIL, {"n": n}, clock.now())
        uow.commit()
    start = threading.Barrier(2)
    relayed = [0, 0]

    def relay(index: int) -> None:
        start.wait()
        while count := relay_once(runtimes[index], limit=25):
            relayed[index] += count

    threads = [threading.Thread(target=relay, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with runtimes[0].uow() as uow:
        ids = list(uow.session.scalars(select(OutboxMessage.id)))
        pending = uow.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None)))
        attempts = set(uow.session.scalars(select(OutboxMessage.attempts)))
    for runtime in runtimes:
        runtime.close()

    assert pending == 0
    assert attempts == {1}
    assert sum(relayed) == ROWS
    assert published_message_ids(redis_url) == Counter({f"outbox-{i}": 1 for i in ids})
