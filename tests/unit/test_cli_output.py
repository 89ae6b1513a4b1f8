"""Human output: tables fit 80 columns when not on a terminal; typed text never drives it."""

from __future__ import annotations

from workflow.cli.output import echo, printable, table


def test_a_table_of_long_cells_fits_80_columns(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    long = "moved to a school in another region after the autumn half term, with agreement"
    row = ("withdraw", "selected", "withdrawn", "lead@hub.example", "2025-09-01 09:00", long)
    table("History", ["trigger", "from", "to", "by", "at", "reason"], [row])
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "agreement" in "".join(lines)  # wrapped, not cut


def test_a_long_line_wraps_at_80_columns(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    echo("school: " + "St Aidan's Church of England Academy " * 4 + "(123456)")
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) <= 80


def test_control_characters_and_markup_are_shown_not_obeyed(capsys):
    assert printable("late \x1b[2J red\u202e") == "late \\x1b[2J red\\u202e"
    table(None, ["reason"], [("[bold]not bold[/bold] \x1b[31m",)])
    out = capsys.readouterr().out
    assert "[bold]not bold[/bold]" in out and "\x1b" not in out
