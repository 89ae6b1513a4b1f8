"""``workflow gdpr``: a person's data exported (Article 15), erased (Article 17), retention;
and ``workflow db dump --redacted`` (a copy with personal fields replaced). National admins.

Staff see names here (the confirmation names who is erased); logs never do.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json


@click.group()
def gdpr() -> None:
    """Personal data: subject access export, erasure, retention (national admins)."""


@gdpr.command("erase")
@click.argument("specialist_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why (e.g. the request's date and reference).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_env
def erase(env: Env, specialist_id: int, reason: str, yes: bool, as_json: bool) -> None:
    """Erase a specialist's name, email and free text, keeping the money trail.

    Only someone who has left (withdrawn, not selected) can be erased. It cannot be undone.
    """
    from workflow.services.gdpr.erase import erase_specialist, require_key
    from workflow.services.views import show

    require_key(env.runtime.settings.erasure_key)  # before asking: refused now, not after
    if not yes:
        person = show(env.uow(), env.actor, specialist_id)
        click.confirm(
            f"Erase the personal data of specialist {specialist_id}, {person['name']} "
            f"<{person['email']}> ({person['state']})? This cannot be undone",
            abort=True,
            err=True,
        )
    erased = erase_specialist(env.uow(), env.actor, specialist_id, reason, env.now())
    if as_json:
        emit_json({"id": specialist_id, "erasure": erased.erasure_id, "changed": erased.changed,
                   "same_address": list(erased.also)})  # fmt: skip
        return
    fields = sum(erased.changed.values())
    click.echo(f"specialist {specialist_id}: erased ({fields} fields changed)")
    if erased.also:
        others = ", ".join(map(str, erased.also))
        click.echo(f"the same address is also on specialist {others}: not erased (erase each)")


@gdpr.command("export")
@click.argument("subject", metavar="ID_OR_EMAIL")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON to this file and the readable HTML next to it (.html).",
)  # fmt: skip
@pass_env
def export(env: Env, subject: str, output: Path | None) -> None:
    """Everything held about a specialist (ID) or a school contact or staff member (EMAIL)."""
    from workflow.errors import InvalidInput
    from workflow.services.gdpr.export import export_contact, export_specialist
    from workflow.services.gdpr.html import export_html
    from workflow.services.gdpr.retention import Rules

    rules = Rules.from_settings(env.runtime.settings).as_dict()
    if subject.isdigit():
        document = export_specialist(env.uow(), env.actor, int(subject), env.now(), rules)
    elif "@" in subject:
        document = export_contact(env.uow(), env.actor, subject, env.now(), rules)
    else:
        raise click.UsageError(f"{subject!r} is neither a specialist id nor an email address")
    if output is None:
        emit_json(document)
        return
    html_path = output.with_suffix(".html")
    if html_path == output:
        raise click.UsageError("-o names the JSON file (the HTML is written next to it)")
    try:
        output.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
        html_path.write_text(export_html(document, env.runtime.settings.timezone), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"written to {output} and {html_path}")


@gdpr.command("retention")
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
@json_option
@pass_env
def retention(env: Env, dry_run: bool, as_json: bool) -> None:
    """Apply the retention rules now (the scheduler does it daily)."""
    from workflow.services.gdpr.retention import Rules, apply_retention, authorize_retention

    authorize_retention(env.actor)
    settings = env.runtime.settings
    report = apply_retention(env.uow(), Rules.from_settings(settings), env.now(), dry_run=dry_run)
    if as_json:
        emit_json(report.as_dict())
        return
    verb = "would erase" if dry_run else "erased"
    click.echo(f"not selected, {verb}: {_ids(report.not_selected_erased)}")
    click.echo(f"left the programme, {verb}: {_ids(report.left_erased)}")
    click.echo(
        f"email payloads {'to clear' if dry_run else 'cleared'}: {report.email_content_cleared}"
    )


def _ids(ids: list[int]) -> str:
    return f"{len(ids)}" + (f" ({', '.join(map(str, ids))})" if ids else "")


@click.command("dump")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--redacted", is_flag=True, required=True, help="Replace personal fields.")
@json_option
@pass_env
def dump(env: Env, path: Path, redacted: bool, as_json: bool) -> None:
    """Copy the database into a new SQLite FILE with every personal field replaced."""
    from workflow.services.gdpr.dump import dump_redacted

    counts = dump_redacted(env.runtime.engine, env.actor, path)
    if as_json:
        emit_json({"file": str(path), "rows": counts})
    else:
        click.echo(f"written to {path}: {sum(counts.values())} rows in {len(counts)} tables")


COMMANDS = [gdpr]
