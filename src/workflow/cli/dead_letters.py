"""``workflow dead-letters``: list the messages that failed for good, and send them again."""

from __future__ import annotations

import json
import sys

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.params import RECORD_ID


@click.group("dead-letters")
def dead_letters() -> None:
    """Messages that failed for good (kept until retried)."""


@dead_letters.command("list")
@click.option("--all", "include_retried", is_flag=True, help="Include those already retried.")
@json_option
@pass_env
def list_command(env: Env, include_retried: bool, as_json: bool) -> None:
    """List the dead letters not yet retried (national admins)."""
    from workflow.services.dead_letters import list_dead_letters

    letters = list_dead_letters(env.uow(), env.actor, include_retried=include_retried)
    if as_json:
        click.echo(json.dumps([letter.as_json() for letter in letters], indent=2))
        return
    if not letters:
        click.echo("no dead letters")
        return
    _print_table(letters, env.runtime.settings.tz)


@dead_letters.command("retry")
@click.argument("dead_letter_id", type=RECORD_ID, required=False)
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead letter not yet retried.")
@json_option
@pass_env
def retry_command(env: Env, dead_letter_id: int | None, retry_all: bool, as_json: bool) -> None:
    """Send a dead letter (ID) or all of them (--all) again, through the outbox."""
    if (dead_letter_id is None) == (not retry_all):
        raise click.UsageError("give either a dead letter ID or --all")
    from workflow.services.dead_letters import retry

    retried = retry(env.uow(), env.actor, env.now(), dead_letter_id)
    if as_json:
        click.echo(json.dumps({"retried": retried}))
    elif retried:
        ids = ", ".join(str(i) for i in retried)
        click.echo(f"re-enqueued {len(retried)} dead letter(s): {ids}")
    else:
        click.echo("no dead letters to retry")


def _print_table(letters, tz) -> None:
    from rich.console import Console
    from rich.table import Column, Table

    table = Table(
        "id",
        "actor",
        Column("about", overflow="fold"),
        Column("error", overflow="fold"),
        "attempts",
        "failed at",
        "retried at",
    )
    for letter in letters:
        payload = letter.payload or {}
        about = payload.get("key") or ", ".join(f"{k}={v}" for k, v in payload.items())
        table.add_row(
            str(letter.id),
            letter.actor,
            about,
            letter.error.splitlines()[0] if letter.error else "",
            str(letter.attempts),
            _local(letter.created_at, tz),
            _local(letter.retried_at, tz),
        )
    # Piped into a file or another program: as wide as it takes, nothing cut.
    Console(width=None if sys.stdout.isatty() else 240).print(table)


def _local(moment, tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


COMMANDS = [dead_letters]
