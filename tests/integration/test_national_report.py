"""The national report's numbers equal those worked out independently from the tables
(plain Python over every row), per hub and nationally, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest

from tests.integration.conftest import ADMIN
from tests.integration.national_report_support import Programme, independent
from workflow.cli.main import main
from workflow.errors import NotFound
from workflow.services.auth import Actor, Role
from workflow.services.national_report import ALL, national_report

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


@pytest.mark.parametrize("cohort", [9, 10, ALL])
def test_every_number_equals_the_one_worked_out_from_the_tables(programme, runtime, cohort):
    report = national_report(runtime.uow(), ADMIN, cohort)
    assert numbers(report) == independent(runtime, None if cohort == ALL else cohort)


def test_without_a_cohort_the_newest_is_reported(programme, runtime):
    report = national_report(runtime.uow(), ADMIN)
    assert report.cohort == 10 and report.cohorts == [10, 9]
    assert numbers(report) == independent(runtime, 10)


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


@pytest.fixture
def cli(programme, runtime, database_url, monkeypatch):
    from workflow.services import staff

    clock = programme.clock
    admin = staff.init(runtime.uow(), "admin@ncetm.example", "Nat Admin", clock.now())
    lead = staff.add_staff(runtime.uow(), ADMIN, "lead@north.example", "Lee Lead", "hub_lead",
                           "north", clock.now())  # fmt: skip
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKFLOW_NOW", "2025-06-02T10:00")

    def run(*argv: str, token: str = admin) -> tuple[int, str]:
        monkeypatch.setenv("WORKFLOW_TOKEN", token)
        out = io.StringIO()
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
                main(list(argv))
            except SystemExit as exited:
                code = exited.code
        return code, out.getvalue()

    run.lead = lead
    return run


def test_the_command_line_gives_the_same_numbers(cli, runtime, tmp_path):
    code, out = cli("report", "national", "--cohort", "9", "--json")
    assert code == 0
    data = json.loads(out)
    worked_out = independent(runtime, 9)
    assert {h["hub"]: {f: h[f] for f in FIELDS} for h in data["hubs"]} == worked_out["hubs"]
    assert {f: data["national"][f] for f in FIELDS} == worked_out["national"]
    code, out = cli("report", "national", "--all-cohorts", "--csv", str(tmp_path / "r.csv"))
    assert code == 0 and "National report, every cohort" in out
    with (tmp_path / "r.csv").open() as f:
        rows = {r["hub"]: r for r in csv.DictReader(f)}
    assert rows["national"]["selected"] == str(independent(runtime, None)["national"]["selected"])
    code, out = cli("report", "national", "--json", token=cli.lead)  # the newest: cohort 10
    data = json.loads(out)
    assert data["cohort"] == 10 and [h["hub"] for h in data["hubs"]] == ["north"]
    assert data["national"] is None
    code, _ = cli("report", "national", "--cohort", "9", "--all-cohorts")
    assert code == 2
