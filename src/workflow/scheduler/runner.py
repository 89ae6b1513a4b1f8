"""The scheduler process: APScheduler 3 runs the dispatch tick; a watchdog keeps it honest.

A second job, ``retention``, applies the personal data retention rules once a day at
``scheduler.retention.RETENTION_TIME`` in the configured zone; its failure is logged and
does not stop the process (it is tried again the next day).

One recurring job, ``dispatch`` (fixed id, ``replace_existing``), runs ``tick`` (claim
and do what is due, relay the outbox) every ``interval`` seconds, first at start-up:
what fell due while the scheduler was down is in ``due_items`` and is done then, once.
``coalesce`` folds runs missed while the process was paused into one; ``max_instances=1``
never lets two ticks of one process overlap; ``misfire_grace_time`` of a week lets a
late run still happen instead of being dropped.

Jobs live in a persistent ``SQLAlchemyJobStore`` on the configured database (table
``apscheduler_jobs``, created by APScheduler itself and left out of the schema
comparison in ``db/migrate.py``: it is APScheduler's table, not ours). A stored job
names its function by import path, so the job calls ``_scheduled_tick`` here, which
runs the tick bound by ``run_scheduler`` in this process.

The process does not live on idle: if a tick raises, or nothing has moved for
``stall_intervals`` intervals (a hung database, say), it logs why and returns exit
code 1, so that its supervisor restarts it. "Moved" is a completed tick or a heartbeat
from the work itself (``runtime.heartbeat``: each due item done, each batch of a cohort
advanced), so a long tick that progresses is not taken for a stall. SIGTERM and SIGINT
stop it cleanly (0).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from workflow.scheduler.dispatch import tick as default_tick
from workflow.scheduler.retention import RETENTION_TIME, run_retention

if TYPE_CHECKING:
    from workflow.runtime import Runtime

logger = logging.getLogger(__name__)

JOB_ID = "dispatch"
RETENTION_JOB_ID = "retention"
JOBSTORE_TABLE = "apscheduler_jobs"
DEFAULT_INTERVAL = 30.0
MISFIRE_GRACE = timedelta(days=7)

# The tick of this process, bound by run_scheduler (a stored job can only name a function).
_bound: Callable[[], Any] | None = None
_bound_retention: Callable[[], Any] | None = None


def _scheduled_tick() -> None:
    if _bound is None:
        raise RuntimeError("the dispatch job ran outside run_scheduler")
    _bound()


def _scheduled_retention() -> None:
    if _bound_retention is None:
        raise RuntimeError("the retention job ran outside run_scheduler")
    _bound_retention()


class Watch:
    """What the watchdog sees: when a tick last completed, and the first failure."""

    def __init__(self) -> None:
        self.last_ok = time.monotonic()
        self.failure: str | None = None
        self.changed = threading.Event()

    def ok(self) -> None:
        self.last_ok = time.monotonic()

    def fail(self, why: str) -> None:
        if self.failure is None:
            self.failure = why
        self.changed.set()


def build_scheduler(runtime: Runtime, interval: float, persistent: bool = True):

    store = (
        SQLAlchemyJobStore(engine=runtime.engine, tablename=JOBSTORE_TABLE)
        if persistent
        else MemoryJobStore()
    )
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": {"type": "threadpool", "max_workers": 1}},
        timezone=runtime.settings.timezone,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
        },
    )
    scheduler.add_job(
        _scheduled_tick,
        "interval",
        seconds=interval,
        id=JOB_ID,
        name="dispatch due items and relay the outbox",
        replace_existing=True,
        # At once, to catch up on what fell due while down. APScheduler keeps its own time on
        # the wall clock; what is due is judged by the runtime's clock inside the tick.
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        _scheduled_retention,
        "cron",
        hour=RETENTION_TIME.hour,
        minute=RETENTION_TIME.minute,
        id=RETENTION_JOB_ID,
        name="apply the personal data retention rules",
        replace_existing=True,
    )
    return scheduler


def run_scheduler(
    runtime: Runtime,
    *,
    tick: Callable[[Runtime], Any] | None = None,
    interval: float = DEFAULT_INTERVAL,
    stall_intervals: int = 4,
    stop: threading.Event | None = None,
    persistent: bool = True,
) -> int:
    """Run until stopped (0) or until a tick fails or stalls (1)."""
    global _bound, _bound_retention
    work = tick or default_tick
    watch = Watch()
    stop = stop or threading.Event()

    def listener(event) -> None:
        if event.job_id != JOB_ID:
            if event.code == EVENT_JOB_ERROR:
                logger.error("%s job failed: %s", event.job_id, event.exception)
            return
        if event.code == EVENT_JOB_EXECUTED:
            watch.ok()
        elif event.code == EVENT_JOB_ERROR:
            watch.fail(
                f"the dispatch job failed: {type(event.exception).__name__}: {event.exception}"
            )
        elif event.code == EVENT_JOB_MISSED:
            logger.warning(
                "dispatch run of %s was missed (caught up by the next)", event.scheduled_run_time
            )

    _bound = lambda: work(runtime)  # noqa: E731
    runtime.heartbeat = watch.ok
    _bound_retention = lambda: run_retention(runtime)  # noqa: E731
    scheduler = build_scheduler(runtime, interval, persistent)
    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: (stop.set(), watch.changed.set()))
    scheduler.start()
    logger.info("scheduler started: dispatch every %ss (%s)", interval, runtime.settings.timezone)
    code = 0
    try:
        while not stop.is_set():
            watch.changed.wait(min(interval, 1.0))
            if watch.failure:
                logger.error(
                    "%s; stopping so that the supervisor restarts the scheduler", watch.failure
                )
                code = 1
                break
            stalled = time.monotonic() - watch.last_ok
            if stalled > stall_intervals * interval:
                logger.error(
                    "no dispatch progress for %.0f s (%d intervals); stopping",
                    stalled,
                    stall_intervals,
                )
                code = 1
                break
    finally:
        scheduler.shutdown(wait=code == 0)
        _bound = _bound_retention = None
    if code == 0:
        logger.info("scheduler stopped")
    return code
