"""dramatiq's log records name a message by actor and id, never with its arguments."""

from __future__ import annotations

import logging

from dramatiq.message import Message

from workflow.workers.log_privacy import FILTER, hide_message_args

PAYLOAD = {"template": "withdrawal_confirmed", "extra": {"reason": "Ada Lovelace moved"}}


def message() -> Message:
    return Message(
        queue_name="emails", actor_name="send_email", args=(PAYLOAD,), kwargs={}, options={},
        message_id="outbox-7",
    )  # fmt: skip


def test_a_failed_message_is_logged_by_actor_and_id(caplog):
    hide_message_args([])
    logger = logging.getLogger("dramatiq.worker.WorkerThread")
    with caplog.at_level(logging.DEBUG):
        logger.error("Failed to process message %s with unhandled exception.", message())
        logger.warning("Message %s was skipped.", message())
    assert "send_email:outbox-7" in caplog.text
    assert "Ada" not in caplog.text and "reason" not in caplog.text


def test_an_actors_arguments_are_not_logged(caplog):
    logger = logging.getLogger("workflow.workers.actors.probe")
    logger.addFilter(FILTER)
    try:
        with caplog.at_level(logging.DEBUG):
            logger.debug("Received args=%r kwargs=%r.", (PAYLOAD,), {})
    finally:
        logger.removeFilter(FILTER)
    assert "Received a message" in caplog.text and "Ada" not in caplog.text


def test_an_exception_quoting_an_address_is_logged_without_it(caplog):
    hide_message_args([])
    logger = logging.getLogger("dramatiq.worker.WorkerThread")
    address = "ada" + "@school.example"  # not written whole: the traceback quotes this line
    try:
        raise ValueError(f"SMTP refused the recipient for now ({address}: 451 later)")
    except ValueError:
        with caplog.at_level(logging.DEBUG):
            logger.error("Failed to process message %s.", message(), exc_info=True)
    assert "ValueError: SMTP refused the recipient for now ([address]: 451 later)" in caplog.text
    assert "ada@" not in caplog.text
