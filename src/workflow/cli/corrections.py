"""Corrections and changes: ``reinstate``, ``change-cohort``, ``milestone void``,
``specialist edit``, ``move`` and ``workgroup add`` (arguments -> one service call)."""

from __future__ import annotations

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json
from workflow.cli.params import COHORT_NUMBER, RECORD_ID, URN
from workflow.cli.params import REASON as REASON_TEXT
from workflow.services import changes, corrections, workgroups

ID = click.argument("specialist_id", metavar="ID", type=RECORD_ID)
REASON = click.option(
    "--reason", type=REASON_TEXT, required=True, help="Why: kept in the audit trail."
)


@click.command()
@ID
@REASON
@json_option
@pass_env
def reinstate(env: Env, specialist_id: int, reason: str, as_json: bool) -> None:
    """not_selected -> nominated (the reserve list, until Year 1 starts); withdrawn -> the
    state it left, with the reminders and funding the withdrawal cancelled."""
    outcome = corrections.reinstate(env.uow(), env.actor, specialist_id, reason, env.now())
    if as_json:
        emit_json({"id": specialist_id, "from": outcome.source.value, "to": outcome.dest.value})
    else:
        click.echo(f"specialist {specialist_id}: {outcome.source.value} -> {outcome.dest.value}")


@click.command("change-cohort")
@ID
@click.option("--cohort", type=COHORT_NUMBER, required=True, help="A later cohort.")
@REASON
@click.option("--override", is_flag=True, help="Go ahead although the year was part-paid.")
@json_option
@pass_env
def change_cohort(env: Env, specialist_id, cohort, reason, override, as_json) -> None:
    """Move a deferred specialist into a later cohort (its rules and dates); then resume."""
    corrections.change_cohort(
        env.uow(), env.actor, specialist_id, cohort, reason, env.now(), override=override
    )
    if as_json:
        emit_json({"id": specialist_id, "cohort": cohort})
    else:
        click.echo(f"specialist {specialist_id}: now in cohort {cohort}")


@click.group()
def milestone() -> None:
    """Milestones recorded for a specialist."""


@milestone.command("void")
@ID
@click.argument("milestone_id", metavar="MILESTONE_ID", type=RECORD_ID)
@REASON
@json_option
@pass_env
def milestone_void(env: Env, specialist_id, milestone_id, reason, as_json) -> None:
    """Void a milestone recorded by mistake (it stays in the trail, marked)."""
    entry = corrections.void_milestone(
        env.uow(), env.actor, specialist_id, milestone_id, reason, env.now()
    )
    if as_json:
        emit_json({"id": specialist_id, "milestone_id": milestone_id, "correction_id": entry})
    else:
        click.echo(f"specialist {specialist_id}: milestone {milestone_id} voided")


@click.group()
def specialist() -> None:
    """A specialist's details."""


@specialist.command("edit")
@ID
@click.option("--name", help="The teacher's full name.")
@click.option("--email", help="The teacher's email address.")
@click.option("--reason", type=REASON_TEXT, help="Why (optional): kept in the audit trail.")
@json_option
@pass_env
def specialist_edit(env: Env, specialist_id, name, email, reason, as_json) -> None:
    """Change a specialist's name or email (the old values stay in the audit trail)."""
    old = changes.edit_specialist(
        env.uow(), env.actor, specialist_id, env.now(), name=name, email=email, reason=reason
    )
    if as_json:
        emit_json({"id": specialist_id, "changed": sorted(old)})
    else:
        click.echo(f"specialist {specialist_id}: {', '.join(sorted(old))} changed")


@click.command()
@ID
@click.option("--school", "urn", type=URN, required=True, help="The new school's six-digit URN.")
@REASON
@json_option
@pass_env
def move(env: Env, specialist_id, urn, reason, as_json) -> None:
    """The teacher changed school (or hub): future funding follows them."""
    moved = changes.move(env.uow(), env.actor, specialist_id, urn, reason, env.now())
    if as_json:
        emit_json({"id": specialist_id, **moved})
    else:
        hub = " (another hub)" if moved["hub_changed"] else ""
        click.echo(f"specialist {specialist_id}: moved from {moved['from']} to {moved['to']}{hub}")


@click.group()
def workgroup() -> None:
    """Year 3's Teaching for Mastery Work Groups."""


@workgroup.command("add")
@ID
@click.option("--name", required=True, help="The Work Group's name.")
@click.option("--school", "urns", multiple=True, required=True, help="A participating URN.")
@click.option("--colleague", help="The school colleague who joins, if any.")
@click.option("--joins", is_flag=True, help="The specialist joins it (default: leads it).")
@json_option
@pass_env
def workgroup_add(env: Env, specialist_id, name, urns, colleague, joins, as_json) -> None:
    """Record a Work Group a specialist leads or joins, and its schools."""
    group_id = workgroups.add_work_group(
        env.uow(), env.actor, specialist_id, name, list(urns), env.now(),
        role="joins" if joins else "leads", colleague=colleague,
    )  # fmt: skip
    if as_json:
        emit_json({"id": group_id, "specialist": specialist_id, "schools": len(set(urns))})
    else:
        click.echo(f"work group {group_id} recorded with {len(set(urns))} school(s)")


COMMANDS = [reinstate, change_cohort, milestone, specialist, move, workgroup]
