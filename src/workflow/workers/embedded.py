"""The embedded default's worker: the in-process broker, driven from this same process.

- ``run_embedded(runtime)`` (``workflow run``): the in-process broker's worker threads
  start with the broker; this adds the outbox relay thread and returns a stopper.
- ``drain(runtime)`` (``workflow simulate`` and ``make demo``): relay every pending outbox
  row and wait until the broker's queues are empty and the rows' effects are recorded, so
  that each simulated tick's emails happen, through the very same actors, before the
  clock moves on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from workflow.workers.middleware import OutboxEffects
from workflow.workers.relay import relay_once, start_relay_thread

if TYPE_CHECKING:
    from workflow.runtime import Runtime


def run_embedded(runtime: Runtime) -> Callable[[], None]:
    """Start relaying into the in-process broker; the returned callable stops it."""
    runtime.broker  # noqa: B018  (built on first use: starts the worker threads)
    stop = threading.Event()
    relay = start_relay_thread(runtime, stop)

    def stopper() -> None:
        stop.set()
        relay.join()

    return stopper


def drain(runtime: Runtime) -> int:
    """Relay and handle everything pending, and record each row's effect (the outbox's
    done marks are otherwise written in the background); returns how many rows were
    relayed."""
    broker = runtime.broker
    total = 0
    while True:
        relayed = relay_once(runtime)
        total += relayed
        for queue in list(broker.get_declared_queues()):
            broker.join(queue)
        if not relayed:
            for middleware in broker.middleware:
                if isinstance(middleware, OutboxEffects):
                    middleware.flush()
            return total
