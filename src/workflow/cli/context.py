"""What every command shares: the process's runtime, who is acting, and how to print.

Built lazily per invocation, so ``--help`` and argument errors never touch the database.
A command other than ``init`` (and ``db upgrade``, which builds its own) never creates a
database: a SQLite file that does not exist is one line saying how to create it.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import cached_property

import click

from workflow.errors import WorkflowError


class Env:
    def __init__(self, token: str | None):
        self._token = token

    @cached_property
    def runtime(self):
        from workflow.bootstrap import bootstrap
        from workflow.config import load_settings

        settings = load_settings()
        root = click.get_current_context().find_root()
        if root.invoked_subcommand not in CREATES_DATABASE:
            _refuse_missing_database(settings.database_url)
        runtime = bootstrap(settings)
        click.get_current_context().call_on_close(runtime.close)
        return runtime

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def uow(self):
        return self.runtime.uow()

    @cached_property
    def actor(self):
        from workflow.services.staff import authenticate

        return authenticate(self.uow(), self._token or os.environ.get("WORKFLOW_TOKEN"))


#: The commands that may create the database file.
CREATES_DATABASE = frozenset({"init", "demo"})


def _refuse_missing_database(url: str) -> None:
    from sqlalchemy.engine import make_url  # on use: SQLAlchemy is heavy for --help

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = os.path.abspath(parsed.database)
    if not os.path.exists(path):
        raise WorkflowError(
            f"no database at {path}: create it with `workflow db upgrade`"
            " (or set WORKFLOW_DATABASE_URL to an existing one)"
        )


pass_env = click.make_pass_decorator(Env)

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
