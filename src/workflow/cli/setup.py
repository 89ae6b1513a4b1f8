"""Setting up: ``init``, ``staff add``, ``hub add|allocate``, ``school add|edit`` and
``cohort add|window``."""

from __future__ import annotations

from datetime import datetime

import click

from workflow.cli import directory
from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json
from workflow.cli.params import COHORT_NUMBER, DATE, URN, whole
from workflow.services.auth import Role
from workflow.services.setup import FUNDING, PHASES


def _token_out(token: str, as_json: bool) -> None:
    if as_json:
        emit_json({"token": token})
    else:
        click.echo("Keep this token safe; it is shown only once:", err=True)
        click.echo(token)


@click.command()
@click.option("--email", required=True, help="The first national admin's email address.")
@click.option("--name", required=True, help="Their full name.")
@json_option
@pass_env
def init(env: Env, email: str, name: str, as_json: bool) -> None:
    """Create the first national admin and print their token (once only)."""
    from workflow.db.migrate import upgrade
    from workflow.services.staff import init as init_staff

    upgrade(env.runtime.engine)
    _token_out(init_staff(env.uow(), email, name, env.now()), as_json)


@click.group()
def staff() -> None:
    """Staff who use this system."""


@staff.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role if role != Role.SYSTEM]),
    help="national_admin: every hub; hub_lead: all of their hub's work; "
    "hub_staff: nominate, import, record; viewer: read only.",
)
@click.option("--hub", "hub_code", help="The hub code (every role but national_admin).")
@json_option
@pass_env
def staff_add(env: Env, email, name, role, hub_code, as_json) -> None:
    """Add a member of staff, email them an invitation to the web application (a link to
    create their password) and print their command-line token (shown once)."""
    from workflow.services.staff import add_staff

    base_url = env.runtime.settings.base_url
    token = add_staff(
        env.uow(), env.actor, email, name, role, hub_code, env.now(), invite_base_url=base_url
    )
    if not as_json:
        click.echo(f"Invitation to {base_url} queued for {email}.", err=True)
    _token_out(token, as_json)


@staff.command("password")
@click.argument("email")
@pass_env
def staff_password(env: Env, email: str) -> None:
    """Set a member of staff's web password, read from standard input (one line)."""
    import sys

    from workflow.errors import InvalidInput
    from workflow.services.staff import set_password

    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InvalidInput("no password on standard input")
    set_password(env.uow(), env.actor, email, password)
    click.echo(f"password set for {email}", err=True)


@click.group()
def hub() -> None:
    """Maths Hubs and their places."""


@hub.command("add")
@click.argument("code")
@click.option("--name", required=True, help="e.g. 'Great North Maths Hub'.")
@click.option("--region", help="e.g. 'North East'.")
@click.option(
    "--secondary-schools",
    type=click.IntRange(0, 100_000),
    help="State-funded secondary schools in the hub's area (for Work Group reach).",
)
@json_option
@pass_env
def hub_add(env: Env, code, name, region, secondary_schools, as_json) -> None:
    """Add a Maths Hub with a short code (lower case, dashes)."""
    from workflow.services.setup import add_hub

    hub_id = add_hub(env.uow(), env.actor, code, name, region, secondary_schools)
    emit_json({"id": hub_id, "code": code}) if as_json else click.echo(f"hub {code} added")


@hub.command("allocate")
@click.argument("code")
@click.option("--cohort", type=COHORT_NUMBER, required=True, help="Cohort number.")
@click.option("--places", type=whole(0, 100_000), required=True, help="Number of places.")
@json_option
@pass_env
def hub_allocate(env: Env, code, cohort, places, as_json) -> None:
    """Set how many places the hub has in a cohort."""
    from workflow.services.setup import allocate

    allocate(env.uow(), env.actor, code, cohort, places)
    if as_json:
        emit_json({"hub": code, "cohort": cohort, "places": places})
    else:
        click.echo(f"hub {code}: {places} places in cohort {cohort}")


@hub.command("digest")
@click.argument("code")
@click.option(
    "--to-staff/--lead-only",
    required=True,
    help="Whether the hub's staff receive the termly digest as well as its lead.",
)
@json_option
@pass_env
def hub_digest(env: Env, code, to_staff: bool, as_json) -> None:
    """Who receives the hub's termly digest: its hub lead, or its staff as well."""
    from workflow.services.setup import set_digest_to_staff

    set_digest_to_staff(env.uow(), env.actor, code, to_staff)
    if as_json:
        emit_json({"hub": code, "digest_to_staff": to_staff})
    else:
        who = "the hub lead and hub staff" if to_staff else "the hub lead only"
        click.echo(f"hub {code}: the termly digest goes to {who}")


@click.group()
def school() -> None:
    """Schools."""


@school.command("add")
@click.argument("urn", type=URN)
@click.option("--name", required=True)
@click.option("--hub", "hub_code", required=True, help="The school's Maths Hub code.")
@click.option("--phase", required=True, type=click.Choice(PHASES))
@click.option("--funding", required=True, type=click.Choice(FUNDING))
@click.option("--head-name", required=True, help="The headteacher's name.")
@click.option("--head-email", required=True, help="The headteacher's email.")
@click.option("--finance-email", help="Where funding notices go.")
@click.option("--finance-name", help="The finance contact's name.")
@json_option
@pass_env
def school_add(env: Env, urn, name, hub_code, phase, funding, head_name, head_email,
               finance_email, finance_name, as_json) -> None:  # fmt: skip
    """Add a school by its six-digit URN."""
    from workflow.services.setup import add_school

    school_id = add_school(
        env.uow(), env.actor, urn=urn, name=name, hub_code=hub_code, phase=phase,
        funding=funding, head_name=head_name, head_email=head_email, finance_email=finance_email,
        finance_name=finance_name,
    )  # fmt: skip
    emit_json({"id": school_id, "urn": urn}) if as_json else click.echo(f"school {urn} added")


@school.command("edit")
@click.argument("urn")
@click.option("--name", help="The school's name.")
@click.option("--head-name", help="The headteacher's name.")
@click.option("--head-email", help="The headteacher's email.")
@click.option("--finance-email", help='Where funding notices go ("" removes it).')
@click.option("--finance-name", help='The finance contact\'s name ("" removes it).')
@json_option
@pass_env
def school_edit(env: Env, urn, name, head_name, head_email, finance_email, finance_name,
                as_json) -> None:  # fmt: skip
    """Change a school's name, headteacher or finance contact (hub leads: their own hub)."""
    from workflow.services.setup import edit_school

    old = edit_school(
        env.uow(), env.actor, urn, env.now(), name=name, head_name=head_name,
        head_email=head_email, finance_email=finance_email, finance_name=finance_name,
    )  # fmt: skip
    if as_json:
        emit_json({"urn": urn, "changed": sorted(old)})
    else:
        click.echo(f"school {urn}: {', '.join(f.replace('_', ' ') for f in sorted(old))} changed")


@click.group()
def cohort() -> None:
    """Cohorts and their rules."""


@cohort.command("add")
@click.argument("number", type=COHORT_NUMBER)
@click.option("--rules", required=True, help="A shipped rules name (cohort-9) or a .toml file.")
@json_option
@pass_env
def cohort_add(env: Env, number, rules, as_json) -> None:
    """Add a cohort; it keeps a copy of its rules for life."""
    from workflow.services.setup import add_cohort

    cohort_id = add_cohort(env.uow(), env.actor, number, rules)
    emit_json({"id": cohort_id, "number": number}) if as_json else click.echo(
        f"cohort {number} added"
    )


def _closes(ctx, _param, value):
    """An ISO 8601 date-time; without an offset, the configured zone's clock time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date-time like 2025-07-11T17:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ctx.find_object(Env).runtime.settings.tz)
    return moment


@cohort.command("window")
@click.argument("number", type=COHORT_NUMBER)
@click.option("--opens", required=True, type=DATE, help="First day (YYYY-MM-DD).")
@click.option(
    "--closes",
    required=True,
    callback=_closes,
    help="Closing date-time, e.g. 2025-07-11T17:00 (the configured zone unless an offset).",
)
@click.option("--nominees-per-school", type=click.IntRange(1, 100), help="Default: unchanged.")
@json_option
@pass_env
def cohort_window(env: Env, number, opens, closes, nominees_per_school, as_json) -> None:
    """Set a cohort's recruitment window (national admins)."""
    from workflow.services.recruitment import set_window

    set_window(env.uow(), env.actor, number, opens, closes, nominees_per_school)
    if as_json:
        emit_json({"cohort": number, "opens": opens.isoformat(), "closes": closes.isoformat()})
    else:
        click.echo(f"cohort {number}: nominations from {opens} until {closes.isoformat()}")


# The list commands and ``staff token`` live in cli/directory.py.
for group, command in (
    (staff, directory.staff_list),
    (staff, directory.staff_token),
    (staff, directory.staff_role),
    (staff, directory.staff_deactivate),
    (staff, directory.staff_reactivate),
    (staff, directory.staff_invite),
    (hub, directory.hub_list),
    (school, directory.school_list),
    (cohort, directory.cohort_list),
):
    group.add_command(command)

COMMANDS = [init, staff, hub, school, cohort]
