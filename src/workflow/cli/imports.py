"""``workflow import nominations FILE.csv``: a spreadsheet of nominations, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json, progress
from workflow.cli.params import COHORT_NUMBER


@click.group("import")
def import_() -> None:
    """Import data from spreadsheets (CSV)."""


@import_.command("nominations")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cohort", type=COHORT_NUMBER, required=True, help="The cohort nominated to.")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some fail.")
@json_option
@pass_env
def nominations(env: Env, file: Path, cohort: int, dry_run, skip_invalid, as_json) -> None:
    """Import nominations: columns urn,name,email,qts,teaching_since (qts: yes/no).

    Every row is checked first; if any row fails, nothing is imported (unless
    --skip-invalid). Each row's problems are listed with its row number.
    """
    from workflow.errors import InvalidInput
    from workflow.services.imports import import_nominations

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    with progress(None, "importing") as bar:
        result = import_nominations(
            env.uow(), env.actor, data, cohort, env.now(),
            dry_run=dry_run, skip_invalid=skip_invalid, progress=bar,
        )  # fmt: skip
    if as_json:
        emit_json(result.as_dict())
    else:
        for error in result.errors:
            click.echo(f"row {error['row']}: {'; '.join(error['errors'])}", err=True)
        if dry_run:
            click.echo(f"dry run: {result.valid_rows} valid, {len(result.errors)} with errors")
        elif result.imported:
            click.echo(f"imported {len(result.imported)} nomination(s)")
        else:
            click.echo("nothing imported", err=True)
    failed = result.errors and not (skip_invalid and not dry_run)
    if failed:
        sys.exit(1)


COMMANDS = [import_]
