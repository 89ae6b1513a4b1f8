"""Commands on specialists: nominate, decide, record milestones, advance, show and list."""

from __future__ import annotations

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import echo, emit_json, pounds, table
from workflow.cli.params import (
    COHORT_NUMBER,
    DATE,
    DAYS,
    HALF_DAYS,
    REASON,
    RECORD_ID,
    URN,
    iso_date,
)
from workflow.services.validation import EARLIEST_TEACHING
from workflow.states.lifecycle import State

date_option = click.option("--date", "on", type=DATE, help="When (YYYY-MM-DD); default today.")


@click.command()
@click.option("--cohort", type=COHORT_NUMBER, required=True, help="Cohort number.")
@click.option("--school", "urn", type=URN, required=True, help="The school's six-digit URN.")
@click.option("--name", required=True, help="The teacher's full name.")
@click.option("--email", required=True, help="The teacher's email address.")
@click.option("--qts/--no-qts", required=True, default=None, help="Qualified teacher status?")
@click.option(
    "--teaching-since", required=True, type=iso_date(EARLIEST_TEACHING), help="YYYY-MM-DD."
)
@click.option("--accredited-pd-lead", is_flag=True,
              help="Already an NCETM Accredited secondary PD Lead.")  # fmt: skip
@click.option(
    "--late", is_flag=True, help="Accept outside the recruitment window (national admin)."
)
@click.option("--extra-nominee", is_flag=True,
              help="Accept beyond the school's nominees (national admin).")  # fmt: skip
@click.option("--not-duplicate", is_flag=True, help="Accept although it looks like a duplicate.")
@click.option(
    "--reason", type=REASON, help="Required with --late, --extra-nominee or --not-duplicate."
)
@json_option
@pass_env
def nominate(env: Env, cohort, urn, name, email, qts, teaching_since, accredited_pd_lead,
             late, extra_nominee, not_duplicate, reason, as_json) -> None:  # fmt: skip
    """Nominate a teacher; refused with every reason when not eligible."""
    from workflow.services.specialists import NominationRequest
    from workflow.services.specialists import nominate as nominate_service

    accept = {"late": late, "extra_nominee": extra_nominee, "not_duplicate": not_duplicate}
    if any(accept.values()) and not reason:
        raise click.UsageError("--late, --extra-nominee and --not-duplicate need --reason")
    request = NominationRequest(
        cohort, urn, name, email, qts, teaching_since, accredited_pd_lead=accredited_pd_lead,
        accept=frozenset(k for k, v in accept.items() if v), reason=reason,
    )  # fmt: skip
    specialist_id = nominate_service(env.uow(), env.actor, request, env.now())
    emit_json({"id": specialist_id}) if as_json else click.echo(specialist_id)


def _decision(name: str, trigger: str, doc: str, reason: str | None = None):
    """A command that fires one trigger: select, decline, withdraw, defer, resume."""

    @click.command(name, help=doc)
    @click.argument("specialist_id", metavar="ID", type=RECORD_ID)
    @json_option
    @pass_env
    def command(env: Env, specialist_id: int, as_json: bool, reason: str | None = None) -> None:
        from workflow.services.specialists import transition

        outcome = transition(env.uow(), env.actor, specialist_id, trigger, env.now(), reason=reason)
        _moved(specialist_id, outcome, as_json)

    if reason:
        command = click.option("--reason", type=REASON, required=True, help=reason)(command)
    return command


def _moved(specialist_id: int, outcome, as_json: bool) -> None:
    if as_json:
        emit_json({"id": specialist_id, "from": outcome.source.value, "to": outcome.dest.value})
    else:
        click.echo(f"specialist {specialist_id}: {outcome.source.value} -> {outcome.dest.value}")


select = _decision("select", "select", "Select a nominee for one of the hub's places.")
decline = _decision(
    "decline", "decline", "Decline a nomination (not selected).", "Why, for the email."
)
withdraw = _decision(
    "withdraw", "withdraw", "Withdraw a specialist from the programme.", "Why, for the record."
)
defer = _decision("defer", "defer", "Pause a specialist (they resume where they left).", "Why.")
resume = _decision("resume", "resume", "Resume a deferred specialist where they left.")


@click.command()
@click.argument("specialist_id", metavar="ID", type=RECORD_ID)
@click.option("--override", is_flag=True, help="Advance although a requirement is unmet.")
@click.option(
    "--reason", type=REASON, help="Required with --override: why the requirement is waived."
)
@json_option
@pass_env
def advance(env: Env, specialist_id: int, override: bool, reason: str | None, as_json) -> None:
    """Move a specialist into their next programme year now."""
    from workflow.services.specialists import advance as advance_service

    outcome = advance_service(
        env.uow(), env.actor, specialist_id, env.now(), override=override, reason=reason
    )
    _moved(specialist_id, outcome, as_json)


MILESTONE_KINDS = {
    "launch-attended": "launch_attended",
    "central-day": "central_day",
    "development-day": "development_day",
    "hub-support": "hub_support",
    "accreditation": "accreditation",
}


@click.command()
@click.argument("specialist_id", metavar="ID", type=RECORD_ID)
@click.argument("kind", type=click.Choice(list(MILESTONE_KINDS)))
@click.option("--days", type=DAYS, help="central-day, development-day: days, in steps of 0.5.")
@click.option("--half-days", type=HALF_DAYS, help="hub-support: number of half-days.")
@date_option
@json_option
@pass_env
def record(env: Env, specialist_id, kind, days, half_days, on, as_json) -> None:
    """Record a milestone: launch attended, central or development days, hub support,
    PD Lead accreditation."""
    from workflow.services.specialists import record_milestone

    if kind in ("central-day", "development-day"):
        if days is None:
            raise click.UsageError(f"{kind} needs --days")
        half_days = days  # DAYS gives half-days
    elif kind == "hub-support" and half_days is None:
        raise click.UsageError("hub-support needs --half-days")
    record_milestone(
        env.uow(), env.actor, specialist_id, MILESTONE_KINDS[kind], env.now(),
        half_days=half_days, on=on,
    )  # fmt: skip
    if as_json:
        emit_json({"id": specialist_id, "milestone": kind, "half_days": half_days})
    else:
        click.echo(f"specialist {specialist_id}: {kind} recorded")


@click.command()
@click.argument("specialist_id", metavar="ID", type=RECORD_ID)
@json_option
@pass_env
def show(env: Env, specialist_id: int, as_json: bool) -> None:
    """Everything about one specialist: state, rules, milestones, history, funding, emails."""
    from workflow.cli.output import local_time, pounds
    from workflow.services.views import show as show_view

    data = show_view(env.uow(), env.actor, specialist_id)
    if as_json:
        emit_json(data)
        return
    echo(f"{data['name']} <{data['email']}>  #{data['id']}  version {data['version']}")
    echo(f"state: {data['state']}   cohort {data['cohort']} ({data['rules']})")
    echo(f"school: {data['school']} ({data['school_urn']}), hub {data['hub']}")
    tz = env.runtime.settings.tz
    table("History", ["trigger", "from", "to", "by", "at (UK time)", "reason"],
          [(h["trigger"], h["from"], h["to"], h["actor"], local_time(h["at"], tz),
            (h["reason"] or "") + (" [override]" if h["override"] else ""))
           for h in data["history"]])  # fmt: skip
    table("Milestones", ["id", "kind", "days", "date", "year", "voided"],
          [(m["id"], m["kind"], m["amount"], m["date"], m["programme_year"],
            m["voided_reason"] or "" if m["voided"] else "")
           for m in data["milestones"]])  # fmt: skip
    table("Funding", ["year", "instalment", "amount", "due", "status"],
          [(f["year"], f["instalment"], pounds(f["amount_pence"]), f["due"], f["status"])
           for f in data["funding"]])  # fmt: skip
    table("Emails", ["template", "to", "status"],
          [(e["template"], e["to"], e["status"]) for e in data["emails"]])  # fmt: skip
    table("Reminders", ["template", "to", "due (UK time)", "status", "why"],
          [(r["template"], r["to"], local_time(r["due"], tz), r["status"], r["why"] or "")
           for r in data["reminders"]])  # fmt: skip


@click.command("list")
@click.option("--cohort", type=COHORT_NUMBER, help="Only this cohort.")
@click.option("--hub", "hub_code", help="Only this hub.")
@click.option(
    "--state",
    type=click.Choice([state.value for state in State]),
)
@click.option("--stuck", is_flag=True, help="Who cannot advance at the next term start, and why.")
@json_option
@pass_env
def list_(env: Env, cohort, hub_code, state, stuck, as_json) -> None:
    """List specialists (your hub's, unless you are a national admin)."""
    from workflow.services.views import list_specialists, stuck_specialists

    if stuck:
        rows = stuck_specialists(env.uow(), env.actor, cohort=cohort, hub=hub_code, state=state)
    else:
        rows = list_specialists(env.uow(), env.actor, cohort=cohort, hub=hub_code, state=state)
    if as_json:
        emit_json(rows)
        return
    columns = ["id", "name", "state", "cohort", "hub", "school_urn"] + (["why"] if stuck else [])
    table(None, columns, [
        [r[c] if c != "why" else _why(r) for c in columns] for r in rows
    ])  # fmt: skip


def _why(row: dict) -> str:
    """The reasons, and the funding that lapses at the year's end unless days are recorded."""
    lapses = [f"{pounds(x['pence'])} of Year {x['year']} funding lapses on {x['on']}"
              for x in row.get("funding_lapses", [])]  # fmt: skip
    return "; ".join([*row["reasons"], *lapses])


COMMANDS = [nominate, select, decline, withdraw, defer, resume, advance, record, show, list_]
