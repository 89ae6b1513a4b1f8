"""A cohort driven through the command line alone, in subprocesses, on PostgreSQL:
set-up, staff, import, selection, milestones, advancement, views and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOW = [sys.executable, "-m", "workflow.cli.main"]


class Workflow:
    def __init__(self, database_url: str, folder: Path):
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
        self.env.update(WORKFLOW_DATABASE_URL=database_url, WORKFLOW_MAIL_DIR=str(folder / "mail"))
        self.folder = folder

    def __call__(self, *args: str, token: str | None = None, now: str = "2025-06-10T10:00",
                 expect: int = 0) -> subprocess.CompletedProcess[str]:  # fmt: skip
        env = dict(self.env, WORKFLOW_NOW=now)
        if token:
            env["WORKFLOW_TOKEN"] = token
        result = subprocess.run(
            WORKFLOW + list(args), env=env, cwd=self.folder, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert result.returncode == expect, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result

    def json(self, *args: str, **kwargs):
        return json.loads(self(*args, "--json", **kwargs).stdout)


@pytest.fixture
def wf(postgres_url, tmp_path) -> Workflow:
    return Workflow(postgres_url, tmp_path)


def test_a_cohort_through_the_command_line(wf):
    admin = wf.json("init", "--email", "admin@ncetm.example", "--name", "Nat Admin")["token"]
    wf("hub", "add", "great-north", "--name", "Great North Maths Hub", "--region", "North East",
       token=admin)  # fmt: skip
    wf("hub", "add", "abacus-nw", "--name", "Abacus NW Maths Hub", token=admin)
    wf("cohort", "add", "9", "--rules", "cohort-9", token=admin)
    wf("hub", "allocate", "great-north", "--cohort", "9", "--places", "2", token=admin)
    schools = (("111111", "great-north"), ("222222", "great-north"), ("444444", "great-north"),
               ("333333", "abacus-nw"))  # fmt: skip
    for urn, hub in schools:
        wf("school", "add", urn, "--name", f"School {urn}", "--hub", hub, "--phase", "secondary",
           "--funding", "state", "--head-name", "Pat Head", "--head-email", f"head@{urn}.example",
           "--finance-email", f"finance@{urn}.example", token=admin)  # fmt: skip
    lead = wf.json("staff", "add", "lead@gn.example", "--name", "Lee Lead", "--role", "hub_lead",
                   "--hub", "great-north", token=admin)["token"]  # fmt: skip
    staff = wf.json("staff", "add", "admin@gn.example", "--name", "Sam Staff", "--role",
                    "hub_staff", "--hub", "great-north", token=admin)["token"]  # fmt: skip

    csv = wf.folder / "nominations.csv"
    csv.write_bytes(
        "\ufeffurn,name,email,qts,teaching_since\r\n"
        "111111,Ada Lovelace,ada@111111.example,yes,2015-09-01\r\n"
        "222222,Alan Turing,alan@222222.example,yes,2016-09-01\r\n"
        "222222,Newly Qualified,nq@222222.example,yes,2024-09-01\r\n"
        "444444,Mary Somerville,mary@444444.example,yes,2012-09-01\r\n".encode()
    )
    refused = wf("import", "nominations", str(csv), "--cohort", "9", token=staff, expect=1)
    assert "row 4:" in refused.stderr and "early-career" in refused.stderr
    assert wf.json("list", token=staff) == []  # nothing imported
    imported = wf.json("import", "nominations", str(csv), "--cohort", "9", "--skip-invalid",
                       token=staff)  # fmt: skip
    ada, alan, mary = imported["imported"]
    assert [e["row"] for e in imported["errors"]] == [4]

    wf("select", str(ada), token=staff, expect=1)  # hub staff may not select
    wf("select", str(ada), token=lead)
    wf("select", str(alan), token=lead)
    full = wf("select", str(mary), token=lead, expect=1)
    assert "2 of 2 places used" in full.stderr
    wf("decline", str(mary), "--reason", "allocation full this year", token=lead)

    for sid in (ada, alan):
        wf("record", str(sid), "launch-attended", "--date", "2025-09-30", token=staff,
           now="2025-09-30T15:00")  # fmt: skip
        wf("advance", str(sid), token=lead, now="2025-09-01T09:00")
    wf("record", str(ada), "central-day", "--days", "5.5", token=staff, now="2026-05-14T16:00")
    wf("record", str(ada), "development-day", "--days", "2", token=staff, now="2026-06-01T16:00")
    wf("record", str(ada), "hub-support", "--half-days", "3", token=staff, now="2026-06-01T16:00")

    stuck = wf.json("list", "--stuck", token=lead, now="2026-08-01T09:00")
    assert [(s["id"], s["state"]) for s in stuck] == [(alan, "year1")]
    assert any("central days recorded in Year 1: 0 of 5.5" in r for r in stuck[0]["reasons"])

    wf("advance", str(ada), token=lead, now="2026-09-01T09:00")
    blocked = wf("advance", str(alan), token=lead, now="2026-09-01T09:00", expect=1)
    assert "central days" in blocked.stderr
    wf("advance", str(alan), "--override", "--reason", "attended the 2024 programme", token=lead,
       now="2026-09-01T09:00")  # fmt: skip
    wf("record", str(ada), "accreditation", token=staff, now="2027-06-01T09:00")
    wf("advance", str(ada), token=lead, now="2027-09-01T09:00")
    wf("withdraw", str(alan), "--reason", "moved to a new school", token=lead, now="2027-01-10")

    shown = wf.json("show", str(ada), token=staff)
    assert shown["state"] == "work_group_lead"
    assert [h["trigger"] for h in shown["history"]] == [
        "nominate", "select", "start_year1", "start_year2", "start_work_group",
    ]  # fmt: skip
    assert {m["kind"] for m in shown["milestones"]} == {
        "launch_attended", "central_day", "development_day", "hub_support", "accreditation",
    }  # fmt: skip
    alan_shown = wf.json("show", str(alan), token=lead)
    assert alan_shown["state"] == "withdrawn"
    assert alan_shown["history"][3]["override"] is True

    listed = wf.json("list", "--cohort", "9", token=admin)
    assert {(r["id"], r["state"]) for r in listed} == {
        (ada, "work_group_lead"), (alan, "withdrawn"), (mary, "not_selected"),
    }  # fmt: skip

    # Another hub's lead sees none of it.
    other = wf.json("staff", "add", "lead@nw.example", "--name", "Nia Lead", "--role", "hub_lead",
                    "--hub", "abacus-nw", token=admin)["token"]  # fmt: skip
    assert wf.json("list", token=other) == []
    hidden = wf("show", str(ada), token=other, expect=1)
    assert hidden.stderr.strip() == f"workflow: specialist {ada} not found"
    wf("list", token="wf_nonsense_token", expect=1)


def test_simulated_term_with_a_worker_on_redis_delivers_to_smtp(postgres_url, redis_url, tmp_path):
    """Set-up and selection through the CLI, then a worker process on Redis and
    ``workflow simulate`` across the autumn term: the cohort starts Year 1 on the term's
    first day and every expected email reaches the SMTP server exactly once."""
    from tests.integration._workers_support import flush_redis, wait_for
    from tests.smtp_server import SmtpTestServer

    flush_redis(redis_url)
    with SmtpTestServer() as smtp:
        wf = Workflow(postgres_url, tmp_path)
        wf.env.update(WORKFLOW_BROKER_URL=redis_url, WORKFLOW_SMTP_URL=smtp.url())
        admin = wf.json("init", "--email", "admin@ncetm.example", "--name", "Nat Admin")["token"]
        wf("hub", "add", "great-north", "--name", "Great North Maths Hub", token=admin)
        wf("cohort", "add", "9", "--rules", "cohort-9", token=admin)
        wf("hub", "allocate", "great-north", "--cohort", "9", "--places", "2", token=admin)
        wf("school", "add", "111111", "--name", "Tyne Academy", "--hub", "great-north",
           "--phase", "secondary", "--funding", "state", "--head-name", "Pat Head",
           "--head-email", "head@111111.example", token=admin)  # fmt: skip
        ids = [
            wf.json("nominate", "--cohort", "9", "--school", "111111", "--name", name,
                    "--email", email, "--qts", "--teaching-since", "2015-09-01",
                    "--extra-nominee", "--reason", "two lead teachers", token=admin)["id"]
            for name, email in (("Ada L", "ada@111111.example"), ("Alan T", "alan@111111.example"))
        ]  # fmt: skip
        for sid in ids:
            wf("select", str(sid), token=admin)

        worker = subprocess.Popen(
            [*WORKFLOW, "worker", "--processes", "1", "--threads", "4"],
            env=wf.env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            summary = wf.json("simulate", "--from", "2025-06-10", "--until", "2025-10-01",
                              token=admin)  # fmt: skip
            assert summary["by_state"]["year1"] == 2
            # nomination received, selected, launch invitation, and the launch reminders
            # 14 and 2 days before, to each specialist; the headteacher gets a copy of the
            # first two for each, and one invitation and one of each reminder for the school,
            # naming both (issue 15); and the autumn term's summary to the national admin.
            to_each, to_head = 1 + 1 + 1 + 2, 2 * (1 + 1) + (1 + 2)
            expected = 2 * to_each + to_head + 1
            wait_for(lambda: len(smtp.messages) >= expected, timeout=60, what="the emails")
        finally:
            worker.terminate()
            _, errors = worker.communicate(timeout=60)
        assert worker.returncode == 0, errors
        received = sorted((m.rcpt_tos[0], m.message["Subject"]) for m in smtp.messages)
        assert len(received) == expected
        assert sum(1 for to, _ in received if to == "head@111111.example") == to_head
        assert sum(1 for to, _ in received if to == "admin@ncetm.example") == 1
        for sid, school_emails in zip(ids, (1 + 2, 0), strict=True):
            emails = wf.json("show", str(sid), token=admin)["emails"]
            # the school's emails to the head are filed under the first specialist named
            assert len(emails) == to_each + 2 + school_emails
            assert {e["status"] for e in emails} == {"sent"}
