"""Building the message broker of a process: Redis in production, in-process when embedded.

``make_broker(runtime)`` is called once per process, by ``Runtime.broker`` (nothing is
built at import). It takes the runtime rather than the bare settings because the
middleware (start counting, dead letters) and the actors need its database and clock.

- ``WORKFLOW_BROKER_URL`` set: a ``RedisBroker``. Worker processes consume it
  (``runner.serve``); any other process only publishes. A worker that dies leaves its
  unacknowledged messages in its Redis ack set; they are put back on the queue by
  dramatiq's maintenance, which runs on ``worker_maintenance_chance`` in a million Redis
  commands of any live worker and requeues the messages of workers whose heartbeat is
  older than ``worker_heartbeat_timeout_ms`` (a live worker's consumer threads poll, and
  so beat, at least once a second).
- unset (the embedded default): an ``InProcessBroker``, dramatiq's StubBroker consumed
  by worker threads of this same process, started here. Its messages live in memory:
  what is still queued when the process ends (a delayed retry, say) is lost, though
  its effect's row (``email_log``) still says pending. Production uses Redis.

The broker is also set as dramatiq's global broker, here and only here.

``enqueue_all`` is how the outbox relay publishes a batch: on Redis in one pipelined round
trip (``BatchingRedisBroker``), elsewhere one message at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import dramatiq
import redis
from dramatiq import Broker, Worker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.errors import QueueJoinTimeout
from dramatiq.message import Message
from dramatiq.middleware import Retries, TimeLimit

from workflow.workers.actors import Handler, declare_actors
from workflow.workers.middleware import DeadLetters, LogContext, StartCounter

if TYPE_CHECKING:
    from collections.abc import Mapping

    from workflow.runtime import Runtime

logger = logging.getLogger(__name__)


class InProcessBroker(StubBroker):
    """A StubBroker whose messages are handled by worker threads of this same process."""

    def __init__(self, *, middleware, threads: int):
        super().__init__(middleware=middleware)
        # Consumers are added as queues get declared, so the worker may start first.
        self.worker = Worker(self, worker_threads=threads, worker_timeout=100)

    def start(self) -> None:
        self.worker.start()

    def close(self, drain_seconds: float = 10) -> None:
        """Let what is queued finish (for a while), then stop the worker threads."""
        for queue_name in list(self.queues):
            if queue_name in self.delay_queues:
                continue
            try:
                self.join(queue_name, timeout=int(drain_seconds * 1000))
            except QueueJoinTimeout:
                logger.warning(
                    "in-process broker: messages still queued on %r are dropped", queue_name
                )
        self.worker.stop(timeout=int(drain_seconds * 1000))


class BatchingRedisBroker(RedisBroker):
    """dramatiq's Redis broker, able to enqueue many messages in one round trip.

    Every Redis command of dramatiq's broker is one call of its Lua script
    (``scripts["dispatch"]``). Here that script is wrapped so that, in a thread inside
    ``enqueue_all``, its calls are queued on a Redis pipeline, sent together at the end;
    every other thread (the consumers' fetch and ack) calls it directly, as before. The
    messages are the ones ``enqueue`` makes, each with dramatiq's own middleware hooks.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pipelines = threading.local()
        script = self.scripts["dispatch"]

        def dispatch(keys=None, args=None, client=None):
            pipeline = getattr(self._pipelines, "current", None)
            return script(keys=keys, args=args, client=pipeline or client)

        self.scripts["dispatch"] = dispatch

    def enqueue_all(self, messages: Sequence[Message]) -> None:
        """Enqueue ``messages``; a Redis error (connection lost) may leave some enqueued."""
        with self.client.pipeline(transaction=False) as pipeline:
            self._pipelines.current = pipeline
            try:
                for message in messages:
                    self.enqueue(message)
            finally:
                self._pipelines.current = None
            pipeline.execute()


def enqueue_all(broker: Broker, messages: Sequence[Message]) -> None:
    """Publish ``messages`` in order: batched where the broker can, else one by one."""
    if isinstance(broker, BatchingRedisBroker):
        broker.enqueue_all(messages)
        return
    for message in messages:
        broker.enqueue(message)


def make_broker(runtime: Runtime, *, handlers: Mapping[str, Handler] | None = None) -> Broker:
    """The broker for this process, with middleware and actors (``handlers``: tests only)."""
    settings = runtime.settings
    middleware = [
        LogContext(),
        StartCounter(runtime.uow, runtime.clock, settings.worker_max_crashes),
        TimeLimit(),
        Retries(
            max_retries=settings.worker_max_retries,
            min_backoff=settings.worker_min_backoff_ms,
            max_backoff=settings.worker_max_backoff_ms,
        ),
        DeadLetters(runtime.uow, runtime.clock),
    ]
    broker: Broker
    if settings.broker_url:
        # Our own client: fail fast (no hidden retry loop) when Redis is down, so that the
        # relay notices, keeps its rows pending and tries again on its next tick.
        client = redis.Redis.from_url(
            settings.broker_url, socket_connect_timeout=5, socket_timeout=30
        )
        broker = BatchingRedisBroker(
            client=client,
            middleware=middleware,
            heartbeat_timeout=settings.worker_heartbeat_timeout_ms,
            maintenance_chance=settings.worker_maintenance_chance,
        )
    else:
        broker = InProcessBroker(middleware=middleware, threads=settings.worker_threads)
    declare_actors(broker, runtime, handlers)
    # Starts what middleware runs beside the workers (TimeLimit's watchdog thread).
    broker.emit_after("process_boot")
    if isinstance(broker, InProcessBroker):
        broker.start()
    dramatiq.set_broker(broker)
    return broker


def close_broker(broker: Broker) -> None:
    """Release what ``make_broker`` built: worker threads, connections."""
    broker.close()
    if isinstance(broker, RedisBroker):
        broker.client.close()
