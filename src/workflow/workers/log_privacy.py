"""Keeping message arguments out of dramatiq's log records.

dramatiq writes a message *with its arguments* into some log records: every message
received (DEBUG, ``dramatiq.worker.WorkerThread``), a message skipped (WARNING) or failed
(ERROR), and an actor's arguments (DEBUG, the actor's own logger). Our arguments are
outbox payloads, which may carry a reason a member of staff typed, naming someone. The
filter rewrites those records, as they are made, to name the message by actor and id
(``send_email:outbox-42``), which is what a log needs to find it in the database. A failure
logged with its exception (a retried SMTP refusal quotes the address) has the addresses in
the exception's text replaced by ``[address]``; the full text is in the email log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from dramatiq import Actor
from dramatiq.broker import MessageProxy
from dramatiq.message import Message

ACTOR_ARGS = "Received args=%r kwargs=%r."
WORKER_LOGGERS = ("dramatiq.worker.WorkerThread",)
ADDRESS = re.compile(r"[^\s<>(),;:'\"]+@[^\s<>(),;:'\"]+")


def _ref(value: object) -> object:
    if isinstance(value, Message | MessageProxy):
        return f"{value.actor_name}:{value.message_id}"
    return value


class HideMessageArgs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == ACTOR_ARGS:
            record.msg, record.args = "Received a message (arguments not logged).", ()
        elif isinstance(record.args, tuple):
            record.args = tuple(_ref(arg) for arg in record.args)
        if record.exc_info and record.exc_info[1] is not None:
            kind, error, trace = record.exc_info
            if ADDRESS.search(str(error)):
                masked = RuntimeError(f"{kind.__name__}: {ADDRESS.sub('[address]', str(error))}")
                record.exc_info, record.exc_text = (RuntimeError, masked, trace), None
        return True


FILTER = HideMessageArgs()


def hide_message_args(actors: Iterable[Actor]) -> None:
    """Install the filter on the worker threads' logger and on each actor's (idempotent)."""
    for name in WORKER_LOGGERS:
        logging.getLogger(name).addFilter(FILTER)
    for actor in actors:
        actor.logger.addFilter(FILTER)
