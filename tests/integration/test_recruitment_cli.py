"""Issue 14 through the command line, on SQLite and PostgreSQL: one line and exit 1 when
refused (nothing changed), JSON shapes, and the audit trail of every correction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from tests.integration._funding_support import release_due
from workflow.cli.main import cli as workflow
from workflow.services import staff

NOMINATE = ["nominate", "--cohort", "9", "--qts", "--teaching-since", "2015-09-01"]


@pytest.fixture
def world(instalment_world):
    """Cohort 9 paid in fixed instalments: these corrections are checked against them."""
    return instalment_world


@pytest.fixture
def cli(world, database_url, monkeypatch):
    """Run ``workflow`` as a national admin at ``WORKFLOW_NOW`` (default 2 June 2025)."""
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKFLOW_NOW", "2025-06-02T10:00")
    token = staff.init(world.runtime.uow(), "admin@ncetm.example", "Nat Admin", world.clock.now())
    monkeypatch.setenv("WORKFLOW_TOKEN", token)

    def run(*args: str, code: int = 0, now: str | None = None):
        if now:
            monkeypatch.setenv("WORKFLOW_NOW", now)
        result = CliRunner().invoke(workflow, list(args))
        assert result.exit_code == code, result.output
        if code == 1:  # refused: one line (usage errors are shown by ``main`` as one line)
            assert len(result.output.strip().splitlines()) == 1, result.output
        return result.output

    return run


def nominate(cli, *more: str, now: str | None = None, code: int = 0) -> str:
    return cli(*NOMINATE, *more, "--json", now=now, code=code)


def show(cli, sid) -> dict:
    return json.loads(cli("show", str(sid), "--json"))


def test_a_late_nomination_is_refused_then_accepted_with_a_reason(cli):
    person = ["--school", "100001", "--name", "Ada Lovelace", "--email", "ada@school.example"]
    out = nominate(cli, *person, now="2025-07-15T10:00", code=1)
    assert "Friday 11 July 2025, 5pm: the window has closed" in out
    assert "--late" in cli(*NOMINATE, *person, "--late", code=2)  # --reason is required
    sid = json.loads(nominate(cli, *person, "--late", "--reason", "Head was ill."))["id"]
    (entry,) = show(cli, sid)["history"]
    assert (entry["actor"], entry["reason"]) == (
        "admin@ncetm.example",
        "Head was ill. (overrode: nominations for cohort 9 are taken from Monday 28 April 2025 "
        "until Friday 11 July 2025, 5pm: the window has closed)",
    )


def test_a_second_nominee_from_one_school_is_refused(cli):
    first = json.loads(
        nominate(cli, "--school", "100001", "--name", "Ada L", "--email", "ada@school.example")
    )["id"]
    out = nominate(
        cli, "--school", "100001", "--name", "Alan T", "--email", "alan@school.example", code=1
    )
    assert f"has already nominated specialist {first} for cohort 9" in out


def test_void_a_milestone_and_see_it_in_show_json(cli, world):
    (sid,) = world.nominate()
    cli("select", str(sid))
    cli("record", str(sid), "launch-attended")
    (milestone,) = show(cli, sid)["milestones"]
    assert milestone["voided"] is False and isinstance(milestone["id"], int)
    cli("milestone", "void", str(sid), str(milestone["id"]), code=2)  # --reason is required
    cli("milestone", "void", str(sid), "999999", "--reason", "r", code=1)
    cli("milestone", "void", str(sid), str(milestone["id"]), "--reason", "Wrong teacher.")
    data = show(cli, sid)
    assert [m["voided"] for m in data["milestones"]] == [True]
    void = data["history"][-1]
    assert (void["trigger"], void["actor"], void["reason"], void["milestone_id"]) == (
        "void",
        "admin@ncetm.example",
        "Wrong teacher.",
        milestone["id"],
    )
    assert "Wrong teacher." in cli("show", str(sid))  # the table marks it too


def test_reinstate_move_edit_and_change_cohort(cli, world):
    (sid,) = world.nominate()
    cli("select", str(sid))
    cli("withdraw", str(sid), "--reason", "Entered by mistake.")
    assert json.loads(cli("reinstate", str(sid), "--reason", "Undo.", "--json"))["to"] == "selected"
    cli(
        "school",
        "add",
        "100002",
        "--name",
        "Hill Academy",
        "--hub",
        "north",
        "--phase",
        "secondary",
        "--funding",
        "state",
        "--head-name",
        "H",
        "--head-email",
        "h@hill.example",
    )
    moved = json.loads(
        cli("move", str(sid), "--school", "100002", "--reason", "New job.", "--json")
    )
    assert moved == {"id": sid, "from": "100001", "to": "100002", "hub_changed": False}
    cli("specialist", "edit", str(sid), "--email", "new@school.example")
    cli("specialist", "edit", str(sid), code=1)  # nothing to change
    cli("cohort", "add", "10", "--rules", "cohort-10")
    cli("hub", "allocate", "north", "--cohort", "10", "--places", "1")
    cli("change-cohort", str(sid), "--cohort", "10", "--reason", "r", code=1)  # not deferred
    cli("defer", str(sid), "--reason", "Leave.")
    cli("change-cohort", str(sid), "--cohort", "10", "--reason", "Back next year.")
    data = show(cli, sid)
    assert (data["cohort"], data["school_urn"], data["email"]) == (
        10,
        "100002",
        "new@school.example",
    )
    corrections = [
        (h["trigger"], h["actor"], h["reason"])
        for h in data["history"]
        if h["trigger"] in ("reinstate", "move", "edit", "change_cohort")
    ]
    assert corrections == [
        ("reinstate", "admin@ncetm.example", "Undo."),
        ("move", "admin@ncetm.example", "New job."),
        ("edit", "admin@ncetm.example", "details changed"),
        ("change_cohort", "admin@ncetm.example", "Back next year."),
    ]
    edit = next(h for h in data["history"] if h["trigger"] == "edit")
    assert edit["details"]["old"] == {"email": "teacher0.100001@school.example"}


def test_school_edit_cohort_window_and_work_groups(cli, world):
    cli("school", "edit", "100001", "--head-name", "Pat New", "--head-email", "pat@north.example")
    cli("school", "edit", "100001", code=1)
    cli("school", "edit", "100001", "--head-email", "not an email", code=1)
    cli("cohort", "window", "9", "--opens", "2025-04-01", "--closes", "2025-03-01T17:00", code=1)
    cli("cohort", "window", "9", "--opens", "2025-04-01", "--closes", "2025-07-31T17:00")
    nominate(
        cli,
        "--school",
        "200001",
        "--name",
        "Late OK",
        "--email",
        "ok@school.example",
        now="2025-07-20T10:00",
    )
    (sid,) = world.nominate(accredited_pd_lead=True)
    cli("select", str(sid))
    for trigger in ("advance",) * 3:
        cli(trigger, str(sid), "--override", "--reason", "test")
    cli("workgroup", "add", str(sid), "--name", "WG", "--school", "12345", code=1)
    cli(
        "workgroup",
        "add",
        str(sid),
        "--name",
        "WG",
        "--school",
        "111111",
        "--school",
        "222222",
        "--colleague",
        "Jo Colleague",
    )
    north = json.loads(cli("report", "cohort", "9", "--json"))["hubs"][0]
    assert (north["hub"], north["schools_reached"]) == ("north", 2)
    assert "Schools reached by Work Groups nationally: 2" in cli("report", "cohort", "9")


def test_accredited_pd_lead_not_duplicate_and_a_change_of_cohort_override(cli, world):
    sid = json.loads(
        nominate(cli, "--school", "100001", "--name", "Ada Lovelace", "--email",
                 "ada@school.example", "--accredited-pd-lead")
    )["id"]  # fmt: skip
    (accreditation,) = show(cli, sid)["milestones"]
    assert accreditation["kind"] == "accreditation" and "Accredited" in accreditation["reason"]
    again = ["--school", "200001", "--name", "Ada L", "--email", "ada@school.example"]
    assert f"specialist {sid} has the same email" in nominate(cli, *again, code=1)
    other = json.loads(nominate(cli, *again, "--not-duplicate", "--reason", "Two Adas."))["id"]
    assert show(cli, other)["history"][0]["override"] is True

    cli("select", str(sid))
    cli("advance", str(sid), now="2025-09-01T09:00")
    world.clock.set(datetime(2026, 1, 16, 10, tzinfo=UTC))
    release_due(world.runtime, world.clock.now())
    cli("defer", str(sid), "--reason", "Leave.", now="2026-01-20T10:00")
    cli("cohort", "add", "10", "--rules", "cohort-10")
    cli("hub", "allocate", "north", "--cohort", "10", "--places", "1")
    refused = cli("change-cohort", str(sid), "--cohort", "10", "--reason", "Back.", code=1)
    assert "already released" in refused
    cli("change-cohort", str(sid), "--cohort", "10", "--reason", "Back.", "--override")
    assert show(cli, sid)["cohort"] == 10
