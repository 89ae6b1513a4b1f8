"""``services/bulk.py`` and ``services/reminders_now.py`` on both databases: the check writes
nothing, each specialist is done in a transaction of its own (a refusal or a conflict in
the middle undoes no one else), another hub's id is "not found", the request's limits, and
a reminder sent now reaches the outbox through the dispatcher, once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import ADMIN
from workflow.db.models import (
    AuditEntry,
    DueItem,
    FundingEntry,
    OutboxMessage,
    RegisterMark,
    Specialist,
)
from workflow.errors import InvalidInput
from workflow.scheduler.dispatch import dispatch_due
from workflow.services import bulk
from workflow.services.auth import Actor, Role
from workflow.services.bulk import BulkAction, check, perform
from workflow.services.events import register
from workflow.services.reminders_now import remind
from workflow.services.specialists import advance, record_milestone, transition

LEAD = Actor("lead@north.example", Role.HUB_LEAD, hub_id=1)
STAFF = Actor("staff@north.example", Role.HUB_STAFF, hub_id=1)
VIEWER = Actor("viewer@north.example", Role.VIEWER, hub_id=1)


@pytest.fixture
def people(world):
    """North (hub 1): three selected and one nominated; south: one selected."""
    rt, now = world.runtime, world.clock.now()
    north = world.nominate(4)
    [south] = world.nominate(1, school=world.other_school)
    for sid in [*north[:3], south]:
        transition(rt.uow(), ADMIN, sid, "select", now)
    return {"selected": north[:3], "nominated": north[3], "south": south}


def counts(rt) -> tuple:
    with rt.uow() as uow:
        s = uow.session
        tables = (AuditEntry, DueItem, FundingEntry, OutboxMessage)
        rows = [s.scalar(select(func.count()).select_from(table)) for table in tables]
        return (*rows, tuple(s.execute(select(Specialist.state, Specialist.version)).all()))


def states(rt, ids) -> list[str]:
    with rt.uow() as uow:
        return [uow.session.get(Specialist, sid).state for sid in ids]


def test_check_says_who_it_applies_to_and_writes_nothing(world, people):
    rt, now = world.runtime, world.clock.now()
    a = people["selected"][0]
    before = counts(rt)
    what = BulkAction("record", milestone="launch_attended")
    results = check(rt.uow(), STAFF, what, [a, people["nominated"], people["south"], a], now)
    assert [r.specialist_id for r in results] == [a, people["nominated"], people["south"]]
    assert [r.ok for r in results] == [True, False, False]
    assert "cannot record launch attended for a specialist who is nominated" in results[1].reason
    assert results[2].name is None and results[2].reason == bulk.NOT_FOUND
    assert counts(rt) == before  # record_in's trial rolled back: no milestone, no funding


def test_each_specialist_in_its_own_transaction(world, people):
    rt, now = world.runtime, world.clock.now()
    a, b, c = people["selected"]
    ids = [a, b, people["nominated"], c, people["south"]]
    shown = {
        r.specialist_id: r.version
        for r in check(rt.uow(), LEAD, BulkAction("defer", "Leave"), ids, now)
    }
    # Someone records a milestone for b after the confirmation was shown: b is refused.
    record_milestone(rt.uow(), ADMIN, b, "launch_attended", now)
    results = perform(rt.uow(), LEAD, BulkAction("defer", "Leave"), ids, now, shown)
    outcome = {r.specialist_id: (r.ok, r.reason) for r in results}
    assert outcome[a] == (True, None) and outcome[c] == (True, None)
    assert outcome[b] == (False, bulk.CHANGED)
    assert outcome[people["nominated"]][1].startswith("cannot defer a specialist who is nominated")
    assert outcome[people["south"]] == (False, bulk.NOT_FOUND)
    assert states(rt, ids) == ["deferred", "selected", "nominated", "deferred", "selected"]
    # Done ones show their new state; performing again does nothing more.
    assert {r.state for r in results if r.ok} == {"deferred"}
    before = counts(rt)
    again = perform(rt.uow(), LEAD, BulkAction("defer", "Leave"), ids, now, shown)
    assert not any(r.ok for r in again)
    assert counts(rt) == before


def test_the_role_is_checked_for_each_specialist(world, people):
    rt, now = world.runtime, world.clock.now()
    a = people["selected"][0]
    results = perform(rt.uow(), STAFF, BulkAction("defer", "Leave"), [a], now)
    assert not results[0].ok and "may not select, decline" in results[0].reason
    assert states(rt, [a]) == ["selected"]
    remind_now = BulkAction("remind", reminder="next_event")
    [viewed] = check(rt.uow(), VIEWER, remind_now, [a], now)
    assert viewed.reason == "a viewer may not send reminders to specialists"
    assert bulk.offered(VIEWER) == {}
    assert list(bulk.offered(STAFF)) == ["record", "remind"]
    assert list(bulk.offered(LEAD)) == ["record", "defer", "remind"]


@pytest.mark.parametrize(
    ("what", "ids", "message"),
    [
        (BulkAction("defer"), [1], "a deferral needs a reason"),
        (BulkAction("defer", "Leave"), [], "select at least one specialist"),
        (BulkAction("defer", "Leave"), list(range(1, 202)), "at most 200 specialists"),
        (BulkAction("withdraw", "Leave"), [1], "unknown bulk action"),
        (BulkAction("record", milestone="central_day"), [1], "between 0.5 and"),
        (BulkAction("remind", reminder="birthday"), [1], "unknown reminder"),
    ],
)
def test_a_bad_request_is_refused_whole(world, people, what, ids, message):
    rt, now = world.runtime, world.clock.now()
    before = counts(rt)
    for service in (check, perform):
        with pytest.raises(InvalidInput, match=message):
            service(rt.uow(), LEAD, what, ids, now)
    assert counts(rt) == before


def test_a_reminder_now_goes_out_through_the_dispatcher_once_a_day(world, people):
    rt, now = world.runtime, world.clock.now()
    a = people["selected"][0]
    assert remind(rt.uow(), STAFF, a, "next_event", now) == (
        "Cohort 9 launch event on 30 September 2025"
    )
    report = dispatch_due(rt, now=now + timedelta(minutes=1))
    assert report.done["reminder"] == 1
    with rt.uow() as uow:
        payloads = [
            p for p in uow.session.scalars(select(OutboxMessage.payload))
            if p["template"] == "launch_reminder"
        ]  # fmt: skip
    assert len(payloads) == 1
    assert payloads[0]["to"] == "specialist" and payloads[0]["specialist_id"] == a
    assert payloads[0]["extra"]["days_before"] == 120
    results = perform(rt.uow(), STAFF, BulkAction("remind", reminder="next_event"), [a], now)
    assert results[0].reason == "this reminder was already sent to them today"
    tomorrow = perform(
        rt.uow(), STAFF, BulkAction("remind", reminder="next_event"), [a], now + timedelta(days=1)
    )
    assert tomorrow[0].ok


def test_an_accreditation_reminder_only_while_it_is_not_recorded(world, people):
    rt, now = world.runtime, world.clock.now()
    a, b, _ = people["selected"]
    advance(rt.uow(), ADMIN, a, now, override=True, reason="test: into Year 1")
    what = BulkAction("remind", reminder="accreditation")
    first = perform(rt.uow(), LEAD, what, [a, b], now)
    assert first[0].ok and first[0].detail == "PD Lead accreditation"
    assert "only when year1 or year2" in first[1].reason
    with rt.uow() as uow:
        payload = uow.session.scalar(
            select(DueItem.payload).where(DueItem.key.contains("accreditation_reminder:now-"))
        )
    assert payload["unless_milestone"] == "accreditation"
    record_milestone(rt.uow(), ADMIN, a, "accreditation", now)
    later = check(rt.uow(), LEAD, what, [a], now + timedelta(days=1))
    assert later[0].reason == "accreditation is already recorded"


def test_attendance_at_an_event_leaves_the_rest_of_its_register(world, people):
    rt = world.runtime
    a, b, _ = people["selected"]
    world.clock.set(datetime(2025, 10, 1, 9, tzinfo=UTC))  # the day after the launch
    now = world.clock.now()
    register(rt.uow(), ADMIN, 9, "y1-launch1", [a], now)
    what = BulkAction("record", event="9:y1-launch1")
    results = perform(rt.uow(), STAFF, what, [a, b, people["south"]], now)
    assert [r.ok for r in results] == [False, True, False]
    assert results[0].reason == "already on the register of Cohort 9 launch event"
    with rt.uow() as uow:
        marked = uow.session.scalars(select(RegisterMark.specialist_id)).all()
        launch = uow.session.scalars(
            select(AuditEntry.specialist_id).where(AuditEntry.name == "launch_attended")
        ).all()
    assert sorted(marked) == sorted(launch) == sorted([a, b])
    with pytest.raises(InvalidInput, match="COHORT:EVENT_ID"):
        check(rt.uow(), STAFF, BulkAction("record", event="launch"), [a], now)
