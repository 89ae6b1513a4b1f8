"""Registers per event (issue 15 point 1): event ids and durations, attendance for many
specialists at once, joining links carried by reminders, and the commands."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.integration.conftest import ADMIN
from workflow.cli.main import cli
from workflow.db.models import AuditEntry, FundingLine, OutboxMessage
from workflow.errors import DomainError, InvalidInput, NotFound, NotPermitted
from workflow.notify.samples import sample_context
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import REMINDER, default_handlers
from workflow.services import setup, staff
from workflow.services.auth import Actor, Role
from workflow.services.events import list_events, register, set_link
from workflow.services.specialists import transition

REMINDERS = {REMINDER: default_handlers()[REMINDER]}


def in_year1(world, n: int = 2) -> list[int]:
    world.clock.set(datetime(2025, 7, 1, 9, tzinfo=UTC))
    ids = world.nominate(n)
    for sid in ids:
        transition(world.runtime.uow(), ADMIN, sid, "select", world.clock.now())
    world.clock.set(datetime(2025, 9, 1, 9, tzinfo=UTC))
    for sid in ids:
        transition(world.runtime.uow(), ADMIN, sid, "start_year1", world.clock.now())
    return ids


def milestones(world, sid) -> list[tuple[str, int | None, date]]:
    with world.runtime.uow() as uow:
        rows = uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.specialist_id == sid, AuditEntry.kind == "milestone")
            .order_by(AuditEntry.id)
        )
        return [(m.name, m.half_days, m.occurred_on) for m in rows]


def test_events_have_stable_ids_and_durations(world):
    rt = world.runtime
    found = list_events(rt.uow(), ADMIN, 9)
    assert [(e["id"], e["days"]) for e in found] == [
        ("y1-launch1", 0.5),
        ("y1-central1", 1.0),
        ("y1-central2", 1.0),
        ("y1-central3", 1.0),
        ("y2-central1", 1.0),
        ("y2-central2", 1.0),
    ]
    setup.add_cohort(rt.uow(), ADMIN, 2, "cohort-2")
    assert [(e["id"], e["days"]) for e in list_events(rt.uow(), ADMIN, 2)] == [
        ("y1-central1", 2.0),  # the two-day residentials
        ("y1-central2", 2.0),
    ]


def test_a_register_records_the_event_for_everyone_ticked_once(world):
    rt = world.runtime
    a, b = in_year1(world)
    world.clock.set(datetime(2025, 10, 17, 9, tzinfo=UTC))
    saved = register(rt.uow(), ADMIN, 9, "y1-central1", [a, b], world.clock.now())
    assert saved == {"recorded": [a, b], "already": [], "removed": []}
    assert milestones(world, a) == [("central_day", 2, date(2025, 10, 16))]
    again = register(rt.uow(), ADMIN, 9, "y1-central1", [a, b], world.clock.now())
    assert again == {"recorded": [], "already": [a, b], "removed": []}
    assert milestones(world, b) == [("central_day", 2, date(2025, 10, 16))]
    with rt.uow() as uow:
        claims = uow.session.scalars(select(FundingLine.amount_pence)).all()
    assert claims == [20000, 20000]  # a day each at the daily rate


def test_a_register_with_one_bad_line_saves_nothing_and_says_why(world):
    rt = world.runtime
    a, b = in_year1(world)
    (nominated,) = world.nominate(email="late@school.example")
    world.clock.set(datetime(2026, 1, 30, 9, tzinfo=UTC))  # the day after the event
    with pytest.raises(DomainError, match=f"{nominated}: cannot record central day"):
        register(rt.uow(), ADMIN, 9, "y1-central2", [a, nominated], world.clock.now())
    assert milestones(world, a) == []
    with pytest.raises(NotFound, match="no event 'y9-central1'"):
        register(rt.uow(), ADMIN, 9, "y9-central1", [a], world.clock.now())
    with pytest.raises(InvalidInput, match="twice"):
        register(rt.uow(), ADMIN, 9, "y1-central2", [a, a], world.clock.now())
    register(rt.uow(), ADMIN, 9, "y1-central2", [a, b], world.clock.now())
    with pytest.raises(NotPermitted):  # taking someone off is a correction: not hub staff's
        register(rt.uow(), Actor("s@n.example", Role.HUB_STAFF, 1), 9, "y1-central2", [a],
                 world.clock.now())  # fmt: skip
    saved = register(rt.uow(), ADMIN, 9, "y1-central2", [a], world.clock.now())
    assert saved == {"recorded": [], "already": [a], "removed": [b]}
    with rt.uow() as uow:
        void = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.specialist_id == b, AuditEntry.name == "void")
        ).one()
        line = uow.session.scalars(select(FundingLine).where(FundingLine.specialist_id == b)).one()
    assert void.reason == "taken off the register of y1-central2"
    assert line.removed_at is not None  # the day's claim, not yet on a statement, is gone
    again = register(rt.uow(), ADMIN, 9, "y1-central2", [a, b], world.clock.now())
    assert again == {"recorded": [b], "already": [a], "removed": []}  # ticked again


def test_the_launch_register_records_the_heads_attendance(world):
    rt = world.runtime
    world.clock.set(datetime(2025, 7, 1, 9, tzinfo=UTC))
    (sid,) = world.nominate()
    transition(rt.uow(), ADMIN, sid, "select", world.clock.now())
    world.clock.set(datetime(2025, 9, 30, 16, tzinfo=UTC))  # the launch was that morning
    register(rt.uow(), ADMIN, 9, "y1-launch1", [sid], world.clock.now())
    assert milestones(world, sid) == [("launch_attended", None, date(2025, 9, 30))]


def test_an_online_events_link_is_carried_by_its_reminders(world):
    rt = world.runtime
    world.clock.set(datetime(2025, 7, 1, 9, tzinfo=UTC))
    (sid,) = world.nominate()
    transition(rt.uow(), ADMIN, sid, "select", world.clock.now())
    url = "https://meet.example/cohort9-launch"
    set_link(rt.uow(), ADMIN, 9, "y1-launch1", url, world.clock.now())
    with pytest.raises(DomainError, match="not online"):
        set_link(rt.uow(), ADMIN, 9, "y1-central1", url, world.clock.now())
    with pytest.raises(InvalidInput, match="https"):
        set_link(rt.uow(), ADMIN, 9, "y1-launch1", "javascript:alert(1)", world.clock.now())
    with pytest.raises(NotPermitted):
        set_link(rt.uow(), Actor("l@n.example", Role.HUB_LEAD, 1), 9, "y1-launch1", url,
                 world.clock.now())  # fmt: skip
    assert list_events(rt.uow(), ADMIN, 9)[0]["link"] == url
    dispatch_due(rt, REMINDERS, now=datetime(2025, 9, 29, 12, tzinfo=UTC))
    with rt.uow() as uow:
        sent = [
            m.payload
            for m in uow.session.scalars(select(OutboxMessage))
            if m.payload.get("template") == "launch_reminder"
        ]
    assert sent and {p["extra"]["event"]["link"] for p in sent} == {url}
    finished = rt.renderer(
        "launch_reminder",
        {**_context(), **sent[0]["extra"]},
        to="head@north.example",
        sender="hub@example.org",
        now=world.clock.now(),
        message_id="<x@example.org>",
    )
    text = finished.message().get_body(("plain",)).get_content()
    assert f"joining link: {url}" in text and "Online (Online)" not in text


def _context() -> dict:
    return sample_context("launch_reminder")


def test_the_commands(world, database_url, monkeypatch):
    a, b = in_year1(world)
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    token = staff.init(world.runtime.uow(), "admin@ncetm.example", "Nat Admin", world.clock.now())
    monkeypatch.setenv("WORKFLOW_TOKEN", token)
    monkeypatch.setenv("WORKFLOW_NOW", "2025-10-17T09:00:00+00:00")
    runner = CliRunner()
    listed = runner.invoke(cli, ["events", "--cohort", "9", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)[1]["id"] == "y1-central1"
    saved = runner.invoke(
        cli, ["register", "y1-central1", "--cohort", "9", "--attended", f"{a},{b}", "--json"]
    )
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.output) == {"recorded": [a, b], "already": [], "removed": []}
    bad = runner.invoke(cli, ["register", "y1-central1", "--cohort", "9", "--attended", "a,b"])
    assert bad.exit_code == 2 and "separated by commas" in bad.output
    refused = runner.invoke(
        cli, ["event", "link", "y1-central1", "--cohort", "9", "--url", "https://x.example"]
    )
    assert refused.exit_code == 1 and "not online" in refused.output


def test_a_register_is_one_hubs_and_leaves_the_others_alone(world, database_url, monkeypatch):
    rt = world.runtime
    a, b = in_year1(world)
    world.clock.set(datetime(2025, 7, 1, 9, tzinfo=UTC))
    (s,) = world.nominate(school=world.other_school, email="south@school.example")
    transition(rt.uow(), ADMIN, s, "select", world.clock.now())
    world.clock.set(datetime(2025, 9, 1, 9, tzinfo=UTC))
    transition(rt.uow(), ADMIN, s, "start_year1", world.clock.now())
    world.clock.set(datetime(2025, 10, 17, 9, tzinfo=UTC))
    register(rt.uow(), ADMIN, 9, "y1-central1", [a, b, s], world.clock.now())  # the cohort's
    with rt.uow() as uow:
        north = setup.hub_by_code(uow.session, "north").id
    lead = Actor("lead@north.example", Role.HUB_LEAD, north)
    saved = register(rt.uow(), lead, 9, "y1-central1", [a], world.clock.now())
    assert saved == {"recorded": [], "already": [a], "removed": [b]}  # s is south's: left alone
    assert [m[0] for m in milestones(world, s)] == ["central_day"]
    with pytest.raises(DomainError, match=f"{s}: not a specialist of this hub"):
        register(rt.uow(), lead, 9, "y1-central1", [a, s], world.clock.now())
    with pytest.raises(NotFound, match="hub 'south'"):
        register(rt.uow(), lead, 9, "y1-central1", [s], world.clock.now(), hub_code="south")
    # An empty register is refused, unless it takes someone off (here: the last of north).
    saved = register(rt.uow(), lead, 9, "y1-central1", [], world.clock.now())
    assert saved == {"recorded": [], "already": [], "removed": [a]}
    with pytest.raises(InvalidInput, match="at least one"):
        register(rt.uow(), lead, 9, "y1-central1", [], world.clock.now())

    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    token = staff.init(rt.uow(), "admin@ncetm.example", "Nat Admin", world.clock.now())
    monkeypatch.setenv("WORKFLOW_TOKEN", token)
    monkeypatch.setenv("WORKFLOW_NOW", "2025-10-17T09:00:00+00:00")
    saved = CliRunner().invoke(
        cli,
        ["register", "y1-central1", "--cohort", "9", "--hub", "north", "--attended", f"{b}",
         "--json"],
    )  # fmt: skip
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.output) == {"recorded": [b], "already": [], "removed": []}
    assert [m[0] for m in milestones(world, s)] == ["central_day"]  # south's still stands
