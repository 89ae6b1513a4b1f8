"""Outbox -> relay -> Redis -> worker threads -> sender, in one process, on both databases.

Duplicates send once; transient failures are retried; permanent ones and exhausted retries
become dead letters, which the CLI lists and re-drives.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from dramatiq.message import Message
from sqlalchemy import func, select

from tests.integration._workers_support import (
    RecordingSender,
    emit_emails,
    flush_redis,
    render_for_tests,
    serving,
    wait_for,
)
from workflow.bootstrap import bootstrap
from workflow.cli.main import cli
from workflow.config import Settings
from workflow.db.models import DeadLetter, EmailLog, MessageAttempt, OutboxMessage
from workflow.errors import PermanentDeliveryError, TransientDeliveryError
from workflow.services import staff
from workflow.services.outbox import SEND_EMAIL
from workflow.workers.relay import relay_once


@pytest.fixture
def runtime(database_url, redis_url, clock, tmp_path):
    """A runtime on Redis with the test renderer, a recording sender and quick retries."""
    flush_redis(redis_url)
    settings = Settings(
        database_url=database_url,
        broker_url=redis_url,
        mail_dir=tmp_path / "mail",
        worker_threads=4,
        worker_max_retries=3,
        worker_min_backoff_ms=10,
        worker_max_backoff_ms=50,
    )
    rt = bootstrap(settings, clock=clock)
    rt.renderer = render_for_tests
    rt.sender = RecordingSender()
    yield rt
    rt.close()


def scalar(runtime, statement):
    with runtime.uow() as uow:
        return uow.session.scalar(statement)


def email_status(runtime, key):
    return scalar(runtime, select(EmailLog.status).where(EmailLog.idempotency_key == key))


def dead_letter_count(runtime):
    return scalar(runtime, select(func.count()).select_from(DeadLetter))


def starts(runtime, message_id):
    return scalar(
        runtime, select(MessageAttempt.attempts).where(MessageAttempt.message_id == message_id)
    )


def run_cli(runtime, *args):
    if not hasattr(runtime, "token"):
        runtime.token = staff.init(runtime.uow(), "ops@ncetm.example", "Ops", runtime.clock.now())
    env = {"WORKFLOW_DATABASE_URL": runtime.settings.database_url, "WORKFLOW_TOKEN": runtime.token}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_same_message_twice_and_a_duplicate_row_send_one_email(runtime):
    (key,) = emit_emails(runtime, 1)
    assert relay_once(runtime) == 1
    # The same message again (a relay whose commit failed after publishing) ...
    first_id = scalar(runtime, select(func.min(OutboxMessage.id)))
    broker = runtime.broker
    actor = broker.get_actor(SEND_EMAIL)
    with runtime.uow() as uow:
        payload = uow.session.get(OutboxMessage, first_id).payload
    broker.enqueue(
        Message(
            queue_name=actor.queue_name,
            actor_name=SEND_EMAIL,
            args=(payload,),
            kwargs={},
            options={},
            message_id=f"outbox-{first_id}",
        )
    )
    # ... and a second outbox row carrying the same email key.
    with runtime.uow() as uow:
        uow.session.add(
            OutboxMessage(topic=SEND_EMAIL, payload=payload, created_at=runtime.clock.now())
        )
        uow.commit()

    with serving(runtime):
        wait_for(lambda: starts(runtime, f"outbox-{first_id}") == 2, what="both copies")
        wait_for(lambda: starts(runtime, f"outbox-{first_id + 1}") == 1, what="the second row")
        broker.join("emails", timeout=10_000)

    assert runtime.sender.keys() == {key: 1}
    assert email_status(runtime, key) == "sent"


def test_a_transient_failure_is_retried_then_delivered_once(runtime):
    (key,) = emit_emails(runtime, 1, to="flaky@school.example")
    runtime.sender.failures["flaky@school.example"] = [
        TransientDeliveryError("421 busy"),
        TransientDeliveryError("421 still busy"),
    ]

    with serving(runtime):
        wait_for(lambda: email_status(runtime, key) == "sent", what="the email to be sent")

    assert runtime.sender.keys() == {key: 1}
    row_attempts = scalar(runtime, select(EmailLog.attempts).where(EmailLog.idempotency_key == key))
    assert row_attempts == 3
    assert dead_letter_count(runtime) == 0


def test_exhausted_retries_end_in_the_dead_letters(runtime):
    (key,) = emit_emails(runtime, 1, to="down@school.example")
    runtime.sender.failures["down@school.example"] = [TransientDeliveryError("421 busy")] * 10

    with serving(runtime):
        wait_for(lambda: dead_letter_count(runtime) == 1, what="a dead letter")

    with runtime.uow() as uow:
        letter = uow.session.scalars(select(DeadLetter)).one()
        assert letter.actor == SEND_EMAIL
        assert letter.error == "TransientDeliveryError: 421 busy"
        assert letter.attempts == 4  # the first try and max_retries=3 retries
        assert letter.args["args"][0]["key"] == key
    assert runtime.sender.sent == []
    assert email_status(runtime, key) == "dead"  # marked with the dead letter: show says so


def test_a_permanent_failure_is_dead_lettered_listed_and_retried_once(runtime):
    (key,) = emit_emails(runtime, 1, to="gone@school.example")
    runtime.sender.failures["gone@school.example"] = [PermanentDeliveryError("550 no such user")]

    with serving(runtime):
        wait_for(lambda: dead_letter_count(runtime) == 1, what="a dead letter")
        assert email_status(runtime, key) == "dead"
        assert runtime.sender.sent == []

        (listed,) = json.loads(run_cli(runtime, "dead-letters", "list", "--json"))
        assert listed["actor"] == SEND_EMAIL
        assert listed["error"] == "PermanentDeliveryError: 550 no such user"
        assert listed["attempts"] == 1
        assert listed["payload"]["key"] == key
        assert listed["retried_at"] is None

        # The address was fixed (the sender's failures are used up): send it again.
        output = run_cli(runtime, "dead-letters", "retry", str(listed["id"]), "--json")
        assert json.loads(output) == {"retried": [listed["id"]]}
        wait_for(lambda: email_status(runtime, key) == "sent", what="the retried email")

    assert runtime.sender.keys() == {key: 1}
    assert json.loads(run_cli(runtime, "dead-letters", "list", "--json")) == []
    (retried,) = json.loads(run_cli(runtime, "dead-letters", "list", "--all", "--json"))
    assert retried["retried_at"] is not None
