"""``hub list``, ``school list``, ``cohort list``, ``staff list``, ``staff token``, and
``list --stuck`` with every filter, through the command line."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from tests.integration.conftest import ADMIN
from workflow.cli.main import main
from workflow.services import staff
from workflow.services.specialists import transition


@pytest.fixture
def cli(world, database_url, monkeypatch):
    admin = staff.init(world.runtime.uow(), "admin@ncetm.example", "Nat Admin", world.clock.now())
    lead = staff.add_staff(
        world.runtime.uow(), ADMIN, "lead@north.example", "Lee Lead", "hub_lead", "north",
        world.clock.now(),
    )  # fmt: skip
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKFLOW_NOW", "2025-06-02T10:00")

    def run(*argv: str, token: str = admin) -> tuple[int, str, str]:
        monkeypatch.setenv("WORKFLOW_TOKEN", token)
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(argv))
            except SystemExit as exited:
                code = exited.code
        return code, out.getvalue(), err.getvalue()

    run.admin, run.lead, run.world = admin, lead, world
    return run


def test_lists_show_what_is_set_up_scoped_to_the_hub(cli):
    _, out, _ = cli("hub", "list", "--json")
    assert [h["code"] for h in json.loads(out)] == ["north", "south"]
    _, out, _ = cli("hub", "list", "--json", token=cli.lead)
    assert [h["code"] for h in json.loads(out)] == ["north"]
    _, out, _ = cli("school", "list", "--json", token=cli.lead)
    assert [s["urn"] for s in json.loads(out)] == ["100001"]
    _, out, _ = cli("cohort", "list", "--json")
    assert [(c["number"], c["places"]) for c in json.loads(out)] == [(9, 8)]
    _, out, _ = cli("staff", "list", "--json", token=cli.lead)
    assert [s["email"] for s in json.loads(out)] == ["lead@north.example"]


def test_staff_token_issues_a_new_token_and_revokes_the_old(cli):
    code, out, _ = cli("staff", "token", "lead@north.example", "--json")
    assert code == 0
    new = json.loads(out)["token"]
    code, _, err = cli("hub", "list", token=cli.lead)
    assert code == 1 and "not valid" in err
    assert cli("hub", "list", token=new)[0] == 0


def test_a_hub_lead_cannot_reissue_another_hubs_token(cli):
    code, _, err = cli("staff", "token", "admin@ncetm.example", token=cli.lead)
    assert code == 1 and "that you may manage" in err


def test_list_stuck_honours_state(cli):
    world = cli.world
    (sid,) = world.nominate()
    for trigger in ("select", "start_year1"):
        transition(world.runtime.uow(), ADMIN, sid, trigger, world.clock.now())
    _, out, _ = cli("list", "--stuck", "--state", "year1", "--json")
    assert [r["id"] for r in json.loads(out)] == [sid]
    _, out, _ = cli("list", "--stuck", "--state", "year2", "--json")
    assert json.loads(out) == []
    _, out, _ = cli("list", "--stuck", "--hub", "south", "--json")
    assert json.loads(out) == []


def test_a_hub_lead_refused_simulate_is_told_it_is_the_national_teams(cli):
    code, _, err = cli("simulate", "--until", "2025-07-01", token=cli.lead)
    assert code == 1 and "may not operate the system (simulate" in err
    assert "set up hubs" not in err
