"""``workflow email preview`` and ``workflow email templates``: no database, no token."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from workflow.cli.main import cli, main
from workflow.notify.templates import TEMPLATES


@pytest.fixture
def runner(monkeypatch) -> CliRunner:
    # Prove that nothing needs the settings: a broken database URL must not matter.
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", "nonsense")
    monkeypatch.delenv("WORKFLOW_TOKEN", raising=False)
    return CliRunner()


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_preview_prints_subject_and_text_and_notes_the_rest(runner, template):
    result = runner.invoke(cli, ["email", "preview", template])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Subject: ") and len(lines[0]) > len("Subject: ")
    assert "Dear " in result.output
    assert "[also an HTML version: add --html to see it]" in result.output
    assert "<p>" not in result.output
    has_ics = "[attachment: " in result.output and "(text/calendar)]" in result.output
    assert has_ics == (
        template in ("launch_invitation", "launch_reminder", "central_event_reminder")
    )


def test_preview_html_prints_the_html_document(runner):
    result = runner.invoke(cli, ["email", "preview", "launch_invitation", "--html"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("<!DOCTYPE html>")
    assert "half a day alongside" in result.output
    assert "Subject:" not in result.output


def test_preview_can_show_the_headteachers_copy(runner):
    result = runner.invoke(cli, ["email", "preview", "selected", "--to", "headteacher"])
    assert result.exit_code == 0, result.output
    assert "To: head@oakfield.sch.example" in result.output
    assert "Dear David Lewis," in result.output


def test_templates_lists_every_name(runner):
    result = runner.invoke(cli, ["email", "templates"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == list(TEMPLATES)


def test_an_unknown_template_is_one_line_and_exit_1(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["email", "preview", "nope"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("workflow: unknown email template 'nope'; valid templates: ")
    assert "launch_invitation" in captured.err


def test_a_missing_template_argument_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["email", "preview"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_cli_roles_are_the_recipient_roles():
    from workflow.cli.email import ROLES
    from workflow.notify.render import RECIPIENT_ROLES

    assert ROLES == RECIPIENT_ROLES
