"""``workflow funding``: statements per school and release date, payment, adjustments.

Money is integer pence in JSON and pounds (``£1,234.56``) in tables.
"""

from __future__ import annotations

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json, pounds, table


@click.group()
def funding() -> None:
    """Funding statements, payments and adjustments."""


@funding.command("statements")
@click.option("--cohort", type=int, required=True, help="The cohort number.")
@click.option("--hub", "hub_code", help="Only this hub's schools.")
@json_option
@pass_env
def statements(env: Env, cohort: int, hub_code, as_json) -> None:
    """The cohort's statements, per school and release date."""
    from workflow.services.funding.statements import list_statements

    found = [s.as_dict() for s in list_statements(env.uow(), env.actor, cohort, hub_code)]
    if as_json:
        emit_json(found)
        return
    table(
        f"Funding statements, cohort {cohort}",
        ["Statement", "Release date", "School (URN)", "Hub", "Lines", "Total", "Status"],
        [[s["id"], s["release_date"], s["school_urn"], s["hub"], s["lines"],
          pounds(s["total_pence"]), s["status"]] for s in found],
    )  # fmt: skip


@funding.command("mark-paid")
@click.argument("statement_id", metavar="STATEMENT_ID", type=int)
@click.option("--reference", help="The payment's reference in the finance system.")
@json_option
@pass_env
def mark_paid(env: Env, statement_id: int, reference, as_json) -> None:
    """Record that the hub's finance team paid a statement (hub lead or national admin)."""
    from workflow.services.funding.statements import mark_paid as mark_paid_service

    paid = mark_paid_service(env.uow(), env.actor, statement_id, env.now(), reference)
    if as_json:
        emit_json(paid.as_dict())
    else:
        click.echo(f"statement {paid.id} paid: {pounds(paid.total_pence)}")


@funding.command("adjust")
@click.argument("specialist_id", metavar="ID", type=int)
@click.option("--amount-pence", type=int, required=True, help="Positive or negative pence.")
@click.option("--reason", required=True, help="Why: kept with the line.")
@click.option("--year", "programme_year", type=click.IntRange(1, 2),
              help="The programme year (default: the latest started).")  # fmt: skip
@json_option
@pass_env
def adjust(env: Env, specialist_id: int, amount_pence: int, reason, programme_year, as_json):
    """A manual correction for a specialist's school (national admin), never an edit."""
    from workflow.services.funding import adjust as adjust_service

    line_id = adjust_service(
        env.uow(), env.actor, specialist_id, programme_year, amount_pence, reason, env.now()
    )
    if as_json:
        emit_json({"id": line_id})
    else:
        click.echo(f"adjustment {line_id} recorded: {pounds(amount_pence)}")


COMMANDS = [funding]
