"""``workflow report``: the cohort report and the funding report (table, JSON or CSV).

Money is integer pence in JSON and CSV, and pounds (``£1,234.56``) in tables.
"""

from __future__ import annotations

from pathlib import Path

import click

from workflow.cli.context import Env, json_option, pass_env
from workflow.cli.output import emit_json, local_time, pounds, table, write_csv
from workflow.cli.params import COHORT_NUMBER

FUNDING_COLUMNS = (
    "urn", "hub", "entitled_pence", "released_pence", "scheduled_pence", "cancelled_pence",
)  # fmt: skip
# Basis "days" adds these (entitled = released + scheduled + cancelled still holds).
DAYS_HEADINGS = {
    "claimed_pence": "Claimed",
    "paid_pence": "Paid",
    "clawed_back_pence": "Clawed back",
}
DAYS_COLUMNS = tuple(DAYS_HEADINGS)


@click.group()
def report() -> None:
    """Reports on a cohort."""


@report.command("cohort")
@click.argument("number", type=COHORT_NUMBER)
@click.option("--hub", "hub_code", help="Only this hub.")
@click.option("--csv", "csv_path", help="Also write the report to this CSV file.")
@json_option
@pass_env
def report_cohort(env: Env, number: int, hub_code, csv_path, as_json) -> None:
    """Places, places used and specialists in each state, per hub."""
    from workflow.services.views import cohort_report
    from workflow.states.lifecycle import State

    data = cohort_report(env.uow(), env.actor, number, hub_code)
    states = [s.value for s in State]
    columns = ["hub", "places", "used", *states, "schools_reached", "secondary_schools"]
    rows = [[h["hub"], h["places"], h["used"], *(h["by_state"][s] for s in states),
             h["schools_reached"], h["secondary_schools"]]
            for h in data["hubs"]]  # fmt: skip
    if csv_path:
        write_csv(csv_path, columns, rows)
    if as_json:
        emit_json(data)
        return
    table(f"Cohort {number}", columns, [[("" if v is None else v) for v in r] for r in rows])
    national = data.get("national")
    if national:
        known = national["secondary_schools"]
        share = f" of {known} ({100 * national['schools_reached'] / known:.0f}%)" if known else ""
        click.echo(
            f"Schools reached by Work Groups nationally: {national['schools_reached']}{share}"
        )


@report.command("funding")
@click.option("--cohort", type=COHORT_NUMBER, required=True, help="The cohort number.")
@click.option("--hub", "hub_code", help="Only this hub's schools.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report to this CSV file (pence).")  # fmt: skip
@json_option
@pass_env
def report_funding(env: Env, cohort: int, hub_code, csv_path: Path | None, as_json) -> None:
    """Per school: funding entitled, released, still scheduled and cancelled."""
    from workflow.errors import InvalidInput
    from workflow.services.funding import report as funding_report

    data = funding_report(env.uow(), env.actor, cohort, hub_code).as_dict()
    columns = [*FUNDING_COLUMNS, *(c for c in DAYS_COLUMNS if c in data["totals"])]
    rows = [[s[c] for c in columns] for s in data["schools"]]
    totals = [data["totals"][c] for c in columns[2:]]
    if csv_path is not None:
        try:
            write_csv(str(csv_path), columns, [*rows, ["total", "", *totals]])
        except OSError as exc:
            raise InvalidInput(f"cannot write {csv_path}: {exc.strerror or exc}") from None
    if as_json:
        emit_json(data)
        return
    label = "National total" if hub_code is None and env.actor.national else "Total"
    table(
        f"Funding, cohort {cohort}",
        [
            "School (URN)",
            "Hub",
            "Entitled",
            "Released",
            "Scheduled",
            "Cancelled",
            *(DAYS_HEADINGS[c] for c in columns[len(FUNDING_COLUMNS) :]),
        ],
        [*([r[0], r[1], *map(pounds, r[2:])] for r in rows), [label, "", *map(pounds, totals)]],
    )
    if csv_path is not None:
        click.echo(f"written to {csv_path}")


COMMANDS = [report]

NATIONAL_HEADINGS = ["Hub", "Allocated", "Filled", "Selected", "Withdrawn", "Year 2", "Year 3",
                     "Accredited", "WG Leads", "Reached", "Secondary", "Share"]  # fmt: skip


@report.command("national")
@click.option("--cohort", type=COHORT_NUMBER, help="The cohort number (default: the newest).")
@click.option("--all-cohorts", is_flag=True, help="Every cohort together.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report to this CSV file.")  # fmt: skip
@json_option
@pass_env
def report_national(env: Env, cohort, all_cohorts, csv_path: Path | None, as_json) -> None:
    """Per hub and nationally: places allocated, filled, selected, withdrawn, retained into
    Years 2 and 3, accredited, Work Group Leads, schools reached and their share of the
    area's state-funded secondary schools (the web's /report)."""
    from workflow.errors import InvalidInput
    from workflow.services.national_report import ALL, MEASURES, national_report
    from workflow.web.charts import percent

    if all_cohorts and cohort is not None:
        raise click.UsageError("give --cohort or --all-cohorts, not both")
    data = national_report(env.uow(), env.actor, ALL if all_cohorts else cohort).as_dict()
    keys = [key for key, _, _ in MEASURES]
    rows = [[h["hub"], *(h[k] for k in keys), h["share"]] for h in data["hubs"]]
    if data["national"] is not None:
        rows.append(["national", *(data["national"][k] for k in keys), data["national"]["share"]])
    if csv_path is not None:
        try:
            write_csv(str(csv_path), ["hub", *keys, "share"], rows)
        except OSError as exc:
            raise InvalidInput(f"cannot write {csv_path}: {exc.strerror or exc}") from None
    if as_json:
        emit_json(data)
        return
    which = "every cohort" if data["cohort"] is None else f"cohort {data['cohort']}"
    table(
        f"National report, {which} (goal: {data['goal']:.0%} of secondary schools)",
        NATIONAL_HEADINGS,
        [[*("" if v is None else v for v in r[:-1]), "" if r[-1] is None else percent(r[-1])]
         for r in rows],
    )  # fmt: skip
    if csv_path is not None:
        click.echo(f"written to {csv_path}")


@report.command("progress")
@click.option("--cohort", type=COHORT_NUMBER, required=True, help="The cohort number.")
@click.option("--hub", "hub_code", help="Only this hub.")
@click.option(
    "--term",
    "term_day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="A day of the term (ISO date; default today); in the holidays, the next term.",
)
@json_option
@pass_env
def report_progress(env: Env, cohort: int, hub_code, term_day, as_json) -> None:
    """Per hub and specialist: progress against the year's requirements at a term's start
    (the figures of the termly digest)."""
    from workflow.services.progress import report as progress_report

    day = term_day.date() if term_day else None
    data = progress_report(env.uow(), env.actor, cohort, day, env.now(), hub_code).as_dict()
    if as_json:
        emit_json(data)
        return
    term = data["term"]
    title = (f"Cohort {cohort}, {term['name']} term {term['academic_year']}"
             f" ({term['start']} to {term['end']})")  # fmt: skip
    table(
        title,
        ["Hub", "On track", "Behind", "Paid", "Still due", "Lapsing at year end"],
        [[h["name"], h["on_track"], h["behind"], pounds(h["paid_pence"]), pounds(h["due_pence"]),
          pounds(h["lapsing_pence"])] for h in data["hubs"]],
    )  # fmt: skip
    table(
        None,
        ["Hub", "Specialist", "School", "Year", "Behind on"],
        [[h["hub"], s["name"], s["school"], s["programme_year"], "; ".join(s["shortfalls"]) or "-"]
         for h in data["hubs"] for s in h["specialists"]],
    )  # fmt: skip
    events = [("This term", e) for e in data["events"]]
    events += [("Later this year", e) for e in data["later_events"]]
    if events:
        table(
            None,
            ["When", "Event", "Starts", "Joining link"],
            [[when, e["title"], local_time(e["starts_at"], env.runtime.settings.tz),
              e.get("link") or "-"] for when, e in events],
        )  # fmt: skip
