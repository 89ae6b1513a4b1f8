"""Entry point of the ``workflow`` command: the command tree and the one error boundary.

Heavy modules (SQLAlchemy, dramatiq, Alembic) are imported inside the commands that
need them, so that a short command starts quickly.
"""

from __future__ import annotations

import os
import sys

import click

from workflow.cli.dead_letters import dead_letters
from workflow.cli.worker import worker
from workflow.errors import WorkflowError


def _fail(message: str, code: int) -> None:
    click.echo(f"workflow: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Run the Secondary Mastery Specialist programme for a Maths Hub."""


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


cli.add_command(worker)
cli.add_command(dead_letters)


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
