"""The command tree: each command is loaded from the module ``COMMAND_MODULES`` names,
and a short command loads only what it needs."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

from click.testing import CliRunner

from workflow.cli.main import COMMAND_MODULES, cli


def test_every_module_holds_exactly_the_commands_the_table_gives_it():
    for module_name in set(COMMAND_MODULES.values()):
        module = import_module(f"workflow.cli.{module_name}")
        held = {command.name for command in module.COMMANDS}
        listed = {name for name, where in COMMAND_MODULES.items() if where == module_name}
        assert held == listed, module_name


def test_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1]
    for name in [*COMMAND_MODULES, "db"]:
        assert f"\n  {name} " in commands, name


def test_a_command_loads_its_own_module_and_not_the_others():
    probe = (
        "import sys\n"
        "from workflow.cli.main import cli\n"
        "cli.get_command(None, 'select')\n"
        "print(sorted(m for m in sys.modules if m.startswith('workflow.cli.')))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "'workflow.cli.specialists'" in loaded
    for other in ("imports", "schedule", "diagram", "report", "worker", "dead_letters"):
        assert f"'workflow.cli.{other}'" not in loaded
