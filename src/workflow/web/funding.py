"""Funding on the web: per hub of a cohort for national staff (``/funding?cohort=N``),
per school of a hub (``/funding?cohort=N&hub=CODE``; hub staff see their own hub's
schools at once), CSV ``/funding.csv?cohort=N`` (every school in view; ``&hub=CODE``
one hub's), the statements (``/funding/statements?cohort=N``, 50 a page, of one hub or
one school by ``hub=CODE`` and ``school=URN``), one statement with its lines
(``/funding/statements/ID``, CSV ``.../ID.csv``) and "Mark as paid".

The same services as ``workflow report funding``, ``workflow funding statements`` and
``workflow funding mark-paid``, as the signed-in person: hub staff see their hub's schools,
national staff every hub; another hub's statement is "Page not found"; marking paid is for
hub leads and national admins (offered only to them, and refused 403 to others).
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request
from flask import url_for as url

from workflow.errors import DomainError, NotFound, NotPermitted
from workflow.services import permissions
from workflow.services.directory import list_cohorts, list_hubs
from workflow.services.funding import report
from workflow.services.funding.statements import mark_paid, statement, statements_page
from workflow.web.access import now, signed_in, the_actor, uow
from workflow.web.specialists import safe_cell

blueprint = Blueprint("funding", __name__)
REFERENCE_MAX = 200


def _cohort() -> int | None:
    value = request.args.get("cohort", "").strip()
    if not value:
        return None
    if not value.isdigit():
        abort(400)
    return int(value)


def _csv(name: str, columns: list[str], rows: list[list]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        # Text that looks like a formula is quoted; numbers (a clawback is negative) are not.
        writer.writerow([safe_cell(v) if isinstance(v, str) else v for v in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def _hub() -> str | None:
    return request.args.get("hub", "").strip() or None


@blueprint.route("/funding")
@signed_in
def index():
    cohort, hub, actor = _cohort(), _hub(), the_actor()
    if cohort is None:
        cohorts = list_cohorts(uow(), actor)
        return render_template("funding_cohorts.html", cohorts=cohorts)
    found = report(uow(), actor, cohort, hub)  # another hub's, to hub staff: not found
    # National staff see the hubs first (a hub's schools one click away), not every
    # school in the country on one page.
    names = {h["code"]: h["name"] for h in list_hubs(uow(), actor)}
    return render_template(
        "funding.html", cohort=cohort, report=found, actor=actor, names=names, hub=hub,
        per_hub=actor.national and hub is None,
    )  # fmt: skip


@blueprint.route("/funding.csv")
@signed_in
def download():
    cohort, hub = _cohort(), _hub()
    if cohort is None:
        abort(400)
    found = report(uow(), the_actor(), cohort, hub)
    totals = found.totals  # summed over the schools each time it is read
    rows = [[s.urn, s.name, s.hub, *(getattr(s, f) for f in totals)] for s in found.schools]
    rows.append(["total", "", "", *totals.values()])
    name = f"funding-cohort-{cohort}{f'-{hub}' if hub else ''}.csv"
    return _csv(name, ["urn", "school", "hub", *totals], rows)


@blueprint.route("/funding/statements")
@signed_in
def statements():
    cohort = _cohort()
    if cohort is None:
        cohorts = list_cohorts(uow(), the_actor())
        return render_template("funding_cohorts.html", cohorts=cohorts, statements=True)
    hub = request.args.get("hub", "").strip() or None
    school = request.args.get("school", "").strip() or None
    page = request.args.get("page", "1")
    try:
        found = statements_page(uow(), the_actor(), cohort, hub, school,
                                int(page) if page.isdigit() else 1)  # fmt: skip
    except NotFound:
        abort(404)
    query = {k: v for k, v in (("cohort", cohort), ("hub", hub), ("school", school)) if v}
    return render_template(
        "statements.html", cohort=cohort, found=found, hub=hub, school=school, query=query,
        hubs=list_hubs(uow(), the_actor()) if the_actor().national else [],
    )  # fmt: skip


@blueprint.route("/funding/statements/<int:statement_id>", methods=["GET", "POST"])
@signed_in
def show(statement_id: int):
    actor = the_actor()
    found = statement(uow(), actor, statement_id)
    may_pay = permissions.may_mark_paid(actor, found["hub_id"])
    problems: list[dict] = []
    reference = ""
    status = 200
    if request.method == "POST":
        reference = request.form.get("reference", "").strip()
        if not reference:
            problems.append({"text": "Enter the payment reference", "href": "#reference"})
        elif len(reference) > REFERENCE_MAX:
            problems.append({"text": "Payment reference must be 200 characters or fewer",
                             "href": "#reference"})  # fmt: skip
        else:
            try:
                mark_paid(uow(), actor, statement_id, now(), reference)
            except (NotFound, NotPermitted):
                raise
            except DomainError as exc:  # paid already (by someone else, meanwhile)
                problems.append({"text": str(exc).capitalize(), "href": "#status"})
                status = 409
                found = statement(uow(), actor, statement_id)
            else:
                flash(f"Statement {statement_id} marked as paid, reference {reference}")
                return redirect(url("funding.show", statement_id=statement_id))
        if not may_pay:  # the form was not offered: refuse as the service would
            raise NotPermitted("your role may not mark statements as paid")
    return render_template(
        "statement.html", s=found, may_pay=may_pay, problems=problems, reference=reference,
    ), status  # fmt: skip


@blueprint.route("/funding/statements/<int:statement_id>.csv")
@signed_in
def download_statement(statement_id: int):
    found = statement(uow(), the_actor(), statement_id)
    rows = [
        [found["id"], found["school_urn"], line["specialist"], line["date"], line["kind"],
         line["what"], line["days"] if line["days"] is not None else "", line["amount_pence"]]
        for line in found["lines"]
    ]  # fmt: skip
    rows.append([found["id"], found["school_urn"], "total", "", "", "", "", found["total_pence"]])
    columns = ["statement", "urn", "specialist", "date", "kind", "what", "days", "amount_pence"]
    return _csv(f"statement-{statement_id}.csv", columns, rows)
