"""The scheduler down across an event: on restart no reminder of the past event goes out;
each is marked expired, counted, and ``show`` says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.integration.conftest import ADMIN
from workflow.db.models import DueItem, OutboxMessage
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import REMINDER
from workflow.services.specialists import transition
from workflow.services.views import show


def test_reminders_of_a_launch_that_passed_while_the_scheduler_was_down_expire(world):
    rt, clock = world.runtime, world.clock
    [sid] = world.nominate(1)
    transition(rt.uow(), ADMIN, sid, "select", clock.now())  # June 2025: reminders planned

    # Down from 20 August 2025 to 20 January 2026: the launch (30 September 2025) passed.
    back = datetime(2026, 1, 20, 10, tzinfo=UTC)
    report = dispatch_due(rt, now=back)

    # 14 and 2 days before, specialist and head, and the head's invitation (the school's,
    # due the next working day: issue 15)
    assert report.expired[REMINDER] == 5
    assert report.done[REMINDER] == 0
    with rt.uow() as uow:
        templates = [p["template"] for p in uow.session.scalars(select(OutboxMessage.payload))]
    assert "launch_reminder" not in templates
    shown = show(rt.uow(), ADMIN, sid)["reminders"]
    launch = [r for r in shown if r["template"] == "launch_reminder"]
    # the specialist's own (the head's are the school's)
    assert len(launch) == 2 and {r["status"] for r in launch} == {"expired"}
    assert all("had begun" in r["why"] and "2026-01-20" in r["why"] for r in launch)


def test_a_late_reminder_still_worth_sending_says_the_days_actually_left(world):
    rt, clock = world.runtime, world.clock
    [sid] = world.nominate(1)
    transition(rt.uow(), ADMIN, sid, "select", clock.now())
    event_day = _launch_day(rt, sid)
    # Nine days before the launch: the 14-day reminder is late but useful (9 >= 14 / 2).
    nine_before = datetime(event_day.year, event_day.month, event_day.day, 8, tzinfo=UTC)
    nine_before -= timedelta(days=9)
    report = dispatch_due(rt, now=nine_before)
    # the 14-day reminder to the specialist and to the head, and the head's invitation
    assert report.done[REMINDER] == 3 and not report.expired
    with rt.uow() as uow:
        sent = [
            p["extra"]["days_before"]
            for p in uow.session.scalars(select(OutboxMessage.payload))
            if p["template"] == "launch_reminder"
        ]
    assert sent == [9, 9]  # "in 9 days", not "in 14 days"


def _launch_day(rt, sid):
    with rt.uow() as uow:
        item = uow.session.scalars(
            select(DueItem).where(DueItem.key.like(f"reminder:{sid}:launch_reminder:%"))
        ).first()
    return datetime.fromisoformat(item.payload["extra"]["event"]["starts_at"]).date()
