"""Due items on both databases: scheduled once, claimed once, done once, cancelled for good."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.models import DueItem, OutboxMessage, Specialist
from workflow.notify.notifications import notification
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import REMINDER, Handler, default_handlers, reminder_item
from workflow.services import due
from workflow.services.specialists import transition

T0 = datetime(2025, 9, 1, 8, tzinfo=UTC)
ONLY_REMINDERS = {REMINDER: Handler(reminder_item, in_transaction=True)}


def reminder(key: str, due_at: datetime, template: str = "central_event_reminder") -> dict:
    extra = notification(template).payload_extra(notification(template).sample())
    payload = {"template": template, "specialist_id": None, "to": "specialist", "extra": extra}
    return due.row(key, REMINDER, due_at, payload)


def add(runtime, *rows, revive=False) -> None:
    with runtime.uow() as uow:
        due.schedule_many(uow.session, list(rows), revive=revive)
        uow.commit()


def items(runtime) -> dict[str, DueItem]:
    with runtime.uow() as uow:
        return {i.key: i for i in uow.session.scalars(select(DueItem))}


def outbox_keys(runtime) -> Counter:
    with runtime.uow() as uow:
        return Counter(p["key"] for p in uow.session.scalars(select(OutboxMessage.payload)))


def test_scheduling_twice_keeps_one_row(runtime):
    add(runtime, reminder("r:1", T0))
    add(runtime, reminder("r:1", T0 + timedelta(days=3)), reminder("r:2", T0))
    rows = items(runtime)
    assert sorted(rows) == ["r:1", "r:2"]
    assert rows["r:1"].due_at == T0  # the first scheduling stands


def test_cancel_by_prefix_takes_only_that_prefix_and_only_pending(runtime, clock):
    add(runtime, reminder("reminder:1:a", T0), reminder("reminder:1:b", T0))
    add(runtime, reminder("reminder:12:a", T0), reminder("reminder:1_x", T0))
    dispatch_due(runtime, ONLY_REMINDERS, now=T0)  # all four done ...
    add(runtime, reminder("reminder:1:c", T0 + timedelta(days=1)))  # ... one more pending
    with runtime.uow() as uow:
        assert due.cancel(uow.session, "reminder:1:", clock.now()) == 1
        uow.commit()
    rows = items(runtime)
    assert rows["reminder:1:c"].cancelled_at is not None
    assert all(rows[k].cancelled_at is None for k in rows if k != "reminder:1:c")


def test_a_cancelled_item_revives_only_when_asked(runtime, clock):
    add(runtime, reminder("r:1", T0))
    with runtime.uow() as uow:
        due.cancel(uow.session, "r:", clock.now())
        uow.commit()
    add(runtime, reminder("r:1", T0))
    assert items(runtime)["r:1"].cancelled_at is not None
    add(runtime, reminder("r:1", T0), revive=True)
    assert items(runtime)["r:1"].cancelled_at is None


def test_claims_are_exclusive_until_stale(runtime):
    add(runtime, reminder("r:1", T0), reminder("r:2", T0 + timedelta(hours=1)))
    with runtime.uow() as uow:
        first = due.claim_due(uow.session, T0, 10)
        uow.commit()
    assert [c.key for c in first] == ["r:1"]  # r:2 is not due yet
    with runtime.uow() as uow:
        assert due.claim_due(uow.session, T0 + timedelta(seconds=60), 10) == []
        uow.commit()
    # The first dispatcher died (its lease is not renewed); after 90 s r:1 is taken again.
    later = T0 + timedelta(hours=1)
    with runtime.uow() as uow:
        again = due.claim_due(uow.session, later, 10)
        uow.commit()
    assert sorted(c.key for c in again) == ["r:1", "r:2"]


def test_a_scheduler_down_across_the_due_date_does_it_once_when_back(runtime):
    add(runtime, reminder("r:1", datetime(2025, 9, 10, 8, tzinfo=UTC)))
    assert dispatch_due(runtime, ONLY_REMINDERS, now=T0).total == 0
    # Five days down: late, but within what a reminder without an event may be late by
    # (services.reminders.LATE_LIMIT; test_stale_reminders has the ones that expire).
    back = datetime(2025, 9, 15, 12, tzinfo=UTC)
    assert dispatch_due(runtime, ONLY_REMINDERS, now=back).total == 1
    assert dispatch_due(runtime, ONLY_REMINDERS, now=back + timedelta(days=1)).total == 0
    assert outbox_keys(runtime) == {"-:central_event_reminder:specialist:r:1": 1}
    assert items(runtime)["r:1"].done_at == back


def test_a_crash_in_the_work_leaves_neither_the_email_nor_done(runtime):
    add(runtime, reminder("r:1", T0))

    def write_then_crash(session, item, now, tz):
        reminder_item(session, item, now, tz)
        raise RuntimeError("the process dies here")

    with pytest.raises(RuntimeError):
        dispatch_due(runtime, {REMINDER: Handler(write_then_crash, True)}, now=T0)
    assert outbox_keys(runtime) == {}
    assert items(runtime)["r:1"].done_at is None
    # Claimed by the dead dispatcher: left alone while its lease runs, then done once.
    assert dispatch_due(runtime, ONLY_REMINDERS, now=T0 + timedelta(seconds=60)).total == 0
    assert dispatch_due(runtime, ONLY_REMINDERS, now=T0 + timedelta(seconds=100)).total == 1
    assert sum(outbox_keys(runtime).values()) == 1


def test_an_item_cancelled_after_its_claim_is_not_done(runtime, clock):
    add(runtime, reminder("r:1", T0))
    with runtime.uow() as uow:
        [claimed] = due.claim_due(uow.session, T0, 10)
        uow.commit()
    with runtime.uow() as uow:
        due.cancel(uow.session, "r:1", clock.now())
        uow.commit()
    from workflow.scheduler.dispatch import _run

    _run(runtime, ONLY_REMINDERS[REMINDER], claimed, T0)
    assert outbox_keys(runtime) == {}
    assert items(runtime)["r:1"].done_at is None


def test_kinds_without_a_handler_are_left_alone(runtime):
    add(runtime, due.row("x:1", "unknown_kind", T0, {}), reminder("r:1", T0))
    assert dispatch_due(runtime, ONLY_REMINDERS, now=T0).done == {REMINDER: 1}
    assert items(runtime)["x:1"].claimed_at is None


@pytest.mark.postgres
def test_two_schedulers_through_a_term_never_do_an_item_twice(postgres_url, tmp_path):
    """Two dispatchers (separate runtimes, as two processes) step through the autumn term
    together; 600 reminders due at 60 different times each go out exactly once."""
    settings = Settings(database_url=postgres_url, mail_dir=tmp_path / "mail")
    setup = bootstrap(settings, clock=FixedClock(T0))
    add(
        setup,
        *(reminder(f"r:{i}", T0 + timedelta(days=i % 60, hours=i % 7)) for i in range(600)),
    )
    setup.close()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler() -> None:
        runtime = bootstrap(settings, clock=FixedClock(T0))
        try:
            for day in range(62):
                barrier.wait(timeout=30)
                runtime.clock.set(T0 + timedelta(days=day, hours=12))
                dispatch_due(runtime, ONLY_REMINDERS, limit=7)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            runtime.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    check = bootstrap(settings, clock=FixedClock(T0))
    keys = outbox_keys(check)
    with check.uow() as uow:
        pending = uow.session.scalar(select(func.count()).where(DueItem.done_at.is_(None)))
    check.close()
    assert len(keys) == 600 and set(keys.values()) == {1}
    assert pending == 0


def test_cohort_year_starts_move_the_cohort_on_the_first_term_day(world):
    rt = world.runtime
    ids = world.nominate(2)
    for sid in ids:
        transition(rt.uow(), ADMIN, sid, "select", world.clock.now())
    with rt.uow() as uow:
        starts = {
            i.key: i.due_at
            for i in uow.session.scalars(select(DueItem).where(DueItem.kind == "advance_cohort"))
        }
    assert starts == {
        "cohort:9:start_year1": datetime(2025, 9, 3, 8, tzinfo=UTC),  # autumn term, 09:00 BST
        "cohort:9:start_year2": datetime(2026, 9, 2, 8, tzinfo=UTC),  # Wednesday
        "cohort:9:start_work_group": datetime(2027, 9, 1, 8, tzinfo=UTC),
    }
    handlers = default_handlers()
    dispatch_due(rt, handlers, now=datetime(2025, 9, 3, 7, 59, tzinfo=UTC))
    assert _states(rt, ids) == ["selected", "selected"]
    dispatch_due(rt, handlers, now=datetime(2025, 9, 3, 8, 0, tzinfo=UTC))
    assert _states(rt, ids) == ["year1", "year1"]
    assert items(rt)["cohort:9:start_year1"].done_at is not None


def _states(runtime, ids) -> list[str]:
    with runtime.uow() as uow:
        found = dict(
            uow.session.execute(
                select(Specialist.id, Specialist.state).where(Specialist.id.in_(ids))
            ).all()
        )
    return [found[i] for i in ids]


def test_withdraw_and_defer_cancel_reminders_and_resume_brings_back_the_future(world):
    rt, clock = world.runtime, world.clock
    stay, leave, pause = world.nominate(3)
    for sid in (stay, leave, pause):
        transition(rt.uow(), ADMIN, sid, "select", clock.now())

    def pending_of(sid) -> set[str]:
        prefix = f"reminder:{sid}:"
        return {
            k for k, i in items(rt).items()
            if k.startswith(prefix) and i.cancelled_at is None and i.done_at is None
        }  # fmt: skip

    # launch reminders, 14 and 2 days, to the specialist; the head's are the school's
    assert len(pending_of(stay)) == 2
    assert len(pending_of("school1")) == 3  # the head's invitation and two reminders
    transition(rt.uow(), ADMIN, leave, "withdraw", clock.now(), reason="Moving abroad.")
    transition(rt.uow(), ADMIN, pause, "defer", clock.now(), reason="Leave.")
    assert pending_of(leave) == set() and pending_of(pause) == set()
    assert len(pending_of(stay)) == 2 and len(pending_of("school1")) == 3
    clock.set(datetime(2025, 9, 20, 9, tzinfo=UTC))  # past the 14-day reminder
    transition(rt.uow(), ADMIN, pause, "resume", clock.now())
    assert {k.rsplit(":", 2)[-1] for k in pending_of(pause)} == {"2"}
    # the specialists' invitations went out once, at selection (the head's is due)
    with rt.uow() as uow:
        invitations = [
            p for p in uow.session.scalars(select(OutboxMessage.payload))
            if p["template"] == "launch_invitation"
        ]  # fmt: skip
    assert len(invitations) == 3


def test_a_renewed_claim_is_held_and_a_lapsed_one_is_taken_over(runtime):
    add(runtime, reminder("r:1", T0))
    with runtime.uow() as uow:
        due.claim_due(uow.session, T0, 10)
        due.renew_claims(uow.session, [1], T0 + timedelta(seconds=80))  # alive at 80 s
        uow.commit()
    with runtime.uow() as uow:
        assert due.claim_due(uow.session, T0 + timedelta(seconds=120), 10) == []
        # not renewed again: its lease lapses 90 s after the last renewal
        assert [c.key for c in due.claim_due(uow.session, T0 + timedelta(seconds=171), 10)] == [
            "r:1"
        ]
