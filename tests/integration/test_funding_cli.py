"""``workflow report funding`` over a real database: JSON, the table in pounds, a safe CSV."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from tests.integration.conftest import ADMIN
from workflow.cli.main import cli, main
from workflow.cli.output import pounds, safe_cell
from workflow.services import staff
from workflow.services.specialists import transition


@pytest.fixture
def world(instalment_world):
    """These tests cover the fixed-instalments basis (``basis = "instalments"``)."""
    return instalment_world


@pytest.fixture
def started(world, database_url, monkeypatch):
    """Two specialists in Year 1 of cohort 9, in the north and south hubs."""
    for school in (world.school, world.other_school):
        (sid,) = world.nominate(school=school)
        for trigger in ("select", "start_year1"):
            transition(world.runtime.uow(), ADMIN, sid, trigger, world.clock.now())
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    token = staff.init(world.runtime.uow(), "admin@ncetm.example", "Nat Admin", world.clock.now())
    monkeypatch.setenv("WORKFLOW_TOKEN", token)
    return world


def invoke(*args: str):
    result = CliRunner().invoke(cli, ["report", "funding", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_lists_each_school_and_the_totals(started):
    data = json.loads(invoke("--cohort", "9", "--json"))
    assert data["cohort"] == 9
    schools = [
        (s["urn"], s["hub"], s["entitled_pence"], s["scheduled_pence"]) for s in data["schools"]
    ]
    assert schools == [("100001", "north", 150000, 150000), ("200001", "south", 150000, 150000)]
    assert data["totals"] == {
        "entitled_pence": 300000,
        "released_pence": 0,
        "scheduled_pence": 300000,
        "cancelled_pence": 0,
    }
    north = json.loads(invoke("--cohort", "9", "--hub", "north", "--json"))
    assert [s["urn"] for s in north["schools"]] == ["100001"]


def test_the_table_shows_pounds_and_the_national_total(started):
    output = invoke("--cohort", "9")
    assert "£1,500.00" in output and "£3,000.00" in output
    assert "National total" in output


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(started, tmp_path):
    path = tmp_path / "funding.csv"
    invoke("--cohort", "9", "--csv", str(path), "--json")
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0][:3] == ["urn", "hub", "entitled_pence"]
    assert rows[1][:3] == ["100001", "north", "150000"]
    assert rows[-1] == ["total", "", "300000", "0", "300000", "0"]
    assert safe_cell("=SUM(A1)") == "'=SUM(A1)" and safe_cell("-1") == "'-1"
    assert safe_cell("@x") == "'@x" and safe_cell("+1") == "'+1" and safe_cell(5) == 5


def test_pounds_are_shown_with_thousands_and_pence():
    assert pounds(123456) == "£1,234.56"
    assert pounds(5) == "£0.05"
    assert pounds(-250000) == "-£2,500.00"


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--cohort", "7"], "cohort 7 not found", 1),
        (["--cohort", "9", "--hub", "west"], "hub 'west' not found", 1),
        (["--cohort", "nine"], "expected a cohort number", 2),
        ([], "Missing option '--cohort'", 2),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(started, capsys, args, message, code):
    with pytest.raises(SystemExit) as exited:
        main(["report", "funding", *args])
    assert exited.value.code == code
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_unwritable_csv_path_is_refused_in_one_line(started, capsys, tmp_path):
    with pytest.raises(SystemExit) as exited:
        main(["report", "funding", "--cohort", "9", "--csv", str(tmp_path / "no" / "f.csv")])
    assert exited.value.code == 1
    assert "cannot write" in capsys.readouterr().err
