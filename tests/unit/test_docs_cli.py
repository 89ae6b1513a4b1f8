"""The command contract in the repository (docs/cli.md) names every command the CLI has,
or the README says why it differs; and it is the project's shared contract, unchanged."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from workflow.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "cli.md"


def command_paths(group: click.Group, ctx: click.Context, prefix: str = "") -> list[str]:
    paths = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}".strip()
        if isinstance(command, click.Group):
            paths += command_paths(command, click.Context(command, parent=ctx), path)
        else:
            paths.append(path)
    return paths


def test_every_command_is_in_the_contract_or_the_readme():
    documented = (ROOT / "docs" / "cli.md").read_text() + (ROOT / "README.md").read_text()
    paths = command_paths(cli, click.Context(cli))
    assert "hub list" in paths and "show" in paths  # the walk finds commands at each level
    missing = [p for p in paths if f"workflow {p}" not in documented]
    assert missing == [], f"add these to README's list of additions: {missing}"


@pytest.mark.skipif(not SHARED.exists(), reason="the shared contract is not beside the repository")
def test_the_contract_in_the_repository_is_the_shared_one():
    assert (ROOT / "docs" / "cli.md").read_text() == SHARED.read_text()
