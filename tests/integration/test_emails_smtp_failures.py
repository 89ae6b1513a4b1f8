"""The real SMTP sender, as bootstrap builds it, through a real worker on Redis, against an SMTP
server that refuses for a while: 451 is retried and then delivered; 550 is dead-lettered,
listed, and delivered once by a dead-letter retry when the server accepts again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration._workers_support import emit_emails, flush_redis, serving, wait_for
from tests.integration.conftest import ADMIN
from tests.smtp_server import SmtpTestServer
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import DeadLetter, EmailLog
from workflow.notify.smtp import SmtpSender
from workflow.services import dead_letters
from workflow.services.emails import message_id_for


@pytest.fixture
def smtp():
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def runtime(database_url, redis_url, clock, smtp):
    flush_redis(redis_url)
    settings = Settings(
        database_url=database_url,
        broker_url=redis_url,
        smtp_url=smtp.url(),
        worker_threads=2,
        worker_max_retries=5,
        worker_min_backoff_ms=10,
        worker_max_backoff_ms=50,
    )
    rt = bootstrap(settings, clock=clock)
    assert isinstance(rt.sender, SmtpSender)
    yield rt
    rt.close()


def email_row(runtime, key) -> tuple[str, int, str | None]:
    with runtime.uow() as uow:
        row = uow.session.execute(
            select(EmailLog.status, EmailLog.attempts, EmailLog.last_error).where(
                EmailLog.idempotency_key == key
            )
        ).first()
        return tuple(row) if row else (None, 0, None)


def dead_letter_count(runtime) -> int:
    with runtime.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(DeadLetter))


def message_ids(smtp) -> list[str]:
    return [received.message["Message-ID"] for received in smtp.messages]


def test_451_for_a_while_is_retried_then_delivered_once(runtime, smtp):
    (key,) = emit_emails(runtime, 1)
    smtp.fail(451, stage="rcpt", times=2)  # greylisted twice, then accepted

    with serving(runtime):
        wait_for(lambda: email_row(runtime, key)[0] == "sent", what="the email to be sent")

    assert message_ids(smtp) == [message_id_for(key, runtime.settings.mail_from)]
    assert email_row(runtime, key) == ("sent", 3, None)  # two refusals, then the send
    assert dead_letter_count(runtime) == 0


def test_550_is_dead_lettered_listed_and_delivered_once_by_a_retry(runtime, smtp, clock):
    (key,) = emit_emails(runtime, 1)
    smtp.fail(550, stage="rcpt")  # until reset

    with serving(runtime):
        wait_for(lambda: dead_letter_count(runtime) == 1, what="a dead letter")
        (letter,) = dead_letters.list_dead_letters(runtime.uow(), ADMIN)
        assert letter.payload["key"] == key
        assert letter.error.startswith("PermanentDeliveryError: SMTP refused the recipient")
        assert "550" in letter.error
        assert letter.attempts == 1  # not retried: a 5xx will not change by itself
        status, attempts, error = email_row(runtime, key)
        assert (status, attempts) == ("dead", 1) and "550" in error
        assert smtp.messages == []

        smtp.reset()  # the mailbox exists now: the server accepts
        assert dead_letters.retry(runtime.uow(), ADMIN, clock.now(), letter.id) == [letter.id]
        wait_for(lambda: email_row(runtime, key)[0] == "sent", what="the retried email")

    assert message_ids(smtp) == [message_id_for(key, runtime.settings.mail_from)]
    assert dead_letters.list_dead_letters(runtime.uow(), ADMIN) == []
