"""Personal data commands as a national admin runs them: a declined nomination erased after
a confirmation, then exported, re-nominated, and the database dumped redacted."""

from __future__ import annotations

import json
import sqlite3

from tests.e2e.test_cli_basics import run

KEY = "e2e-erasure-key-0123456789"


def test_erase_export_renominate_and_dump(tmp_path):
    env = {"WORKFLOW_ERASURE_KEY": KEY, "WORKFLOW_NOW": "2025-06-02T10:00"}
    assert run(["db", "upgrade"], tmp_path, **env).returncode == 0
    init = run(["init", "--email", "admin@ncetm.example", "--name", "Ada Admin"], tmp_path, **env)
    env["WORKFLOW_TOKEN"] = init.stdout.strip().splitlines()[-1]
    for args in (
        ["hub", "add", "north", "--name", "North Maths Hub"],
        ["cohort", "add", "9", "--rules", "cohort-9"],
        ["school", "add", "100001", "--name", "North Academy", "--hub", "north",
         "--phase", "secondary", "--funding", "state", "--head-name", "Hal Head",
         "--head-email", "head@north.example"],
    ):  # fmt: skip
        done = run(args, tmp_path, **env)
        assert done.returncode == 0, done.stderr
    nominate = ["nominate", "--cohort", "9", "--school", "100001", "--name", "Orla Ó Briain",
                "--email", "orla@north.example", "--qts",
                "--teaching-since", "2015-09-01"]  # fmt: skip
    sid = run(nominate, tmp_path, **env).stdout.strip()
    assert run(["decline", sid, "--reason", "Orla has no cover"], tmp_path, **env).returncode == 0

    no = run(["gdpr", "erase", sid, "--reason", "SAR 17"], tmp_path, **env)  # no terminal: no
    assert no.returncode == 1 and no.stderr.count("\n") == 1
    yes = run(["gdpr", "erase", sid, "--reason", "SAR 17 from Orla Ó Briain", "--yes"], tmp_path,
              **env)  # fmt: skip
    assert yes.returncode == 0, yes.stderr

    shown = json.loads(run(["show", sid, "--json"], tmp_path, **env).stdout)
    assert (shown["name"], shown["state"]) == (f"Specialist {sid}", "not_selected")
    out = tmp_path / "sar.json"
    exported = run(["gdpr", "export", sid, "-o", str(out)], tmp_path, **env)
    assert exported.returncode == 0, exported.stderr
    assert "Orla" not in out.read_text() and (tmp_path / "sar.html").exists()

    again = run(nominate, tmp_path, **env)
    assert again.returncode == 1 and "erased at their request" in again.stderr

    copy = tmp_path / "copy.db"
    assert run(["db", "dump", "--redacted", str(copy)], tmp_path, **env).returncode == 0
    with sqlite3.connect(copy) as db:
        heads = db.execute("select head_name, head_email from schools").fetchall()
        admins = db.execute("select name, email from staff").fetchall()
    assert heads == [("Headteacher 1", "head-1@erased.invalid")]
    assert admins == [("Staff 1", "staff-1@erased.invalid")]
    with sqlite3.connect(tmp_path / "var" / "workflow.db") as db:
        texts = " ".join(str(v) for row in db.execute("select * from refusals") for v in row)
        texts += " ".join(str(v) for row in db.execute("select * from erasures") for v in row)
    assert "Orla" not in texts and "SAR 17 from Specialist" in texts
