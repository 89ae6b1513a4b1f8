"""A small cohort end to end: services -> outbox -> Redis -> worker -> real templates -> a
real SMTP server on 127.0.0.1. Exactly the expected emails arrive: count, recipients,
subjects; a redelivered message adds nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration._workers_support import flush_redis, serving, wait_for
from tests.integration.conftest import ADMIN, build_world
from tests.smtp_server import SmtpTestServer
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import EmailLog, MessageAttempt, OutboxMessage
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import REMINDER, default_handlers
from workflow.services import staff
from workflow.services.specialists import transition
from workflow.workers.relay import relay_once

REMINDERS = {REMINDER: default_handlers()[REMINDER]}


@pytest.fixture
def smtp():
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def runtime(database_url, redis_url, clock, smtp, tmp_path):
    flush_redis(redis_url)
    settings = Settings(
        database_url=database_url,
        broker_url=redis_url,
        smtp_url=smtp.url(),
        worker_threads=4,
    )
    rt = bootstrap(settings, clock=clock)
    yield rt
    rt.close()


def test_a_small_cohort_sends_exactly_the_expected_emails(runtime, clock, smtp):
    world = build_world(runtime, clock)
    staff.add_staff(runtime.uow(), ADMIN, "lead@north.example", "Lee Lead", "hub_lead", "north",
                    clock.now())  # fmt: skip
    ada, ben, cal = world.nominate(3)
    for sid, triggers in ((ada, ["select"]), (ben, ["select", "withdraw"]), (cal, ["decline"])):
        for trigger in triggers:
            transition(runtime.uow(), ADMIN, sid, trigger, clock.now(), reason="as decided")
    # The head's launch invitation is the school's (issue 15): one, the next working day,
    # naming the school's specialists still going (Ben has withdrawn by then).
    dispatch_due(runtime, REMINDERS, now=clock.now() + timedelta(days=1))

    with serving(runtime):
        wait_for(lambda: len(smtp.messages) >= 17, what="17 emails")
        wait_for(lambda: _all_sent(runtime), what="every email marked sent")
        # A message delivered again (the same outbox row published twice) sends nothing new.
        with runtime.uow() as uow:
            uow.session.execute(
                OutboxMessage.__table__.update()
                .values(sent_at=None)
                .where(OutboxMessage.id == uow.session.scalar(select(OutboxMessage.id).limit(1)))
            )
            uow.commit()
        assert relay_once(runtime) == 1
        wait_for(lambda: _all_sent(runtime), what="the duplicate handled")

    received = [(m.rcpt_tos[0], m.message["Subject"]) for m in smtp.messages]
    assert len(received) == 17
    by_recipient = Counter(to for to, _ in received)
    assert by_recipient == {
        "teacher0.100001@school.example": 3,  # nominated, selected, launch invitation
        "teacher1.100001@school.example": 4,  # ... and withdrawn
        "teacher2.100001@school.example": 2,  # nominated, not selected
        "head@north.example": 8,  # a copy of each, but one launch invitation for the school
    }
    subjects = Counter(subject for _, subject in received)
    assert len(subjects) >= 7  # distinct messages, not one repeated
    assert all(subject and "\n" not in subject for subject in subjects)
    launch = [s for to, s in received if to == "head@north.example" and "launch" in s.lower()]
    assert len(launch) == 1
    heads = [m for m in smtp.messages if m.rcpt_tos == ["head@north.example"]]
    assert all(m.message["Reply-To"] and "lead@north.example" in m.message["Reply-To"]
               for m in heads)  # fmt: skip


def _starts(runtime, message_id: str) -> int:
    with runtime.uow() as uow:
        return (
            uow.session.scalar(
                select(MessageAttempt.attempts).where(MessageAttempt.message_id == message_id)
            )
            or 0
        )


def _all_sent(runtime) -> bool:
    with runtime.uow() as uow:
        statuses = set(uow.session.scalars(select(EmailLog.status)))
        pending = uow.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))
        )
    return statuses == {"sent"} and pending is None
