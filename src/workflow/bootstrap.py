"""The composition root: the one place that wires a process together.

Each entry point (a CLI command, a worker process, the scheduler, the web application)
calls ``bootstrap()`` once and passes the ``Runtime`` down. Nothing below the entry points
imports this module; it is the only module that knows which broker a process uses.
"""

from __future__ import annotations

from workflow.clock import Clock, FixedClock, SystemClock
from workflow.config import Settings, load_settings
from workflow.runtime import Runtime


def _make_broker(runtime: Runtime):
    # Imported on first use: dramatiq, redis and the actors add about 120 ms to the start of
    # every command (measured: `import` of services.specialists 0.32 s, with workers.broker
    # 0.44 s), and most commands never publish a message.
    from workflow.workers.broker import make_broker

    return make_broker(runtime)


def _close_broker(broker) -> None:
    from workflow.workers.broker import close_broker  # loaded already: the broker was built

    close_broker(broker)


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Runtime:
    settings = settings or load_settings()
    if clock is None:
        clock = FixedClock(settings.now) if settings.now else SystemClock()
    return Runtime(
        settings=settings, clock=clock, build_broker=_make_broker, close_broker=_close_broker
    )
