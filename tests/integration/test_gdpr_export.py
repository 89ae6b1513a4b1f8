"""Subject access export: every transition, milestone, email and funding line of the person,
checked against the database; a school contact's export by address; the CLI's two files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.integration.conftest import ADMIN
from tests.integration.gdpr_support import EMAIL, NAME, keyed_runtime, paid_year1_specialist
from workflow.cli.main import cli
from workflow.db.models import AuditEntry, EmailLog, FundingEntry, LedgerEntry
from workflow.errors import NotFound, NotPermitted
from workflow.services import staff
from workflow.services.auth import Actor, Role
from workflow.services.gdpr.export import export_contact, export_specialist
from workflow.services.gdpr.html import export_html
from workflow.services.gdpr.retention import Rules

RULES = Rules().as_dict()


@pytest.fixture
def rt(database_url, clock, tmp_path):
    runtime = keyed_runtime(database_url, clock, tmp_path)
    yield runtime
    runtime.close()


def test_the_export_holds_every_line_of_the_person_as_the_database_does(rt, clock):
    paid = paid_year1_specialist(rt, clock)
    doc = export_specialist(rt.uow(), ADMIN, paid.subject, clock.now(), RULES)
    sid = paid.subject
    with rt.uow() as uow:
        s = uow.session
        audit = s.scalars(select(AuditEntry).where(AuditEntry.specialist_id == sid)).all()
        emails = s.scalars(select(EmailLog).where(EmailLog.specialist_id == sid)).all()
        entries = s.scalars(select(FundingEntry).where(FundingEntry.specialist_id == sid)).all()
        ledger = s.scalars(select(LedgerEntry).where(LedgerEntry.specialist_id == sid)).all()
    transitions = sorted(
        (e.id, e.name, e.from_state, e.to_state, e.actor, e.at.isoformat(), e.reason)
        for e in audit
        if e.kind == "transition"
    )
    assert [
        (t["id"], t["trigger"], t["from"], t["to"], t["by"], t["at"], t["reason"])
        for t in doc["transitions"]
    ] == transitions
    assert [t["trigger"] for t in doc["transitions"]] == [
        "nominate", "select", "start_year1", "withdraw"
    ]  # fmt: skip
    milestones = sorted(
        (e.id, e.name, e.half_days, e.occurred_on.isoformat(), e.actor)
        for e in audit
        if e.kind == "milestone"
    )
    assert [
        (m["id"], m["kind"], m["half_days"], m["date"], m["by"]) for m in doc["milestones"]
    ] == milestones
    assert len(milestones) == 3
    assert sorted((e.id, e.template, e.recipient, e.status) for e in emails) == [
        (e["id"], e["template"], e["recipient"], e["status"]) for e in doc["emails"]
    ]
    roles = {e["recipient_role"] for e in doc["emails"]}
    assert roles >= {"specialist", "headteacher", "finance"}  # "other": their address before
    assert len(emails) >= 4
    assert sorted((f.id, f.amount_pence, f.status) for f in entries) == [
        (f["id"], f["amount_pence"], f["status"]) for f in doc["funding"]["instalments"]
    ]
    assert sorted((line.id, line.kind, line.amount_pence) for line in ledger) == [
        (line["id"], line["kind"], line["amount_pence"]) for line in doc["funding"]["ledger"]
    ]
    assert len(ledger) == 3  # an instalment, an adjustment, the pro rata on withdrawal
    assert doc["record"]["name"] == NAME
    assert set(doc["article15"]) >= {"purposes", "recipients", "retention", "rights", "source"}
    assert any("12 months" in line for line in doc["article15"]["retention"])
    page = export_html(doc, "Europe/London")
    assert NAME in page and "Article 15" in page and "<script" not in page
    assert "Thursday 15 January 2026" in page  # the instalment's due date, spelt out
    assert "Monday 1 September 2025, 10am" in page  # Year 1 start: 09:00 UTC, 10am in London
    assert "£750.00" in page


def test_a_headteacher_export_lists_their_school_and_the_emails_sent_to_them(rt, clock):
    paid = paid_year1_specialist(rt, clock)
    doc = export_contact(rt.uow(), ADMIN, "HEAD@north.example", clock.now(), RULES)
    assert doc["schools"] == [
        {"urn": "100001", "name": "North Academy", "roles": ["headteacher"],
         "head_name": "Alex Head"}
    ]  # fmt: skip
    with rt.uow() as uow:
        sent = uow.session.scalars(
            select(EmailLog.id).where(EmailLog.recipient == "head@north.example")
        ).all()
    assert sorted(sent) == [e["id"] for e in doc["emails"]] and sent
    assert doc["specialist_records"] == []
    with pytest.raises(NotFound):
        export_contact(rt.uow(), ADMIN, "nobody@nowhere.example", clock.now(), RULES)
    own = export_contact(rt.uow(), ADMIN, EMAIL, clock.now(), RULES)
    assert own["specialist_records"] == [paid.subject] and own["emails"]
    viewer = Actor("viewer@hub.example", Role.VIEWER)
    with pytest.raises(NotPermitted):
        export_specialist(rt.uow(), viewer, 1, clock.now(), RULES)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_writes_json_and_html(rt, clock, tmp_path, monkeypatch):
    paid = paid_year1_specialist(rt, clock)
    token = staff.init(rt.uow(), "root@mathshubs.example", "Root", clock.now())
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("WORKFLOW_TOKEN", token)
    out = tmp_path / "export.json"
    result = CliRunner().invoke(cli, ["gdpr", "export", str(paid.subject), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["record"]["id"] == paid.subject
    assert NAME in (tmp_path / "export.html").read_text()
