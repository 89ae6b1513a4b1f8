"""The ``workflow report`` commands: ``report funding`` as a table, JSON or a CSV file.

Money is integer pence in JSON and CSV and shown as pounds (``£1,234.56``) in the table.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click

# A spreadsheet runs a cell beginning with one of these as a formula: such text is
# written with a leading single quote so that it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("urn", "hub", "entitled_pence", "released_pence", "scheduled_pence", "cancelled_pence")


def pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{part:02d}"


def safe_cell(value):
    """Text that a spreadsheet would run as a formula, neutralised; numbers unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: Path, report: dict) -> None:
    from workflow.errors import InvalidInput

    rows = [[s[c] for c in COLUMNS] for s in report["schools"]]
    totals = report["totals"]
    rows.append(["total", "", *(totals[c] for c in COLUMNS[2:])])
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows([safe_cell(v) for v in row] for row in rows)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None


def print_table(report: dict, national: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Funding, cohort {report['cohort']}")
    table.add_column("School (URN)")
    table.add_column("Hub")
    for heading in ("Entitled", "Released", "Scheduled", "Cancelled"):
        table.add_column(heading, justify="right")
    for school in report["schools"]:
        table.add_row(school["urn"], school["hub"], *(pounds(school[c]) for c in COLUMNS[2:]))
    totals = report["totals"]
    label = "National total" if national else "Total"
    table.add_row(label, "", *(pounds(totals[c]) for c in COLUMNS[2:]), style="bold")
    Console().print(table)


@click.group()
def report() -> None:
    """Reports on a cohort."""


@report.command("funding")
@click.option("--cohort", "cohort", type=int, required=True, help="The cohort number.")
@click.option("--hub", "hub", default=None, help="Only this hub's schools.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report to this CSV file (pence).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (pence).")
def report_funding(cohort: int, hub: str | None, csv_path: Path | None, as_json: bool) -> None:
    """Per school: funding entitled, released, still scheduled and cancelled."""
    from workflow.bootstrap import bootstrap
    from workflow.services.auth import SYSTEM
    from workflow.services.funding import funding_report

    runtime = bootstrap()
    try:
        with runtime.uow() as uow:
            # The command line has no staff tokens yet: it reads as the system (every hub).
            data = funding_report(uow.session, SYSTEM, cohort, hub).as_dict()
    finally:
        runtime.close()
    if csv_path is not None:
        write_csv(csv_path, data)
    if as_json:
        click.echo(json.dumps(data))
    else:
        print_table(data, national=hub is None)
        if csv_path is not None:
            click.echo(f"written to {csv_path}")
