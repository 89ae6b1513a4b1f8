"""Concerns every message shares, as dramatiq middleware: log context, start counting, dead letters.

- ``LogContext`` names the message being handled in every log line written meanwhile.
- ``StartCounter`` counts every start of a message in ``message_attempts``, committed
  before the actor runs, so that a message which kills its worker (SIGKILL, out of memory)
  is counted even though nothing after the start survives. A start that ended with an
  exception is counted by the Retries middleware as a retry; so the starts that never
  ended (crashes) are ``starts - 1 - retries``. When they reach the bound, the message is
  dead-lettered and acknowledged instead of killing one more worker.

  A message handled in another thread when the worker died was killed too, and comes back
  with the culprit. So that such bystanders do not reach the bound along with it, a
  message that has crashed before (a suspect) runs only when no other suspect of this
  process runs; its start is counted only once its turn has come.
- ``OutboxEffects`` records that an outbox message's effect is recorded (``outbox.done_at``)
  once its actor returned, in batches (an actor returning ``outbox.UNFINISHED`` leaves it
  open); a
  dead-lettered message's row is marked done with the dead letter. A row whose message a
  broker lost is never marked, and the relay publishes it again (``relay.reconcile_once``).
- ``RetryLog`` logs one WARNING line per failed attempt that will be retried, and the
  traceback only when the message is dead-lettered (dramatiq's own worker logs a traceback
  at ERROR for every attempt: ``QuietWorkerLog`` drops those records).
- ``DeadLetters`` keeps every rejected message in the ``dead_letters`` table (permanent
  failures, retries exhausted, unknown actor): Redis' own dead-letter queue expires, ours
  does not, and ``workflow dead-letters retry`` re-drives it.

The actors and services close their own sessions (``with uow:``), so no middleware has to.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable

from dramatiq.middleware import Middleware, SkipMessage

from workflow.clock import Clock
from workflow.db.driver import HotStatement
from workflow.db.uow import UnitOfWork
from workflow.services import dead_letters, outbox
from workflow.workers.log_privacy import ADDRESS

logger = logging.getLogger(__name__)

_current = threading.local()


def current_message_ref() -> str:
    """``actor:message_id`` of the message this thread is handling, or ``-``."""
    return getattr(_current, "ref", "-")


class MessageRefFilter(logging.Filter):
    """Adds ``%(message_ref)s`` to log records (installed by the worker process's logging)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.message_ref = current_message_ref()
        return True


class LogContext(Middleware):
    def before_process_message(self, broker, message):
        _current.ref = f"{message.actor_name}:{message.message_id}"

    def after_process_message(self, broker, message, *, result=None, exception=None):
        _current.ref = "-"

    after_skip_message = after_process_message


class StartCounter(Middleware):
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock, max_crashes: int):
        self.uow_factory = uow_factory
        self.clock = clock
        self.max_crashes = max_crashes
        self._suspects = threading.Lock()  # held while a suspect runs
        self._holding = threading.local()

    def before_process_message(self, broker, message):
        retries = message.options.get("retries", 0)
        # One statement counts the start of a message that never crashed. A suspect (a
        # message started more often than it was retried) is not counted by it: it waits
        # for its turn first, because counting first and taking it back while waiting
        # would leave a count behind if the worker died in between (killed by the suspect
        # running), pushing a bystander to the bound.
        starts = self._count(message, unless_suspect_after=retries)
        self._holding.suspect = starts is None
        if starts is None:
            self._suspects.acquire()
            starts = self._count(message)
        crashes = starts - 1 - retries
        if crashes >= self.max_crashes:
            self._dead_letter(message, starts, crashes)
        message.options["starts"] = starts

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if getattr(self._holding, "suspect", False):
            self._holding.suspect = False
            self._suspects.release()

    after_skip_message = after_process_message

    def _count(self, message, unless_suspect_after: int | None = None) -> int | None:
        return count_start(
            self.uow_factory(),
            message.message_id,
            message.actor_name,
            self.clock,
            unless_suspect_after,
        )

    def _dead_letter(self, message, starts: int, crashes: int) -> None:
        error = (
            f"started {starts} times and did not finish {crashes} times"
            " (its worker died each time); not tried again"
        )
        logger.error("dead-lettering message %s: %s", message.message_id, error)
        record_dead_letter(self.uow_factory, self.clock, message, error, starts)
        # Skipped messages are acknowledged: the dead letter is now ours to keep.
        raise SkipMessage(error)


class OutboxEffects(Middleware):
    """Marks outbox rows done once their actor returned, in batches: a background thread
    writes what finished every ``FLUSH_SECONDS`` in one UPDATE (one statement per email
    would cost the hot path a round trip and a commit each). A process that dies loses
    at most that much of the marks; those rows are published again after the bound and
    find their effect recorded (idempotent by key), so nothing is done twice."""

    FLUSH_SECONDS = 0.2

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock):
        self.uow_factory = uow_factory
        self.clock = clock
        self._done: list[int] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time: a caller's waits for any
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is not None or isinstance(result, outbox.Unfinished):
            return
        row_id = outbox.row_id_of(message.message_id)
        if row_id is None:
            return
        with self._lock:
            self._done.append(row_id)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="outbox-effects", daemon=True
                )
                self._thread.start()

    def after_worker_shutdown(self, broker, worker):
        self._stop.set()
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        """Write the marks gathered so far (kept for the next try if the database fails);
        when it returns, every mark gathered before the call is written or kept."""
        with self._flushing:
            with self._lock:
                done, self._done = self._done, []
            if not done:
                return
            try:
                with self.uow_factory() as uow:
                    outbox.mark_many_done(uow.session, done, self.clock.now())
                    uow.commit()
            except Exception as exc:  # the database is down: keep them, say so on one line
                with self._lock:
                    self._done[:0] = done
                logger.warning("outbox effects: %d marks wait: %s", len(done), type(exc).__name__)


DRAMATIQ_FAILED = "Failed to process message %s with unhandled exception."


class QuietWorkerLog(logging.Filter):
    """Drops dramatiq's per-attempt traceback ("Failed to process message ... with unhandled
    exception"): ``RetryLog`` says the same on one line, and the dead letter keeps the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("dramatiq.worker")
            and isinstance(record.msg, str)
            # ...and its note on an actor's result (``outbox.UNFINISHED``, read by
            # OutboxEffects, needs no Results middleware). dramatiq's own words, exactly.
            and (record.msg == DRAMATIQ_FAILED or record.msg.startswith("Actor '"))
        )


def install_quiet_worker_log() -> None:
    """Filter dramatiq's worker loggers (idempotent; called when a broker is built)."""
    for name in ("dramatiq.worker.WorkerThread", "dramatiq.worker._WorkerThread"):
        target = logging.getLogger(name)
        if not any(isinstance(f, QuietWorkerLog) for f in target.filters):
            target.addFilter(QuietWorkerLog())


class RetryLog(Middleware):
    """One WARNING line per failed attempt that will be tried again (no traceback); the
    error's first line with any address in it masked (an SMTP refusal quotes one)."""

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None or message.failed:
            return
        logger.warning(
            "message %s (%s) failed on attempt %d, retried later: %s: %s",
            message.message_id,
            message.actor_name,
            message.options.get("retries", 0),
            type(exception).__name__,
            ADDRESS.sub("[address]", _one_line(exception)),
        )


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else ""


class DeadLetters(Middleware):
    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock):
        self.uow_factory = uow_factory
        self.clock = clock

    def before_nack(self, broker, message):
        # Recorded before the broker forgets the message: a crash in between makes the
        # message come back (and ``record`` keeps one row per message), never lost.
        exception = getattr(message, "_exception", None)
        if exception is None:
            error = f"no actor named {message.actor_name!r} on this worker"
        else:
            error = f"{type(exception).__name__}: {exception}"
        record_dead_letter(
            self.uow_factory, self.clock, message, error, message.options.get("starts", 0)
        )
        # The one traceback of a message's failures, when it goes for good: its frames and
        # the kind of error, not the error's text, which may quote an address (an SMTP
        # refusal does); the text is kept in the dead letter and the email log.
        kind = type(exception).__name__ if exception is not None else "no such actor"
        frames = "".join(traceback.format_tb(exception.__traceback__)) if exception else ""
        logger.error("dead-lettered message %s: %s\n%s", message.message_id, kind, frames)


_COUNT_START = (
    "INSERT INTO message_attempts (message_id, actor, attempts, last_started_at)"
    " VALUES (:message_id, :actor, 1, :now)"
    " ON CONFLICT (message_id) DO UPDATE"
    " SET attempts = message_attempts.attempts + 1,"
    " last_started_at = excluded.last_started_at"
)
_COUNT = HotStatement(_COUNT_START + " RETURNING attempts", timestamps=["now"])
_COUNT_UNLESS_SUSPECT = HotStatement(
    _COUNT_START + " WHERE message_attempts.attempts <= :retries RETURNING attempts",
    timestamps=["now"],
)


def record_dead_letter(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, message, error: str, attempts: int
) -> None:
    """Keep a message that failed for good in the project's dead letters (never expire)."""
    dead_letters.record(
        uow_factory(),
        message_id=message.message_id,
        queue=message.queue_name,
        actor=message.actor_name,
        args=list(message.args),
        kwargs=message.kwargs,
        error=error,
        attempts=attempts,
        now=clock.now(),
    )


def count_start(
    uow: UnitOfWork, message_id: str, actor: str, clock: Clock, retries: int | None = None
) -> int | None:
    """Count one more start of the message (its row created at 1), commit, return the count.

    With ``retries``: only if the message is no suspect, that is, started at most
    ``retries`` times so far (each earlier start ended in an exception and was retried);
    None, counting nothing, if it is one. One upsert, the same on PostgreSQL and SQLite
    (written as SQL: SQLAlchemy's dialect upserts are compiled anew on every call; run on
    the driver's cursor on PostgreSQL, see db/driver.py).
    """
    values = {"message_id": message_id, "actor": actor, "now": clock.now()}
    with uow:
        # On PostgreSQL the one statement commits by itself, without BEGIN and COMMIT round
        # trips. (Not on SQLite, whose engine opens each transaction with BEGIN IMMEDIATE.)
        autocommit = uow.dialect_name == "postgresql"
        connection = uow.connection(**({"isolation_level": "AUTOCOMMIT"} if autocommit else {}))
        if retries is None:
            [(starts,)] = _COUNT.execute(connection, values)
        else:
            counted = _COUNT_UNLESS_SUSPECT.execute(connection, {**values, "retries": retries})
            starts = counted[0][0] if counted else None
        uow.commit()
        return starts
