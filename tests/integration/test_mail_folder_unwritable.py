"""A mail folder that cannot be written: the email is retried, then dead-lettered with the
reason, and ``show``'s email list says it is dead. Nothing is dropped; one traceback at most
(when it is dead-lettered), one WARNING line per retried attempt."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select

from tests.integration._workers_support import emit_emails, render_for_tests, serving, wait_for
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import DeadLetter, EmailLog, OutboxMessage


def test_an_unwritable_mail_folder_dead_letters_the_email_with_the_reason(
    database_url, clock, caplog
):
    settings = Settings(
        database_url=database_url,
        mail_dir=Path("/proc/x/mail"),  # cannot be made, even by root
        worker_threads=2,
        worker_max_retries=2,
        worker_min_backoff_ms=10,
        worker_max_backoff_ms=20,
    )
    runtime = bootstrap(settings, clock=clock)
    runtime.renderer = render_for_tests  # the real FileSender from the settings
    try:
        [key] = emit_emails(runtime, 1)
        with caplog.at_level(logging.INFO), serving(runtime):
            wait_for(lambda: _dead_letters(runtime), what="the dead letter")
    finally:
        runtime.close()

    [letter] = _dead_letters(runtime)
    assert "cannot write to the mail folder /proc/x/mail" in letter.error
    with runtime.uow() as uow:
        email = uow.session.scalars(select(EmailLog).where(EmailLog.idempotency_key == key)).one()
        outbox_row = uow.session.scalars(select(OutboxMessage)).one()
    assert email.status == "dead" and "mail folder" in email.last_error
    assert outbox_row.done_at is not None  # the dead letter is its recorded effect

    retried = [r for r in caplog.records if "retried later" in r.getMessage()]
    assert len(retried) == 2  # one line per failed attempt that was retried
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in retried)
    # One traceback, when the message goes for good: its frames and the error's kind, not
    # the error's text (which may quote an address; it is kept in the dead letter).
    [dead] = [r for r in caplog.records if "dead-lettered" in r.getMessage()]
    assert 'File "' in dead.getMessage() and "TransientDeliveryError" in dead.getMessage()
    assert not any(r.exc_info for r in caplog.records)


def _dead_letters(runtime) -> list[DeadLetter]:
    with runtime.uow() as uow:
        return list(uow.session.scalars(select(DeadLetter)))
