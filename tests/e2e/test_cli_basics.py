"""The command as a user runs it: a subprocess, real environment variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

WORKFLOW = [sys.executable, "-m", "workflow.cli.main"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    environment.update(env)
    return subprocess.run(
        WORKFLOW + args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def test_bad_database_url_gives_one_line_and_exit_2(tmp_path):
    result = run(["db", "upgrade"], tmp_path, WORKFLOW_DATABASE_URL="nonsense")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "WORKFLOW_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_creates_the_default_sqlite_file(tmp_path):
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "workflow.db").exists()


def test_unknown_option_is_a_usage_error(tmp_path):
    result = run(["db", "upgrade", "--bogus"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1


def test_unreachable_database_is_one_line(tmp_path):
    result = run(
        ["db", "upgrade"], tmp_path, WORKFLOW_DATABASE_URL="postgresql://nobody@127.0.0.1:1/x"
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "cannot use the database" in result.stderr


OLD_ROWS = [
    "INSERT INTO hubs (id, code, name, digest_to_staff) VALUES (1, 'north', 'North', 0)",
    "INSERT INTO cohorts (id, number, rules_name, rules, start_date)"
    " VALUES (1, 9, 'cohort-9', :rules, :start)",
    "INSERT INTO schools (id, urn, name, phase, state_funded, head_name, head_email, hub_id)"
    " VALUES (1, '100001', 'School', 'secondary', 1, 'Head', 'h@s.example', 1)",
    "INSERT INTO specialists (id, name, email, qts, teaching_since, school_id, cohort_id,"
    " state, version, created_at, updated_at) VALUES (1, 'Ada', 'a@s.example', 1,"
    " '2015-09-01', 1, 1, 'year1', 3, '2025-09-01 09:00:00', '2025-09-01 09:00:00')",
    "INSERT INTO audit_log (specialist_id, kind, name, from_state, to_state, actor, at,"
    " override) VALUES (1, 'transition', 'start_year1', 'selected', 'year1', 'system',"
    " '2025-09-01 09:00:00', 0)",
]


def test_db_upgrade_reads_every_trail_when_the_schema_changes(tmp_path):
    """A database from before the kept figures: after ``db upgrade`` a Year 1 specialist
    with no days recorded is stuck, has held a place, and is counted in the tallies."""
    from sqlalchemy import text

    from workflow.db.engine import make_engine
    from workflow.db.migrate import upgrade
    from workflow.states.rules import load_rules, rules_snapshot

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "people_contacts")  # the revision before specialist_tallies
    rules = load_rules("cohort-9")
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(
                text(statement),
                {"rules": json.dumps(rules_snapshot(rules)), "start": rules.dates.year1_start},
            )
    engine.dispose()

    result = run(["db", "upgrade"], tmp_path, WORKFLOW_DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    with engine.connect() as conn:
        reasons, selected = conn.execute(
            text("SELECT stuck_reasons, ever_selected FROM specialists WHERE id = 1")
        ).one()
        tally = conn.execute(text("SELECT hub_id, state, count FROM specialist_tallies")).all()
    engine.dispose()
    assert "central days recorded in Year 1: 0 of 5.5" in reasons and selected
    assert tally == [(1, "year1", 1)]
