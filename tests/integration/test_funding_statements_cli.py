"""``workflow funding statements | mark-paid | adjust`` as a user runs them (CliRunner)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from tests.integration.conftest import ADMIN
from workflow.cli.main import cli
from workflow.scheduler.dispatch import dispatch_due
from workflow.scheduler.jobs import default_handlers
from workflow.services import funding, staff
from workflow.services.specialists import record_milestone, transition

STATEMENTS = {funding.GATHER_STATEMENTS: default_handlers()[funding.GATHER_STATEMENTS]}


@pytest.fixture
def paid_days(world, database_url, monkeypatch):
    """A cohort-9 specialist with two central days on the 15 January 2026 statement."""
    rt, clock = world.runtime, world.clock
    clock.set(datetime(2025, 7, 1, 9, tzinfo=UTC))
    (sid,) = world.nominate()
    transition(rt.uow(), ADMIN, sid, "select", clock.now())
    clock.set(datetime(2025, 9, 1, 9, tzinfo=UTC))
    transition(rt.uow(), ADMIN, sid, "start_year1", clock.now())
    clock.set(datetime(2025, 10, 17, 9, tzinfo=UTC))  # the day after the central event
    record_milestone(rt.uow(), ADMIN, sid, "central_day", clock.now(), half_days=4,
                     on=date(2025, 10, 16))  # fmt: skip
    dispatch_due(rt, STATEMENTS, now=datetime(2026, 1, 15, 12, tzinfo=UTC))
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKFLOW_NOW", "2026-01-20T10:00:00+00:00")
    token = staff.init(rt.uow(), "admin@ncetm.example", "Nat Admin", clock.now())
    monkeypatch.setenv("WORKFLOW_TOKEN", token)
    return sid


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_statements_are_listed_paid_once_and_adjusted(paid_days):
    listed = run("funding", "statements", "--cohort", "9", "--json")
    assert listed.exit_code == 0, listed.output
    (statement,) = json.loads(listed.output)
    assert (statement["release_date"], statement["total_pence"], statement["status"]) == (
        "2026-01-15",
        40000,
        "payable",
    )
    table = run("funding", "statements", "--cohort", "9")
    assert "£400.00" in table.output and "payable" in table.output

    paid = run("funding", "mark-paid", str(statement["id"]), "--reference", "BACS 77", "--json")
    assert paid.exit_code == 0, paid.output
    assert json.loads(paid.output)["status"] == "paid"
    again = run("funding", "mark-paid", str(statement["id"]))
    assert again.exit_code == 1 and "already paid" in again.output
    missing = run("funding", "mark-paid", "999999")
    assert missing.exit_code == 1 and "not found" in missing.output

    adjusted = run("funding", "adjust", str(paid_days), "--amount-pence", "-1500",
                   "--reason", "travel overpaid", "--json")  # fmt: skip
    assert adjusted.exit_code == 0, adjusted.output
    blank = run("funding", "adjust", str(paid_days), "--amount-pence", "100", "--reason", " ")
    assert blank.exit_code == 1 and "reason" in blank.output
    usage = run("funding", "adjust", str(paid_days), "--amount-pence", "lots", "--reason", "x")
    assert usage.exit_code == 2
    report = json.loads(run("report", "funding", "--cohort", "9", "--json").output)
    assert report["totals"]["paid_pence"] == 40000
    assert report["totals"]["entitled_pence"] == 150000 - 1500
