"""What every command shares: the process's runtime, who is acting, and how to print.

Built lazily per invocation, so ``--help`` and argument errors never touch the database.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import cached_property

import click


class Env:
    def __init__(self, token: str | None):
        self._token = token

    @cached_property
    def runtime(self):
        from workflow.bootstrap import bootstrap

        runtime = bootstrap()
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


pass_env = click.make_pass_decorator(Env)

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
