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
  so beat, at least once a second while they have room to prefetch). The defaults, 20 s
  and one in ten commands, bring a killed worker's messages back within about 25 s
  (``bench/bench_worker_takeover.py`` measures it); dramatiq's own, 60 s and one in a
  thousand, took about 2.5 minutes.
- unset (the embedded default): an ``InProcessBroker``, dramatiq's StubBroker consumed
  by worker threads of this same process, started here. Its messages live in memory: on a
  clean stop it lets the queue drain for a while, then hands what is left back to the
  outbox (the rows become pending again, for the next process to publish); after a crash
  the relay's reconciler publishes them again. Production uses Redis.

``held(broker, message_ids)`` says which of the messages the broker still holds (queued,
delayed or being handled): the relay's reconciler publishes again only rows whose
message the broker lost.

The broker is also set as dramatiq's global broker, here and only here.

``enqueue_all`` is how the outbox relay publishes a batch: on Redis in one pipelined round
trip (``BatchingRedisBroker``), elsewhere one message at a time.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from uuid import uuid4

import dramatiq
import redis
from dramatiq import Broker, Worker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import current_millis, dq_name
from dramatiq.errors import QueueJoinTimeout
from dramatiq.message import Message
from dramatiq.middleware import Middleware, Retries, TimeLimit

from workflow.services import outbox
from workflow.workers.actors import Handler, declare_actors
from workflow.workers.log_privacy import hide_message_args
from workflow.workers.middleware import (
    DeadLetters,
    LogContext,
    OutboxEffects,
    RetryLog,
    StartCounter,
    install_quiet_worker_log,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from workflow.runtime import Runtime

logger = logging.getLogger(__name__)


class _Held(Middleware):
    """Counts, per message id, the copies an in-process broker holds (queued, delayed or in
    hand): +1 when enqueued (a retry enqueues its delayed copy), -1 when acked or rejected."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def after_enqueue(self, broker, message, delay):
        with self.lock:
            self.counts[message.message_id] += 1

    def _release(self, broker, message):
        with self.lock:
            self.counts[message.message_id] -= 1
            if self.counts[message.message_id] <= 0:
                del self.counts[message.message_id]

    after_ack = after_nack = _release

    def ids(self) -> set[str]:
        with self.lock:
            return set(self.counts)


class InProcessBroker(StubBroker):
    """A StubBroker whose messages are handled by worker threads of this same process.

    ``hand_back`` (set by ``make_broker``) is given the ids of the messages still held when
    the broker closes, so that their outbox rows become pending again.
    """

    def __init__(self, *, middleware, threads: int):
        self.held_messages = _Held()
        super().__init__(middleware=[*middleware, self.held_messages])
        # Consumers are added as queues get declared, so the worker may start first.
        self.worker = Worker(self, worker_threads=threads, worker_timeout=100)
        self.hand_back: Callable[[list[str]], int] | None = None
        self._closed = False

    def start(self) -> None:
        self.worker.start()

    def close(self, drain_seconds: float = 10) -> None:
        """Let what is queued finish (for a while), stop the worker threads, and hand back
        to the outbox what is still held. A second call does nothing."""
        if self._closed:
            return
        self._closed = True
        for queue_name in list(self.queues):
            if queue_name in self.delay_queues:
                continue
            try:
                self.join(queue_name, timeout=int(drain_seconds * 1000))
            except QueueJoinTimeout:
                break
        self.worker.stop(timeout=int(drain_seconds * 1000))
        left = sorted(self.held_messages.ids())
        if left and self.hand_back is not None:
            handed = self.hand_back(left)
            logger.warning(
                "in-process broker stopped with %d messages queued; %d handed back to the"
                " outbox, published again by the next worker",
                len(left),
                handed,
            )
        elif left:
            logger.warning("in-process broker stopped with %d messages queued", len(left))


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

    def enqueue(self, message, *, delay=None):
        """dramatiq's ``RedisBroker.enqueue``, with one change: the id each copy has in Redis
        (unique, as a retry enqueues the message again) starts with the message's own id,
        so that ``held`` can tell which messages Redis holds from the keys of its hashes."""
        queue_name = message.queue_name
        message = message.copy(options={"redis_message_id": f"{message.message_id}/{uuid4()}"})
        if delay is not None:
            queue_name = dq_name(queue_name)
            message = message.copy(queue_name=queue_name, options={"eta": current_millis() + delay})
        self.emit_before("enqueue", message, delay)
        self.do_enqueue(queue_name, message.options["redis_message_id"], message.encode())
        self.emit_after("enqueue", message, delay)
        return message

    def held_ids(self) -> set[str]:
        """The ids of the messages Redis holds: queued, delayed, or fetched and not acked."""
        hashes = [
            f"{self.namespace}:{name}.msgs"
            for queue in self.get_declared_queues()
            for name in (queue, dq_name(queue))
            if not queue.endswith(".DQ")
        ]
        with self.client.pipeline(transaction=False) as pipeline:
            for key in hashes:
                pipeline.hkeys(key)
            found = pipeline.execute()
        return {key.decode().partition("/")[0] for keys in found for key in keys}

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


def held(broker: Broker, message_ids: Sequence[str]) -> set[str]:
    """Those of ``message_ids`` the broker still holds: queued, delayed or being handled.

    Redis keeps each message in its queue's ``.msgs`` hash (or the delay queue's) until it
    is acknowledged, including while a worker, alive or dead, holds it, under a key that
    starts with the message id (``BatchingRedisBroker.enqueue``): one pipelined round trip
    reads the keys (called only when rows are overdue, so rarely). A broker of another kind
    is taken to hold them all.
    """
    if not message_ids:
        return set()
    if isinstance(broker, InProcessBroker):
        return broker.held_messages.ids() & set(message_ids)
    if not isinstance(broker, BatchingRedisBroker):
        return set(message_ids)
    return broker.held_ids() & set(message_ids)


def make_broker(runtime: Runtime, *, handlers: Mapping[str, Handler] | None = None) -> Broker:
    """The broker for this process, with middleware and actors (``handlers``: tests only)."""
    settings = runtime.settings
    install_quiet_worker_log()
    middleware = [
        LogContext(),
        StartCounter(runtime.uow, runtime.clock, settings.worker_max_crashes),
        OutboxEffects(runtime.uow, runtime.clock),
        RetryLog(),
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
        broker.hand_back = lambda ids: _hand_back(runtime, ids)
    hide_message_args(declare_actors(broker, runtime, handlers).values())
    # Starts what middleware runs beside the workers (TimeLimit's watchdog thread).
    broker.emit_after("process_boot")
    if isinstance(broker, InProcessBroker):
        broker.start()
    dramatiq.set_broker(broker)
    return broker


def _hand_back(runtime: Runtime, message_ids: list[str]) -> int:
    row_ids = [r for r in map(outbox.row_id_of, message_ids) if r is not None]
    with runtime.uow() as uow:
        handed = outbox.hand_back(uow.session, row_ids)
        uow.commit()
    return handed


def close_broker(broker: Broker) -> None:
    """Release what ``make_broker`` built: worker threads, connections."""
    broker.close()
    if isinstance(broker, RedisBroker):
        broker.client.close()


def redis_unreachable(url: str, timeout: float = 1.0) -> str | None:
    """Why the Redis at ``url`` does not answer a PING within ``timeout`` seconds, or None
    when it does (the system health page). The reason names the error's kind only: a
    connection error's text may hold the URL and its password."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        return type(exc).__name__
    finally:
        client.close()
    return None
