"""Time commands: ``scheduler``, ``run`` (scheduler and worker together), ``simulate``, ``demo``."""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timedelta

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json, pounds, table


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s scheduler[%(process)d] %(levelname)s %(name)s %(message)s",
        force=True,
    )


def _exit(code: int) -> None:
    """Leave at once: a hung tick's thread must not keep a failed scheduler alive."""
    logging.shutdown()
    sys.stdout.flush()
    os._exit(code)


@click.command()
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds between dispatch runs.",
)
def scheduler(interval: float) -> None:
    """Run the scheduler: every interval, do what is due (cohort year starts, reminders,
    funding releases) and relay the outbox. Exits non-zero if a run fails or stalls."""
    from workflow.bootstrap import bootstrap
    from workflow.scheduler.runner import run_scheduler

    runtime = bootstrap()
    _configure_logging()
    code = run_scheduler(runtime, interval=interval)
    runtime.close()
    _exit(code)


@click.command("run")
@click.option("--interval", type=click.FloatRange(min=0.1), default=30.0, show_default=True)
def run_all(interval: float) -> None:
    """Run the scheduler and an in-process worker together (the embedded default)."""
    from workflow.bootstrap import bootstrap
    from workflow.scheduler.runner import run_scheduler
    from workflow.workers.embedded import run_embedded

    runtime = bootstrap()
    _configure_logging()
    stop_worker = run_embedded(runtime)  # starts the in-process worker; returns its stopper
    try:
        code = run_scheduler(runtime, interval=interval)
    finally:
        stop_worker()
    runtime.close()
    _exit(code)


def _moment(text: str | None, tz, *, end_of_day: bool) -> datetime | None:
    from workflow.clock import parse_now

    if text is None:
        return None
    moment = parse_now(text, tz)
    if end_of_day and "T" not in text and " " not in text.strip():
        moment += timedelta(days=1)  # a date means through the end of that day
    return moment


@click.command()
@click.option("--until", "until_text", required=True, metavar="DATE", help="Last day to run.")
@click.option(
    "--from", "from_text", metavar="DATE", help="Start (default: WORKFLOW_NOW, else now)."
)
@json_option
@pass_env
def simulate(env: Env, until_text: str, from_text: str | None, as_json: bool) -> None:
    """Run the scheduled jobs on a simulated clock against the configured database:
    cohort year starts, reminders and funding releases, from --from to the end of --until."""
    from workflow.bootstrap import bootstrap
    from workflow.clock import FixedClock
    from workflow.errors import InvalidInput, SettingsError
    from workflow.scheduler.simulation import simulate as run_simulation
    from workflow.services.auth import Action, authorize
    from workflow.workers.embedded import drain

    settings = env.runtime.settings
    try:
        start = _moment(from_text, settings.tz, end_of_day=False) or env.now()
        until = _moment(until_text, settings.tz, end_of_day=True)
    except SettingsError as exc:
        raise InvalidInput(str(exc).replace("WORKFLOW_NOW: ", "")) from None
    if until < start:
        raise InvalidInput(f"--until {until_text} is before the start ({start.date()})")
    authorize(env.actor, Action.OPERATE)
    runtime = bootstrap(settings, clock=FixedClock(start))
    try:
        from workflow.cli.output import progress

        total = max(1, (until - start).days)
        with progress(total, "simulating") as advance:
            shown = [start]

            def moved(now: datetime) -> None:
                days = (now - shown[0]).days
                if days > 0:
                    advance(days)
                    shown[0] += timedelta(days=days)

            result = run_simulation(runtime, start, until, moved, drain=drain)
    finally:
        runtime.close()
    _print_summary(result, as_json)


def _print_summary(result, as_json: bool, extra: dict | None = None) -> None:
    if as_json:
        emit_json({**result.as_json(), **(extra or {})})
        return
    table("Specialists by state", ["state", "count"], result.by_state.items())
    click.echo(
        f"Funding released: {pounds(result.released_pence)}; paid: {pounds(result.paid_pence)}; "
        f"scheduled: {pounds(result.scheduled_pence)}; lapsed: {pounds(result.lapsed_pence)}"
    )
    table("Emails queued, by template", ["template", "emails"], result.emails_by_template.items())


@click.command()
@json_option
def demo(as_json: bool) -> None:
    """Build a fresh demo database (var/workflow.db), seed cohort 9 across every Maths Hub
    and simulate it to the start of Year 3. Needs no token; prints one to explore with."""
    from workflow.config import load_settings
    from workflow.demo import run_demo
    from workflow.workers.embedded import drain

    settings = load_settings()
    say = (lambda _: None) if as_json else (lambda line: click.echo(f"demo: {line}"))
    result = run_demo(settings, say=say, drain=drain)
    extra = {
        "refused": [{"name": n, "school": u, "reasons": r} for n, u, r in result.refused],
        "selected": result.selected,
        "not_selected": result.declined,
        "database": result.database,
    }
    if as_json:
        _print_summary(result.summary, True, {**extra, "token": result.token})
        return
    click.echo(f"\nRefused nominations ({len(result.refused)}):")
    for name, urn, reasons in result.refused:
        click.echo(f"  {name} (school {urn}): {'; '.join(reasons)}")
    click.echo(f"\nSelected {result.selected}; not selected {result.declined}.\n")
    _print_summary(result.summary, False)
    if drain is None:
        click.echo(
            "Emails stay queued in the outbox: the workers that send them are not installed."
        )
    else:
        click.echo(f"Emails written to {settings.mail_dir}/")
    click.echo(f"\nDatabase: {result.database}. To explore it:")
    click.echo(f"  export WORKFLOW_TOKEN={result.token}")
    click.echo("  workflow report cohort 9   |   workflow list --state year1 --stuck")
    click.echo(
        "\nWeb sign-ins (demo data only; the demo's national admin has no authenticator app):"
    )
    for who, email, password in result.sign_ins:
        click.echo(f"  {who + ':':16} {email}   password: {password}")


COMMANDS = [scheduler, run_all, simulate, demo]
