"""The national report's numbers equal those worked out independently from the tables
(plain Python over every row), per hub and nationally, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.integration.conftest import ADMIN
from tests.integration.national_report_support import Programme, independent
from workflow.errors import NotFound
from workflow.services.auth import Actor, Role
from workflow.services.national_report import national_report

FIELDS = ("allocated", "filled", "selected", "withdrawn", "year2", "year3", "accredited",
          "work_group_leads", "schools_reached", "secondary_schools")  # fmt: skip


@pytest.fixture
def programme(runtime, clock) -> Programme:
    return Programme(runtime, clock).build()


def numbers(report) -> dict:
    hubs = {h.code: {f: getattr(h.measures, f) for f in FIELDS} for h in report.hubs}
    national = None if report.national is None else {
        f: getattr(report.national, f) for f in FIELDS
    }  # fmt: skip
    return {"hubs": hubs, "national": national}


@pytest.mark.parametrize("cohort", [9, 10, None])
def test_every_number_equals_the_one_worked_out_from_the_tables(programme, runtime, cohort):
    report = national_report(runtime.uow(), ADMIN, cohort)
    assert numbers(report) == independent(runtime, cohort)


def test_the_world_exercises_every_measure(programme, runtime):
    """The expected numbers of cohort 9, written out: the world is varied enough that each
    measure differs from the others, so a measure swapped for another would fail."""
    report = national_report(runtime.uow(), ADMIN, 9)
    by_hub = numbers(report)["hubs"]
    assert by_hub["north"] == {
        "allocated": 4, "filled": 3, "selected": 5, "withdrawn": 2, "year2": 3, "year3": 2,
        "accredited": 2, "work_group_leads": 1, "schools_reached": 6, "secondary_schools": 20,
    }  # fmt: skip
    assert by_hub["south"] == {
        "allocated": 4, "filled": 1, "selected": 2, "withdrawn": 1, "year2": 2, "year3": 1,
        "accredited": 1, "work_group_leads": 1, "schools_reached": 5, "secondary_schools": None,
    }  # fmt: skip
    assert by_hub["east"]["allocated"] == 2 and by_hub["east"]["selected"] == 0
    national = report.national
    # 100003 and 300001 are reached by both hubs: counted once nationally.
    assert national.schools_reached == 6 + 5 - 2
    assert national.secondary_schools == 60  # north 20 + east 40; south unknown
    assert report.hubs_known == 2 and report.hubs_total == 3
    assert national.share == pytest.approx(9 / 60)
    assert [h.code for h in report.hubs] == ["east", "north", "south"]


def test_hub_staff_see_their_hub_only_and_no_national_total(programme, runtime):
    with runtime.uow() as uow:
        from workflow.services.setup import hub_by_code

        north = hub_by_code(uow.session, "north").id
    lead = Actor("lead@north.example", Role.HUB_LEAD, north)
    report = national_report(runtime.uow(), lead, 9)
    assert [h.code for h in report.hubs] == ["north"]
    assert report.national is None
    assert numbers(report)["hubs"]["north"] == independent(runtime, 9)["hubs"]["north"]


def test_an_unknown_cohort_is_not_found(programme, runtime):
    with pytest.raises(NotFound):
        national_report(runtime.uow(), ADMIN, 99)
