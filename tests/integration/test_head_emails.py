"""One email per headteacher per event (issue 15 point 7): a school with several
specialists gets one launch invitation and one of each reminder, naming them all."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from tests.integration.conftest import ADMIN
from workflow.db.models import OutboxMessage
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import REMINDER, default_handlers
from workflow.services import emails
from workflow.services.specialists import transition

REMINDERS = {REMINDER: default_handlers()[REMINDER]}


def launch_emails(rt) -> list[dict]:
    with rt.uow() as uow:
        return [
            m.payload
            for m in uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            if m.payload.get("template") in ("launch_invitation", "launch_reminder")
        ]


def test_a_school_with_three_specialists_gets_one_email_per_event_naming_them_all(world):
    rt = world.runtime
    world.clock.set(datetime(2025, 7, 14, 10, tzinfo=UTC))  # a Monday
    ids = world.nominate(3)
    for sid in ids:
        transition(rt.uow(), ADMIN, sid, "select", world.clock.now())
    dispatch_due(rt, REMINDERS, now=datetime(2025, 7, 15, 12, tzinfo=UTC))
    dispatch_due(rt, REMINDERS, now=datetime(2025, 9, 16, 12, tzinfo=UTC))  # 14 days before

    sent = launch_emails(rt)
    to_head = [p for p in sent if p["to"] == "headteacher"]
    assert Counter(p["template"] for p in to_head) == {
        "launch_invitation": 1,
        "launch_reminder": 1,
    }
    assert all(p["extra"]["specialists"] == ["Teacher 0", "Teacher 1", "Teacher 2"]
               for p in to_head)  # fmt: skip
    assert Counter(p["template"] for p in sent if p["to"] == "specialist") == {
        "launch_invitation": 3,
        "launch_reminder": 3,
    }
    with rt.uow() as uow:
        finished = emails.compose(
            uow.connection(), rt.renderer, to_head[0], world.clock.now(), "hub@example.org"
        )
    text = finished.message().get_body(("plain",)).get_content()
    assert "You and Teacher 0 and Teacher 1 and Teacher 2 are warmly invited" in " ".join(
        text.split()
    )

    world.clock.set(datetime(2025, 9, 20, 10, tzinfo=UTC))
    transition(rt.uow(), ADMIN, ids[0], "withdraw", world.clock.now(), reason="left")
    dispatch_due(rt, REMINDERS, now=datetime(2025, 9, 26, 12, tzinfo=UTC))  # 2 days before
    last = [p for p in launch_emails(rt) if p["to"] == "headteacher"][-1]
    assert last["extra"]["days_before"] == 4  # the 2-day reminder, sent Friday 26th
    assert last["extra"]["specialists"] == ["Teacher 1", "Teacher 2"]
