"""``workflow email``: look at the emails the system sends, with sample values.

Needs no database and no token: ``templates`` lists the notification registry
(``notify/notifications.py``); ``preview`` renders one with its sample context
(``notify/samples.py``), exactly as the workers would render it for real.
"""

from __future__ import annotations

import json

import click

from workflow.notify.notifications import REGISTRY
from workflow.notify.render import RECIPIENT_ROLES, address_for_role, render_email
from workflow.notify.samples import SAMPLE_NOW, SAMPLE_SENDER, sample_context, sample_recipient

ROLES = RECIPIENT_ROLES


@click.group("email")
def email() -> None:
    """Preview the emails sent to specialists, headteachers and hub staff."""


@email.command("templates")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def templates(as_json: bool) -> None:
    """List the email templates and who receives each."""
    if as_json:
        click.echo(
            json.dumps([{"template": n, "about": note.description} for n, note in REGISTRY.items()])
        )
        return
    width = max(len(name) for name in REGISTRY)
    for name, note in REGISTRY.items():
        click.echo(f"{name:<{width}}  {note.description}")


@email.command("preview")
@click.argument("template")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part (only) instead.")
@click.option(
    "--to",
    "role",
    type=click.Choice([role.value for role in ROLES]),
    default=None,
    help="Whose copy to show (the wording differs); default: the template's first reader.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def preview(template: str, as_html: bool, role: str | None, as_json: bool) -> None:
    """Show TEMPLATE rendered with sample values: subject, text, and what else it carries."""
    context = sample_context(template)
    to = address_for_role(role, context) if role else sample_recipient(template, context)
    email_ = render_email(template, context, to=to, sender=SAMPLE_SENDER, now=SAMPLE_NOW)
    message = email_.message()
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    if as_json:
        click.echo(json.dumps({
            **{h.lower().replace("-", "_"): message[h] for h in ("Subject", "From", "To")},
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "attachments": [p.get_filename() for p in message.iter_attachments()],
        }))  # fmt: skip
        return
    if as_html:
        click.echo(html.get_content() if html is not None else "", nl=False)
        return
    for header in ("Subject", "From", "To", "Reply-To"):
        if message[header]:
            click.echo(f"{header}: {message[header]}")
    click.echo()
    click.echo(text.get_content() if text is not None else "", nl=False)
    click.echo()
    if html is not None:
        click.echo("[also an HTML version: add --html to see it]")
    for part in message.iter_attachments():
        click.echo(f"[attachment: {part.get_filename()} ({part.get_content_type()})]")


COMMANDS = [email]
