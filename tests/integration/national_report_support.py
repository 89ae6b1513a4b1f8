"""A varied programme for the national report's tests, and the report's numbers worked out
again from the tables with plain Python over rows (no query of the service is reused)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, update

from tests.integration.conftest import ADMIN, World, build_world
from workflow.db.models import (
    AuditEntry,
    Cohort,
    Hub,
    HubAllocation,
    School,
    Specialist,
    WorkGroup,
    WorkGroupSchool,
)
from workflow.services import setup
from workflow.services.corrections import void_milestone
from workflow.services.specialists import record_milestone, transition
from workflow.services.workgroups import add_work_group

PLACE_STATES = {"selected", "year1", "year2", "work_group_lead", "deferred"}


class Programme:
    """Three hubs (north, south, east), cohorts 9 and 10, specialists in every state."""

    def __init__(self, runtime, clock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.world: World = build_world(runtime, clock)
        uow = runtime.uow
        setup.add_hub(uow(), ADMIN, "east", "East Maths Hub", "East of England", 40)
        setup.add_cohort(uow(), ADMIN, 10, "cohort-10")
        setup.allocate(uow(), ADMIN, "north", 10, 3)
        setup.allocate(uow(), ADMIN, "east", 9, 2)  # east: allocated, nobody nominated
        for urn, hub in (("100002", "north"), ("100003", "north"), ("200002", "south")):
            setup.add_school(
                uow(), ADMIN, urn=urn, name=f"School {urn}", hub_code=hub, phase="secondary",
                funding="state", head_name="Alex Head", head_email=f"head{urn}@school.example",
                finance_email=None,
            )  # fmt: skip
        with runtime.uow() as u:  # the areas' secondary schools (south stays unknown)
            u.session.execute(update(Hub).where(Hub.code == "north").values(secondary_schools=20))
            u.commit()

    def nominate(self, school: str, n: int = 1, cohort: int = 9, **fields) -> list[int]:
        return self.world.nominate(n, school=school, cohort=cohort, **fields)

    def fire(self, sid: int, trigger: str, **kwargs) -> None:
        if trigger in ("start_year2", "start_work_group") and "override" not in kwargs:
            kwargs.update(override=True, reason="test: requirements met elsewhere")
        transition(self.runtime.uow(), ADMIN, sid, trigger, self.clock.now(), **kwargs)

    def to(self, sid: int, *triggers: str) -> None:
        for trigger in triggers:
            self.fire(sid, trigger)

    def accredit(self, sid: int) -> None:
        record_milestone(self.runtime.uow(), ADMIN, sid, "accreditation", self.clock.now())

    def group(self, sid: int, urns: list[str], role: str = "leads") -> None:
        add_work_group(
            self.runtime.uow(), ADMIN, sid, f"Group of {sid}", urns, self.clock.now(), role=role
        )

    def build(self) -> Programme:
        up_to_year2 = ("select", "start_year1", "start_year2")
        # North, cohort 9: a full journey for several, withdrawals at each stage.
        a, b, c, d, e, f, g, _h = self.nominate("100001", 2) + self.nominate("100002", 6)
        self.to(a, *up_to_year2)
        self.accredit(a)
        self.fire(a, "start_work_group")
        self.group(a, ["100001", "100003", "300001", "300002"])  # its own school and others
        self.group(a, ["300002", "300003"], role="joins")
        self.to(b, *up_to_year2)
        self.accredit(b)
        self.fire(b, "start_work_group")
        self.fire(b, "withdraw", reason="left teaching")  # reached Year 3, then withdrew
        self.to(c, "select", "start_year1", "start_year2")  # in Year 2, accreditation voided
        self.accredit(c)
        with self.runtime.uow() as u:
            milestone = u.session.scalar(
                select(AuditEntry.id).where(
                    AuditEntry.specialist_id == c, AuditEntry.name == "accreditation"
                )
            )
        void_milestone(self.runtime.uow(), ADMIN, c, milestone, "recorded in error",
                       self.clock.now())  # fmt: skip
        self.to(d, "select", "start_year1")
        self.fire(d, "withdraw", reason="moved abroad")
        self.fire(d, "reinstate", reason="came back")  # withdrawn, then reinstated
        self.to(e, "select", "defer")
        self.fire(e, "withdraw", reason="leaving")  # withdrew from a place
        self.fire(f, "withdraw", reason="changed mind")  # a nominee: never held a place
        self.fire(g, "decline", reason="not this year")
        # _h stays nominated.
        # North, cohort 10: one selected, one in Year 1 accredited.
        i, j = self.nominate("100003", 2, cohort=10)
        self.fire(i, "select")
        self.to(j, "select", "start_year1")
        self.accredit(j)
        # South, cohort 9: already accredited at nomination (selected), and one not selected.
        (k,) = self.nominate("200001", accredited_pd_lead=True)
        (m,) = self.nominate("200002", accredited_pd_lead=True)  # accredited, never selected
        (n,) = self.nominate("200002")
        self.to(k, *up_to_year2)
        self.fire(k, "start_work_group")
        self.group(k, ["100003", "300001", "400001"])  # reaches a north school as well
        self.fire(m, "decline", reason="full")
        self.to(n, "select", "start_year1", "start_year2")
        self.fire(n, "withdraw", reason="illness")
        return self


def independent(runtime, cohort: int | None) -> dict:
    """The report's numbers from the tables, by plain Python over every row: ``{"hubs":
    {code: measures}, "national": measures}``."""
    with runtime.uow() as uow:
        s = uow.session
        hubs = s.scalars(select(Hub)).all()
        cohorts = {c.id: c.number for c in s.scalars(select(Cohort))}
        schools = {x.id: x for x in s.scalars(select(School))}
        people = [
            p for p in s.scalars(select(Specialist))
            if cohort is None or cohorts[p.cohort_id] == cohort
        ]  # fmt: skip
        entries = s.scalars(select(AuditEntry)).all()
        allocations = s.scalars(select(HubAllocation)).all()
        groups = s.scalars(select(WorkGroup)).all()
        group_schools = s.scalars(select(WorkGroupSchool)).all()
    voided = {e.voids_id for e in entries if e.voids_id is not None}
    trail = defaultdict(list)
    for e in entries:
        trail[e.specialist_id].append(e)

    def reached_state(p, state):
        return any(e.kind == "transition" and e.to_state == state for e in trail[p.id])

    def took_place(p):
        return any(reached_state(p, state) for state in PLACE_STATES)

    def accredited(p):
        return any(
            e.kind == "milestone" and e.name == "accreditation" and e.id not in voided
            for e in trail[p.id]
        )

    ours = {p.id: p for p in people}
    hub_of = {p.id: schools[p.school_id].hub_id for p in people}
    result = {}
    reached_everywhere = set()
    for hub in hubs:
        mine = [p for p in people if hub_of[p.id] == hub.id]
        places = sum(
            a.places for a in allocations
            if a.hub_id == hub.id and (cohort is None or cohorts[a.cohort_id] == cohort)
        )  # fmt: skip
        has_allocation = any(
            a.hub_id == hub.id and (cohort is None or cohorts[a.cohort_id] == cohort)
            for a in allocations
        )
        if not mine and not has_allocation:
            continue
        selected = [p for p in mine if took_place(p)]
        my_groups = [
            g for g in groups if g.specialist_id in ours and hub_of[g.specialist_id] == hub.id
        ]
        reached = {schools[p.school_id].urn for p in selected}
        reached |= {w.urn for w in group_schools if w.work_group_id in {g.id for g in my_groups}}
        reached_everywhere |= reached
        result[hub.code] = {
            "allocated": places,
            "filled": sum(1 for p in mine if p.state in PLACE_STATES),
            "selected": len(selected),
            "withdrawn": sum(1 for p in selected if p.state == "withdrawn"),
            "year2": sum(1 for p in selected if reached_state(p, "year2")),
            "year3": sum(1 for p in selected if reached_state(p, "work_group_lead")),
            "accredited": sum(1 for p in selected if accredited(p)),
            "work_group_leads": len({g.specialist_id for g in my_groups if g.role == "leads"}),
            "schools_reached": len(reached),
            "secondary_schools": hub.secondary_schools,
        }
    known = [h.secondary_schools for h in hubs if h.secondary_schools is not None]
    national = {
        key: sum(row[key] for row in result.values())
        for key in ("allocated", "filled", "selected", "withdrawn", "year2", "year3",
                    "accredited", "work_group_leads")
    }  # fmt: skip
    national["schools_reached"] = len(reached_everywhere)
    national["secondary_schools"] = sum(known) if known else None
    return {"hubs": result, "national": national}
