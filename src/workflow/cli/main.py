"""Entry point of the ``workflow`` command: the command tree and the one error boundary.

Heavy modules (SQLAlchemy, dramatiq, Alembic) are imported inside the commands that
need them, and each command's module only when that command runs (``COMMAND_MODULES``),
so that a short command such as ``workflow select`` starts quickly.
"""

from __future__ import annotations

import json
import os
import re
import sys
from importlib import import_module
from pathlib import Path

import click

from workflow.cli.output import printable
from workflow.errors import WorkflowError

#: Set by ``main`` when the command line asks for --json: errors are then a JSON document.
_json_errors = False


def _fail(message: str, code: int) -> None:
    """The one way an error leaves the command: one line (stderr), or under --json one
    JSON document ``{"error": ..., "exit_code": ...}`` on stdout; then exit ``code``."""
    line = " ".join(printable(message).split())
    if _json_errors:
        click.echo(json.dumps({"error": line, "exit_code": code}))
    else:
        click.echo(f"workflow: {line}", err=True)
    sys.exit(code)


class Refused(click.ClickException):
    """A domain refusal or bad setting, shown as one line with its own exit code."""

    def __init__(self, error: WorkflowError):
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        _fail(self.format_message(), self.exit_code)


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
    "gdpr": "gdpr",
    "web": "web",
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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def db_upgrade(as_json: bool) -> None:
    """Create or update the database schema to the latest version."""
    from workflow.bootstrap import bootstrap
    from workflow.db.migrate import current_revision, upgrade

    runtime = bootstrap()
    try:
        before = current_revision(runtime.engine)
        upgrade(runtime.engine)
        after = current_revision(runtime.engine)
        if before is not None and before != after:
            from workflow.services import standing

            standing.rebuild(runtime.uow())  # judged by the machine: no migration can
    finally:
        runtime.close()
    where = _database_place(runtime.settings.database_url)
    if before is None:
        said = f"created the database at {where} (schema {after})"
    elif before != after:
        said = f"upgraded the database at {where} from schema {before} to {after}"
    else:
        said = f"the database at {where} is already up to date (schema {after})"
    if as_json:
        click.echo(json.dumps({"database": where, "from": before, "to": after}))
    else:
        click.echo(said)


def _database_place(url: str) -> str:
    """Where a database URL points, for messages: a SQLite file's absolute path, or the
    server and database name (never the password)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return os.path.abspath(parsed.database or ":memory:")
    return f"{parsed.host or 'localhost'}/{parsed.database}"


NEGATIVE_NUMBER = re.compile(r"^-\d")


def _database_problem(exc: Exception) -> tuple[str, int]:
    """One line for a database error at the boundary (the corrupted file, the empty one)."""
    from workflow.config import load_settings

    try:
        where = _database_place(load_settings().database_url)
    except WorkflowError:
        where = "the configured database"
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    lowered = first.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return f"the database at {where} has no tables yet: run `workflow db upgrade`", 1
    if "not a database" in lowered or "malformed" in lowered or "encrypted" in lowered:
        return (
            f"the database file {where} is corrupted or not a workflow database ({first});"
            " restore it from a backup, or point WORKFLOW_DATABASE_URL at another",
            1,
        )
    if "readonly" in lowered or "read-only" in lowered:
        return f"the database at {where} is read-only for this user ({first})", 1
    return f"cannot use the database at {where}: {first}", 1


@db.command("dump")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--redacted", is_flag=True, required=True, help="Replace every personal field.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def db_dump(ctx: click.Context, path: str, redacted: bool, as_json: bool) -> None:
    """Copy the database into a new SQLite FILE with personal fields replaced (national admin)."""
    from workflow.cli.gdpr import dump

    ctx.invoke(dump, path=Path(path), redacted=redacted, as_json=as_json)


def main(argv: list[str] | None = None) -> None:
    """Run the command line, turning every expected failure into one line on stderr."""
    global _json_errors
    args = sys.argv[1:] if argv is None else argv
    _json_errors = "--json" in args
    try:
        cli.main(args=args, prog_name="workflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _fail("aborted", 1)
    except click.NoSuchOption as exc:
        where = exc.ctx.command_path if exc.ctx else "workflow"
        if NEGATIVE_NUMBER.match(exc.option_name):
            _fail(
                f"{exc.option_name!r} is not an ID or a count: they are whole numbers from 1"
                f" (see '{where} --help')",
                2,
            )
        _fail(f"{exc.format_message()} (see '{where} --help')", 2)
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
        from sqlalchemy.exc import DBAPIError

        if os.environ.get("WORKFLOW_DEBUG"):
            raise
        if isinstance(exc, DBAPIError):
            _fail(*_database_problem(exc))
        _fail(
            f"unexpected error: {type(exc).__name__}: {exc} (set WORKFLOW_DEBUG=1 for details)",
            70,
        )


if __name__ == "__main__":
    main()
