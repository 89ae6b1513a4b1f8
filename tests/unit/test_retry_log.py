"""Retries are logged once per attempt on one WARNING line, without an address; dramatiq's
own per-attempt traceback is dropped (its exact record only)."""

from __future__ import annotations

import logging

from dramatiq.broker import MessageProxy
from dramatiq.message import Message

from workflow.workers.middleware import DRAMATIQ_FAILED, QuietWorkerLog, RetryLog


def proxy() -> MessageProxy:
    message = Message(
        queue_name="emails", actor_name="send_email", args=({},), kwargs={},
        options={"retries": 2}, message_id="outbox-9",
    )  # fmt: skip
    return MessageProxy(message)


def test_a_retried_attempt_is_one_warning_line_without_the_address(caplog):
    error = RuntimeError("451 4.2.1 <ada@school.example>: mailbox busy\nmore detail")
    with caplog.at_level(logging.DEBUG, logger="workflow.workers.middleware"):
        RetryLog().after_process_message(None, proxy(), exception=error)
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    text = record.getMessage()
    assert "\n" not in text and "ada@" not in text
    assert "outbox-9 (send_email) failed on attempt 2" in text and "[address]" in text


def test_a_failed_message_is_not_logged_for_a_message_dead_lettered_for_good(caplog):
    failed = proxy()
    failed.fail()
    with caplog.at_level(logging.DEBUG, logger="workflow.workers.middleware"):
        RetryLog().after_process_message(None, failed, exception=RuntimeError("x"))
    assert caplog.records == []  # DeadLetters logs that one, with its frames


def test_only_dramatiqs_per_attempt_traceback_is_dropped():
    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("dramatiq.worker.WorkerThread", 40, "", 0, msg, (), None)

    quiet = QuietWorkerLog()
    assert not quiet.filter(record(DRAMATIQ_FAILED))
    assert quiet.filter(record("Failed to process message %s."))
    assert quiet.filter(record("Message %s was skipped."))
