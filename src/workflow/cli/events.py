"""``workflow events``, ``workflow event link`` and ``workflow register``: a cohort's events,
their online joining links and their registers of attendance."""

from __future__ import annotations

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json, table


def _ids(_ctx, _param, value: str) -> list[int]:
    try:
        ids = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter("give specialist ids separated by commas, e.g. 12,15,31") from None
    if not ids:
        raise click.BadParameter("give at least one specialist id")
    return ids


@click.command("events")
@click.option("--cohort", type=int, required=True, help="The cohort number.")
@json_option
@pass_env
def events(env: Env, cohort: int, as_json) -> None:
    """The cohort's events, with the ids registers and links use."""
    from workflow.services.events import list_events

    found = list_events(env.uow(), env.actor, cohort)
    if as_json:
        emit_json(found)
        return
    table(
        f"Events, cohort {cohort}",
        ["id", "year", "kind", "starts", "days", "where", "title"],
        [[e["id"], e["programme_year"], e["kind"], e["starts_at"][:16], e["days"],
          e["link"] or ("Online" if e["online"] else e["location"]), e["title"]] for e in found],
    )  # fmt: skip


@click.group("event")
def event() -> None:
    """One event of a cohort."""


@event.command("link")
@click.argument("event_id", metavar="EVENT_ID")
@click.option("--cohort", type=int, required=True, help="The cohort number.")
@click.option("--url", required=True, help="The joining link (https://...).")
@pass_env
def link(env: Env, event_id: str, cohort: int, url: str) -> None:
    """Set an online event's joining link, shown in its reminders."""
    from workflow.services.events import set_link

    set_link(env.uow(), env.actor, cohort, event_id, url, env.now())
    click.echo(f"joining link of {event_id} set")


@click.command("register")
@click.argument("event_id", metavar="EVENT_ID")
@click.option("--cohort", type=int, required=True, help="The cohort number.")
@click.option("--attended", required=True, callback=_ids, help="Specialist ids: 12,15,31.")
@click.option(
    "--hub", "hub_code", help="The hub whose register it is (default: yours; national: all)."
)
@json_option
@pass_env
def register(env: Env, event_id: str, cohort: int, attended: list[int], hub_code, as_json) -> None:
    """Record attendance at one event for many specialists at once.

    A register is one hub's: saved again, it takes off only that hub's specialists left out.
    """
    from workflow.services.events import register as register_service

    saved = register_service(
        env.uow(), env.actor, cohort, event_id, attended, env.now(), hub_code=hub_code
    )
    if as_json:
        emit_json(saved)
    else:
        click.echo(
            f"register of {event_id} saved: {len(saved['recorded'])} recorded, "
            f"{len(saved['already'])} already on it, {len(saved['removed'])} taken off"
        )


COMMANDS = [events, event, register]
