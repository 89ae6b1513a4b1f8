"""A cohort in Year 1 built through the services, for the register and funding pages.

``year1`` puts three specialists of north and one of south into Year 1 (distinct names);
``with_statements`` takes the first central event's registers, gathers the 15 January 2026
statements, pays north's, takes one north specialist off that register (a clawback, since
the day was paid), records more days and gathers the 15 July 2026 statements: north then
has a paid statement and a payable one holding the clawback; south a payable one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select

from tests.integration.conftest import ADMIN
from workflow.db.models import Statement
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import default_handlers
from workflow.services import funding
from workflow.services.events import register
from workflow.services.funding.statements import mark_paid
from workflow.services.specialists import record_milestone, transition

STATEMENTS = {funding.GATHER_STATEMENTS: default_handlers()[funding.GATHER_STATEMENTS]}
NORTH = ("Ada Lovelace", "Brook Taylor", "Carl Gauss")
SOUTH = ("Sofia Kovalevskaya",)


@dataclass
class Programme:
    north: list[int]
    south: list[int]
    statements: dict[str, int] = field(default_factory=dict)


def at(clock, *when: int) -> datetime:
    clock.set(datetime(*when, tzinfo=UTC))
    return clock.now()


def year1(world) -> Programme:
    rt, clock = world.runtime, world.clock
    at(clock, 2025, 7, 1, 9)
    ids: dict[str, list[int]] = {"north": [], "south": []}
    for hub, school, names in (
        ("north", world.school, NORTH),
        ("south", world.other_school, SOUTH),
    ):
        for name in names:
            email = name.lower().replace(" ", ".") + "@school.example"
            (sid,) = world.nominate(school=school, name=name, email=email)
            transition(rt.uow(), ADMIN, sid, "select", clock.now())
            ids[hub].append(sid)
    at(clock, 2025, 9, 1, 9)
    for sid in ids["north"] + ids["south"]:
        transition(rt.uow(), ADMIN, sid, "start_year1", clock.now())
    at(clock, 2025, 10, 17, 10)  # the day after the first central event
    return Programme(north=ids["north"], south=ids["south"])


def statement_of(runtime, school_urn: str, release: date) -> int:
    from workflow.db.models import School

    with runtime.uow() as uow:
        return uow.session.scalar(
            select(Statement.id)
            .join(School, School.id == Statement.school_id)
            .where(School.urn == school_urn, Statement.release_date == release)
        )


def with_statements(world) -> Programme:
    rt, clock = world.runtime, world.clock
    p = year1(world)
    a, b, _ = p.north
    register(rt.uow(), ADMIN, 9, "y1-central1", [a, b], clock.now(), hub_code="north")
    register(rt.uow(), ADMIN, 9, "y1-central1", p.south, clock.now(), hub_code="south")
    dispatch_due(rt, STATEMENTS, now=datetime(2026, 1, 15, 12, tzinfo=UTC))
    north_paid = statement_of(rt, world.school, date(2026, 1, 15))
    mark_paid(rt.uow(), ADMIN, north_paid, at(clock, 2026, 1, 20, 10), "BACS-0120")
    at(clock, 2026, 2, 2, 10)
    register(rt.uow(), ADMIN, 9, "y1-central2", [a], clock.now(), hub_code="north")
    register(rt.uow(), ADMIN, 9, "y1-central1", [a], clock.now(), hub_code="north")  # b off
    at(clock, 2026, 3, 3, 10)
    record_milestone(rt.uow(), ADMIN, a, "development_day", clock.now(), half_days=2,
                     on=date(2026, 3, 2))  # fmt: skip
    dispatch_due(rt, STATEMENTS, now=datetime(2026, 7, 15, 12, tzinfo=UTC))
    at(clock, 2026, 7, 20, 10)
    p.statements = {
        "north_paid": north_paid,
        "north": statement_of(rt, world.school, date(2026, 7, 15)),
        "south": statement_of(rt, world.other_school, date(2026, 1, 15)),
    }
    return p
