"""Entry point of the ``workflow`` command: the command tree and the one error boundary.

Heavy modules (SQLAlchemy, dramatiq, Alembic) are imported inside the commands that
need them, and each command's module only when that command runs (``COMMAND_MODULES``),
so that a short command such as ``workflow select`` starts quickly.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

import click

from workflow.errors import WorkflowError


def _fail(message: str, code: int) -> None:
    click.echo(f"workflow: {message}", err=True)
    sys.exit(code)


class Refused(click.ClickException):
    """A domain refusal or bad setting, shown as one line with its own exit code."""

    def __init__(self, error: WorkflowError):
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        click.echo(f"workflow: {self.format_message()}", err=True)


#: Which module of ``workflow.cli`` holds each top-level command (in its ``COMMANDS``).
COMMAND_MODULES = {
    **dict.fromkeys(["init", "staff", "hub", "school", "cohort"], "setup"),
    **dict.fromkeys(["nominate", "select", "decline", "withdraw", "defer"], "specialists"),
    **dict.fromkeys(["resume", "advance", "record", "show", "list"], "specialists"),
    **dict.fromkeys(["reinstate", "change-cohort", "milestone", "specialist"], "corrections"),
    **dict.fromkeys(["move", "workgroup"], "corrections"),
    "import": "imports",
    **dict.fromkeys(["scheduler", "run", "simulate", "demo"], "schedule"),
    "diagram": "diagram",
    "email": "email",
    "report": "report",
    "funding": "funding",
    **dict.fromkeys(["events", "event", "register"], "events"),
    "worker": "worker",
    "dead-letters": "dead_letters",
}


class WorkflowGroup(click.Group):
    """The top-level group: loads a command's module when it is asked for, and turns the
    system's own errors into one line on stderr, wherever a command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMAND_MODULES and name not in self.commands:
            module = import_module(f"workflow.cli.{COMMAND_MODULES[name]}")
            for command in module.COMMANDS:
                self.add_command(command)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WorkflowError as error:
            raise Refused(error) from None


@click.group(cls=WorkflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--token",
    metavar="TOKEN",
    help="Your staff token (default: the WORKFLOW_TOKEN environment variable).",
)
@click.pass_context
def cli(ctx: click.Context, token: str | None) -> None:
    """Run the Secondary Mastery Specialist programme for Maths Hubs.

    Set WORKFLOW_TOKEN to the token you were given; `workflow init` creates the first one.
    """
    from workflow.cli.context import Env

    ctx.obj = Env(token)


@cli.group()
def db() -> None:
    """Database housekeeping."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or update the database schema to the latest version."""
    from workflow.bootstrap import bootstrap
    from workflow.db.migrate import upgrade

    runtime = bootstrap()
    try:
        upgrade(runtime.engine)
    finally:
        runtime.close()
    click.echo("database is up to date")


def main(argv: list[str] | None = None) -> None:
    """Run the command line, turning every expected failure into one line on stderr."""
    try:
        cli.main(args=argv, prog_name="workflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _fail("aborted", 1)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "workflow"
        _fail(f"{exc.format_message()} (see '{where} --help')", 2)
    except Refused as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except WorkflowError as exc:
        _fail(str(exc), exc.exit_code)
    except Exception as exc:  # the boundary: never a traceback for a user
        from sqlalchemy.exc import OperationalError

        if os.environ.get("WORKFLOW_DEBUG"):
            raise
        if isinstance(exc, OperationalError):
            _fail(f"cannot use the database: {str(exc.orig).splitlines()[0]}", 1)
        _fail(
            f"unexpected error: {type(exc).__name__}: {exc} (set WORKFLOW_DEBUG=1 for details)",
            70,
        )


if __name__ == "__main__":
    main()
