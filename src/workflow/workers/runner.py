"""Running workers: one process consumes messages and relays the outbox until told to stop.

``serve`` is the body of a worker: a dramatiq ``Worker`` with ``worker_threads`` threads
(the in-process broker brings its own) and the outbox relay in a daemon thread. ``run``
adds the signal handling (SIGTERM and SIGINT stop it gracefully: the relay stops, the
messages in hand are finished, the prefetched ones go back to the queue).
``run_processes`` is ``workflow worker``: it starts P processes, each bootstrapped by the
entry point (``cli/worker.py``), and stops them all on a signal, or
when one of them dies (a supervisor, docker's restart policy say, starts it all again).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dramatiq import Worker

from workflow.errors import WorkflowError
from workflow.workers.broker import InProcessBroker
from workflow.workers.middleware import MessageRefFilter
from workflow.workers.relay import start_relay_thread

if TYPE_CHECKING:
    from workflow.runtime import Runtime

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def serve(runtime: Runtime, stop: threading.Event) -> None:
    """Consume messages and relay the outbox until ``stop`` is set."""
    broker = runtime.broker
    worker = None
    if not isinstance(broker, InProcessBroker):
        worker = Worker(broker, worker_threads=runtime.settings.worker_threads)
        worker.start()
    relay = start_relay_thread(runtime, stop)
    logger.info("worker ready: %d threads", runtime.settings.worker_threads)
    try:
        while not stop.wait(1):
            pass
    finally:
        stop.set()
        relay.join()
        if worker is not None:
            worker.stop()
        logger.info("worker stopped")


def run(runtime: Runtime) -> None:
    """``serve`` until SIGTERM or SIGINT, then close the runtime."""
    stop = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stop.set())
    try:
        serve(runtime, stop)
    finally:
        runtime.close()


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MessageRefFilter())
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s worker[%(process)d] %(levelname)s %(name)s [%(message_ref)s] %(message)s"
        )
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def run_processes(
    count: int, target: Callable[[dict[str, Any]], None], overrides: dict[str, Any]
) -> None:
    """Start ``count`` processes running ``target(overrides)`` (the entry point's worker
    body, which bootstraps its own runtime and calls ``run``); return when a signal
    stopped them all."""
    stopping = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stopping.set()) for signum in STOP_SIGNALS}
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=target, args=(overrides,), name=f"worker-{n}")
        for n in range(1, count + 1)
    ]
    died = None
    try:
        for process in processes:
            process.start()
        while died is None and not stopping.wait(0.5):
            died = next((p for p in processes if p.exitcode is not None), None)
        for process in processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        for process in processes:
            process.join()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if died is not None:
        raise WorkflowError(
            f"worker process {died.name} exited with code {died.exitcode}; stopped the others"
        )
