"""The command as a user runs it: a subprocess, real environment variables."""

from __future__ import annotations

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
