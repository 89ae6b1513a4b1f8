"""Listing what is set up: ``hub list``, ``school list``, ``staff list``, ``cohort list``,
``staff token EMAIL`` (a new token; the old one stops working), and managing staff as the
web's staff page does: ``staff role``, ``staff deactivate``, ``staff reactivate``,
``staff invite``.

The commands are added to the groups of ``cli/setup.py`` (which imports this module).
"""

from __future__ import annotations

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json, table
from workflow.services import directory, staff
from workflow.services.auth import Role


def _show(rows: list[dict], columns: list[str], as_json: bool) -> None:
    if as_json:
        emit_json(rows)
    else:
        table(None, columns, [[row[c] for c in columns] for row in rows])


@click.command("list")
@json_option
@pass_env
def hub_list(env: Env, as_json: bool) -> None:
    """List the Maths Hubs (yours, unless you are a national admin)."""
    _show(directory.list_hubs(env.uow(), env.actor), ["code", "name", "region", "schools"], as_json)


@click.command("list")
@click.option("--hub", "hub_code", help="Only this hub's schools.")
@json_option
@pass_env
def school_list(env: Env, hub_code: str | None, as_json: bool) -> None:
    """List schools by hub."""
    rows = directory.list_schools(env.uow(), env.actor, hub_code)
    _show(rows, ["urn", "name", "phase", "funding", "hub"], as_json)


@click.command("list")
@json_option
@pass_env
def cohort_list(env: Env, as_json: bool) -> None:
    """List cohorts: rules, start, places and specialists."""
    rows = directory.list_cohorts(env.uow(), env.actor)
    _show(rows, ["number", "rules", "start_date", "places", "specialists"], as_json)


@click.command("list")
@json_option
@pass_env
def staff_list(env: Env, as_json: bool) -> None:
    """List staff: email, name, role, hub, status (invited, active, deactivated)."""
    rows = staff.list_staff(env.uow(), env.actor)
    _show(rows, ["email", "name", "role", "hub", "status"], as_json)


@click.command("token")
@click.argument("email")
@json_option
@pass_env
def staff_token(env: Env, email: str, as_json: bool) -> None:
    """Issue a new token for EMAIL and revoke the old one (a lost or leaked token)."""
    token = staff.reissue_token(env.uow(), env.actor, email, env.now())
    if as_json:
        emit_json({"token": token})
    else:
        click.echo("The old token no longer works. Keep this one safe; it is shown once:", err=True)
        click.echo(token)


@click.command("role")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role if role != Role.SYSTEM]),
    help="The new role (a hub lead gives none above their own).",
)
@click.option("--hub", "hub_code", help="Another hub (national admins). Default: unchanged.")
@json_option
@pass_env
def staff_role(env: Env, email: str, role: str, hub_code: str | None, as_json: bool) -> None:
    """Change a member of staff's role (a hub lead: their own hub's staff)."""
    old = staff.change_role(env.uow(), env.actor, email, role, hub_code)
    if as_json:
        emit_json({"email": email, "role": role, "was": old})
    else:
        click.echo(f"{email}: {old} -> {role}")


@click.command("deactivate")
@click.argument("email")
@json_option
@pass_env
def staff_deactivate(env: Env, email: str, as_json: bool) -> None:
    """Deactivate a member of staff: no more signing in, token or links (the row stays)."""
    staff.deactivate(env.uow(), env.actor, email, env.now())
    emit_json({"email": email, "deactivated": True}) if as_json else click.echo(
        f"{email} deactivated"
    )


@click.command("reactivate")
@click.argument("email")
@json_option
@pass_env
def staff_reactivate(env: Env, email: str, as_json: bool) -> None:
    """Reactivate a deactivated member of staff: their role and hub as before, a new token
    (printed once) and an emailed invitation to create a password again."""
    token = staff.reactivate(env.uow(), env.actor, email, env.runtime.settings.base_url, env.now())
    if as_json:
        emit_json({"email": email, "reactivated": True, "token": token})
    else:
        click.echo(f"{email} reactivated and invited to create a password. "
                   "Their new token, shown once:", err=True)  # fmt: skip
        click.echo(token)


@click.command("invite")
@click.argument("email")
@json_option
@pass_env
def staff_invite(env: Env, email: str, as_json: bool) -> None:
    """Email a new invitation to someone who has not created a password yet."""
    staff.resend_invitation(env.uow(), env.actor, email, env.runtime.settings.base_url, env.now())
    emit_json({"email": email, "invited": True}) if as_json else click.echo(
        f"invitation queued for {email}"
    )
