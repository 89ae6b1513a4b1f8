"""The database as a new user meets it: missing, empty, corrupted. One line each, and a
read command never creates a file."""

from __future__ import annotations

import contextlib
import io
import os

import pytest

from workflow.cli.main import main


def run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with (
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(io.StringIO()),
        pytest.raises(SystemExit) as exited,
    ):
        main(list(argv))
    return exited.value.code, err.getvalue()


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKFLOW_DATABASE_URL", raising=False)
    monkeypatch.setenv("WORKFLOW_TOKEN", "wf_000000000000_whatever")
    return tmp_path


@pytest.mark.parametrize("argv", [["show", "5"], ["list"], ["report", "cohort", "9"]])
def test_a_read_command_where_there_is_no_database_creates_nothing(elsewhere, argv):
    code, err = run(*argv)
    assert code == 1 and err.count("\n") == 1
    assert f"no database at {elsewhere / 'var' / 'workflow.db'}" in err
    assert "workflow db upgrade" in err
    assert os.listdir(elsewhere) == []  # no var/, no file


def test_an_empty_database_file_says_to_upgrade(elsewhere, monkeypatch):
    (elsewhere / "empty.db").touch()
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", "sqlite:///empty.db")
    code, err = run("list")
    assert code == 1 and "has no tables yet: run `workflow db upgrade`" in err


@pytest.mark.parametrize("content", [b"garbage " * 200, b"SQLite format 3\x00" + b"\x07" * 5000])
def test_a_corrupted_database_is_named_as_such(elsewhere, monkeypatch, content):
    (elsewhere / "bad.db").write_bytes(content)
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", "sqlite:///bad.db")
    code, err = run("list")
    assert code == 1 and err.count("\n") == 1
    assert "is corrupted or not a workflow database" in err
    assert "sqlalche.me" not in err and "unexpected" not in err
