"""The email delivery service on both databases: recipients, once per key, failures recorded."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests import factories
from tests.integration._workers_support import RecordingSender, add_specialist, render_for_tests
from workflow.db.models import EmailLog, Staff
from workflow.errors import (
    InvalidInput,
    NotFound,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from workflow.services.emails import Outcome, deliver
from workflow.services.outbox import email_key


def payload(specialist_id, to="specialist", template="selected", occurrence="1", **extra):
    return {
        "key": email_key(specialist_id, template, to, occurrence),
        "template": template,
        "specialist_id": specialist_id,
        "to": to,
        "extra": extra,
    }


def send(runtime, sender, body, renderer=render_for_tests):
    return deliver(
        runtime.uow(), renderer, sender, body, runtime.clock.now(), runtime.settings.mail_from
    )


def log_row(runtime, key) -> EmailLog:
    with runtime.uow() as uow:
        row = uow.session.scalars(select(EmailLog).where(EmailLog.idempotency_key == key)).one()
        uow.session.expunge(row)
        return row


def test_sends_once_per_key_and_records_the_send(runtime):
    specialist_id = add_specialist(runtime)
    sender = RecordingSender()
    body = payload(specialist_id)

    assert send(runtime, sender, body) is Outcome.SENT
    assert send(runtime, sender, body) is Outcome.ALREADY_SENT

    assert sender.keys() == {body["key"]: 1}
    row = log_row(runtime, body["key"])
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 1, "test-1")
    assert row.sent_at == runtime.clock.now()


def test_recipient_roles_resolve_to_addresses(runtime):
    with runtime.uow() as uow:
        school = factories.add_school(
            uow.session, head_email="head@a.example", finance_email="money@a.example"
        )
        specialist = factories.add_specialist(
            uow.session, runtime.clock.now(), school=school, email="sam@a.example"
        )
        for n, email in enumerate(["lead1@hub.example", "lead2@hub.example"]):
            uow.session.add(
                Staff(
                    email=email,
                    name=f"Lead {n}",
                    role="hub_lead",
                    hub_id=school.hub_id,
                    token_hash="x",
                    token_lookup=f"lookup{n}-{school.id}",
                    created_at=runtime.clock.now(),
                )
            )
        uow.commit()
    sender = RecordingSender()
    for to in ("specialist", "headteacher", "finance", "hub_lead", "someone@else.example"):
        assert send(runtime, sender, payload(specialist.id, to=to)) is Outcome.SENT

    assert [to for _, to in sender.sent] == [
        "sam@a.example",
        "head@a.example",
        "money@a.example",
        "lead1@hub.example, lead2@hub.example",
        "someone@else.example",
    ]


def test_a_school_without_finance_contact_is_skipped_quietly(runtime):
    specialist_id = add_specialist(runtime, finance_email=None)
    sender = RecordingSender()
    body = payload(specialist_id, to="finance")

    assert send(runtime, sender, body) is Outcome.SKIPPED
    assert send(runtime, sender, body) is Outcome.SKIPPED
    assert sender.sent == []
    assert log_row(runtime, body["key"]).status == "skipped"


def test_context_carries_the_records_and_the_extra(runtime):
    specialist_id = add_specialist(runtime)
    seen = {}

    def renderer(template, context, *, to, sender, **headers):
        seen.update(context)
        return render_for_tests(template, context, to=to, sender=sender, **headers)

    send(runtime, RecordingSender(), payload(specialist_id, amount_pence=120000), renderer)

    assert seen["specialist"]["id"] == specialist_id
    assert set(seen["school"]) >= {"urn", "name", "head_name", "head_email"}
    assert seen["hub"]["code"].startswith("hub-")
    assert seen["cohort"]["start_date"] == "2025-09-01"
    assert seen["amount_pence"] == 120000


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (payload(999_999), NotFound),
        (payload(None, to="headteacher"), InvalidInput),
        (payload(None, to="the-bursar"), InvalidInput),
    ],
)
def test_payloads_that_can_never_be_sent_are_refused(runtime, body, error):
    with pytest.raises(error):
        send(runtime, RecordingSender(), body)


def test_transient_failure_is_counted_and_left_pending(runtime):
    specialist_id = add_specialist(runtime)
    body = payload(specialist_id, to="x@y.example")
    sender = RecordingSender()
    sender.failures["x@y.example"] = [TransientDeliveryError("421 try later")]

    with pytest.raises(TransientDeliveryError):
        send(runtime, sender, body)
    row = log_row(runtime, body["key"])
    assert (row.status, row.attempts) == ("pending", 1)
    assert "421 try later" in row.last_error

    assert send(runtime, sender, body) is Outcome.SENT
    assert log_row(runtime, body["key"]).attempts == 2
    assert sender.keys() == {body["key"]: 1}


def test_permanent_failure_marks_the_email_dead(runtime):
    specialist_id = add_specialist(runtime)
    body = payload(specialist_id, to="nobody@y.example")
    sender = RecordingSender()
    sender.failures["nobody@y.example"] = [PermanentDeliveryError("550 no such user")]

    with pytest.raises(PermanentDeliveryError):
        send(runtime, sender, body)

    assert log_row(runtime, body["key"]).status == "dead"
    assert send(runtime, sender, body) is Outcome.DEAD
    assert sender.sent == []


def test_concurrent_deliveries_of_one_key_send_once(runtime):
    specialist_id = add_specialist(runtime)
    body = payload(specialist_id)
    sender = RecordingSender(delay=0.2)
    outcomes = []

    def one() -> None:
        outcomes.append(send(runtime, sender, body))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sender.keys() == {body["key"]: 1}
    assert outcomes.count(Outcome.SENT) == 1
    # PostgreSQL: the others find the row locked; SQLite: they wait for it and find it sent.
    assert set(outcomes) - {Outcome.SENT} <= {Outcome.IN_FLIGHT, Outcome.ALREADY_SENT}
