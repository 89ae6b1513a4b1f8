"""``workflow gdpr erase`` and ``retention`` as staff use them: the confirmation, the refusals
(one line, exit 1 refused / 2 usage or setting) and that a refusal changes nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.integration.gdpr_support import (
    KEY,
    NAME,
    find_everywhere,
    keyed_runtime,
    paid_year1_specialist,
)
from workflow.cli.main import cli
from workflow.services import staff

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def rt(database_url, clock, tmp_path, monkeypatch):
    runtime = keyed_runtime(database_url, clock, tmp_path)
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKFLOW_ERASURE_KEY", KEY)
    yield runtime
    runtime.close()


def sign_in(rt, clock, monkeypatch) -> None:
    token = staff.init(rt.uow(), "root@ncetm.example", "Root", clock.now())
    monkeypatch.setenv("WORKFLOW_TOKEN", token)


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_erase_asks_first_and_only_yes_erases(rt, clock, monkeypatch):
    paid = paid_year1_specialist(rt, clock)
    sign_in(rt, clock, monkeypatch)
    sid = str(paid.subject)

    no = run("gdpr", "erase", sid, "--reason", "request 42", input="n\n")
    assert no.exit_code == 1
    assert NAME in no.output  # the confirmation names who would be erased
    assert find_everywhere(rt.engine, [NAME]) != []

    yes = run("gdpr", "erase", sid, "--reason", "request 42", input="y\n")
    assert yes.exit_code == 0, yes.output
    assert f"specialist {sid}: erased" in yes.output
    assert find_everywhere(rt.engine, [NAME]) == []

    again = run("gdpr", "erase", sid, "--reason", "request 42", "--yes")
    assert again.exit_code == 1 and "already erased" in again.output


def test_refusals_are_one_line_and_change_nothing(rt, clock, monkeypatch):
    paid = paid_year1_specialist(rt, clock)
    sign_in(rt, clock, monkeypatch)
    before = find_everywhere(rt.engine, [NAME])
    active = run("gdpr", "erase", str(paid.bystander), "--reason", "r", "--yes")
    assert active.exit_code == 1 and "withdraw them first" in active.output
    usage = run("gdpr", "erase", str(paid.subject), "--yes")
    assert usage.exit_code == 2 and "--reason" in usage.output
    monkeypatch.delenv("WORKFLOW_ERASURE_KEY")
    keyless = run("gdpr", "erase", str(paid.subject), "--reason", "r")  # refused before asking
    assert keyless.exit_code == 2 and "WORKFLOW_ERASURE_KEY" in keyless.output
    assert "Erase the personal data" not in keyless.output
    assert find_everywhere(rt.engine, [NAME]) == before


def test_retention_dry_run_reports_without_changing(rt, clock, monkeypatch):
    paid_year1_specialist(rt, clock)
    sign_in(rt, clock, monkeypatch)
    monkeypatch.setenv("WORKFLOW_NOW", "2032-04-02")
    before = find_everywhere(rt.engine, [NAME])
    result = run("gdpr", "retention", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dry_run"] is True and len(report["left_erased"]) == 1
    assert find_everywhere(rt.engine, [NAME]) == before
    text = run("gdpr", "retention", "--dry-run")
    assert "left the programme, would erase: 1" in text.output
