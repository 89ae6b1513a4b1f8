"""The Redis broker's batched enqueue: one round trip for the batch, other threads untouched."""

from __future__ import annotations

import threading

import redis
from dramatiq.message import Message
from dramatiq.middleware import Middleware

from tests.integration._workers_support import flush_redis
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.workers.broker import BatchingRedisBroker


def message(n: int) -> Message:
    return Message(
        queue_name="emails",
        actor_name="send_email",
        args=({"n": n},),
        kwargs={},
        options={},
        message_id=f"outbox-{n}",
    )


def waiting_ids(client: redis.Redis) -> list[str]:
    """The dramatiq message ids waiting on the emails queue, in queue order."""
    redis_ids = client.lrange("dramatiq:emails", 0, -1)
    return [Message.decode(client.hget("dramatiq:emails.msgs", i)).message_id for i in redis_ids]


class _MeanwhileInAnotherThread(Middleware):
    """Halfway through the batch, another thread enqueues one message of its own and
    reports what Redis held once it was done."""

    def __init__(self, client: redis.Redis):
        self.client = client
        self.seen: list[str] | None = None

    def before_enqueue(self, broker, message, delay):
        if message.message_id != "outbox-100" or self.seen is not None:
            return

        def other() -> None:
            broker.enqueue(message_from_elsewhere)
            self.seen = waiting_ids(self.client)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()


message_from_elsewhere = message(999)


def test_a_batch_arrives_whole_in_order_and_other_threads_are_not_caught_in_it(
    database_url, redis_url
):
    flush_redis(redis_url)
    runtime = bootstrap(Settings(database_url=database_url, broker_url=redis_url))
    client = redis.Redis.from_url(redis_url)
    try:
        broker = runtime.broker
        assert isinstance(broker, BatchingRedisBroker)
        meanwhile = _MeanwhileInAnotherThread(client)
        broker.add_middleware(meanwhile)

        broker.enqueue_all([message(n) for n in range(1, 201)])

        # The other thread's message went straight to Redis; the first 99 of the batch were
        # not there yet: they were still waiting in the pipeline, to be sent in one go.
        assert meanwhile.seen == ["outbox-999"]
        assert waiting_ids(client) == ["outbox-999", *(f"outbox-{n}" for n in range(1, 201))]
        # The same thread enqueues directly again once the batch is done.
        broker.enqueue(message(1000))
        assert waiting_ids(client)[-1] == "outbox-1000"
    finally:
        client.close()
        runtime.close()
