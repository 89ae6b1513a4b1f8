"""Every notification rendered from the payload its real producer writes, not its sample.

A small cohort is walked through every path that writes an email (nomination, selection,
decline, withdrawal, deferral, reminders, funding releases, year starts, a specialist stuck
at a year start, the termly digests and national summary, a member of staff's invitation
and password reset) on the simulated clock; then
each queued payload is turned into the finished email exactly as a worker would
(``services.emails.compose`` with the real renderer). Each registered notification must
have been produced and rendered.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from importlib.resources import files

import pytest
from sqlalchemy import select, update

from tests.integration._workers_support import RecordingSender
from tests.integration.conftest import ADMIN
from workflow.db.models import Hub, OutboxMessage, Statement
from workflow.errors import InvalidInput
from workflow.notify.notifications import REGISTRY
from workflow.notify.render import render_email
from workflow.scheduler.simulation import simulate
from workflow.services import changes, setup, staff, staff_links
from workflow.services.emails import compose, deliver
from workflow.services.outbox import SEND_EMAIL
from workflow.services.specialists import record_milestone, transition


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, tzinfo=UTC)


def test_every_notification_renders_from_its_producers_payload(world, tmp_path):
    rt, clock = world.runtime, world.clock
    # Cohort 9 is paid per day recorded (statements); a copy paid in fixed instalments
    # produces the instalment notices (issue 15 keeps both bases).
    shipped = (files("workflow.states") / "rules" / "cohort-9.toml").read_text()
    instalments = tmp_path / "cohort-19.toml"
    instalments.write_text(
        shipped.replace('name = "cohort-9"', 'name = "cohort-19"')
        .replace("cohort = 9", "cohort = 19")
        .replace('basis = "days"', 'basis = "instalments"')
    )
    setup.add_cohort(rt.uow(), ADMIN, 19, str(instalments))
    setup.allocate(rt.uow(), ADMIN, "north", 19, 2)
    (paid_in_instalments,) = world.nominate(cohort=19, email="inst@school.example")
    transition(rt.uow(), ADMIN, paid_in_instalments, "select", clock.now())
    staff.add_staff(rt.uow(), ADMIN, "lead@north.example", "Lee Lead", "hub_lead", "north",
                    clock.now(), invite_base_url="http://127.0.0.1:8000")  # fmt: skip
    staff_links.request_reset(rt.uow(), "lead@north.example", "http://127.0.0.1:8000", clock.now())
    staff.add_staff(rt.uow(), ADMIN, "team@ncetm.example", "Nat Team", "national_admin", None,
                    clock.now())  # fmt: skip
    done, stuck, withdrawn, deferred, declined = world.nominate(5)
    for sid in (done, stuck, withdrawn, deferred):
        transition(rt.uow(), ADMIN, sid, "select", clock.now())
    transition(rt.uow(), ADMIN, declined, "decline", clock.now(), reason="Places were full.")

    def until(day: date) -> None:
        simulate(rt, clock.now(), at(day), drain=None)

    def record(sid: int, kind: str, **kw) -> None:
        record_milestone(rt.uow(), ADMIN, sid, kind, clock.now(), **kw)

    until(date(2025, 9, 30))
    record(done, "launch_attended")
    until(date(2025, 10, 16))
    record(done, "central_day", half_days=11)
    setup.add_school(rt.uow(), ADMIN, urn="100002", name="North Grammar", hub_code="north",
                     phase="secondary", funding="state", head_name="Sam Head",
                     head_email="head@grammar.example")  # fmt: skip
    changes.move(rt.uow(), ADMIN, deferred, "100002", "Took a post at North Grammar.", clock.now())
    transition(rt.uow(), ADMIN, withdrawn, "withdraw", clock.now(), reason="Left the school.")
    transition(rt.uow(), ADMIN, deferred, "defer", clock.now(), reason="Leave for a year.")
    until(date(2026, 3, 12))  # the instalment of 15 January was released
    transition(rt.uow(), ADMIN, paid_in_instalments, "withdraw", clock.now(), reason="Moved.")
    record(done, "development_day", half_days=4)
    until(date(2027, 4, 1))  # the March accreditation reminder goes out first
    record(done, "accreditation")
    with rt.uow() as uow:  # a broken row: the daily funding check tells the national admins
        uow.session.execute(update(Statement).values(total_pence=Statement.total_pence + 1))
        uow.commit()
    simulate(rt, clock.now(), datetime(2027, 10, 31, 23, tzinfo=UTC), drain=None)

    with rt.uow() as uow:
        connection = uow.connection()
        payloads = connection.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.topic == SEND_EMAIL)
            .order_by(OutboxMessage.id)
        ).all()
        rendered: Counter = Counter()
        stuck_emails, digests = [], []
        for payload in payloads:
            email = compose(connection, render_email, payload, clock.now(), rt.settings.mail_from)
            if email is None:  # a role without an address (no finance contact): skipped
                continue
            rendered[payload["template"]] += 1
            if payload["template"] == "stuck_specialists":
                stuck_emails.append(email.message())
            if payload["template"] == "term_digest":
                digests.append(email.message())

    assert set(rendered) == set(REGISTRY), set(REGISTRY) - set(rendered)
    # The hub lead's list of who could not move on, readable and addressed to them.
    assert len(stuck_emails) == 1
    message = stuck_emails[0]
    assert message["To"] == "lead@north.example"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "North Maths Hub, Cohort 9" in text
    assert "Teacher 1 (North Academy)" in text
    assert "Dear Lee Lead" in text
    assert digests and all(m["To"] == "lead@north.example" for m in digests)
    assert any("behind" in m["Subject"] for m in digests)


def test_the_old_stuck_specialists_payload_is_refused_in_one_line(world):
    """What `_stuck_emails` used to write (``extra.cohort = 9`` hiding the cohort record):
    refused before anything is recorded or sent, with a reason naming the field."""
    rt = world.runtime
    with rt.uow() as uow:
        hub_id = uow.session.scalar(select(Hub.id).where(Hub.code == "north"))
    payload = {
        "key": "-:stuck_specialists:hub_lead:old",
        "template": "stuck_specialists",
        "specialist_id": None,
        "to": "hub_lead",
        "extra": {"hub_id": hub_id, "cohort": 9, "specialists": []},
    }
    sender = RecordingSender()
    with pytest.raises(InvalidInput) as refused:
        deliver(rt.uow(), render_email, sender, payload, world.clock.now(), "m@hub.example")
    assert str(refused.value) == "email 'stuck_specialists': extra may not replace cohort"
    assert sender.sent == []
