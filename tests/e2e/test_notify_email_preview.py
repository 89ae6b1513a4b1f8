"""``workflow email preview`` as a user runs it: no database, no token, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WORKFLOW = [sys.executable, "-m", "workflow.cli.main"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
    return subprocess.run(
        WORKFLOW + args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def test_preview_needs_no_database_and_writes_nothing(tmp_path):
    result = run(["email", "preview", "launch_invitation"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Subject: Invitation: Cohort 9 launch event, Tuesday 30 Sep")
    assert "attends for half a day alongside" in result.stdout
    assert "[attachment: launch-invitation.ics (text/calendar)]" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_template_is_one_line_on_stderr_and_exit_1(tmp_path):
    result = run(["email", "preview", "launch_invite"], tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "unknown email template 'launch_invite'" in result.stderr
    assert "Traceback" not in result.stderr
