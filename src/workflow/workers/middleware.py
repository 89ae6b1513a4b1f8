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
- ``DeadLetters`` keeps every rejected message in the ``dead_letters`` table (permanent
  failures, retries exhausted, unknown actor): Redis' own dead-letter queue expires, ours
  does not, and ``workflow dead-letters retry`` re-drives it.

The actors and services close their own sessions (``with uow:``), so no middleware has to.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from dramatiq.middleware import Middleware, SkipMessage

from workflow.clock import Clock
from workflow.db.driver import HotStatement
from workflow.db.uow import UnitOfWork
from workflow.services import dead_letters

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
        # The error's text may quote an address (an SMTP refusal does): it is kept in the
        # dead letter and the email log; the log says what kind of failure it was.
        kind = type(exception).__name__ if exception is not None else "no such actor"
        logger.warning("dead-lettered message %s: %s", message.message_id, kind)


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
