"""The specialists list (filters in the URL, search, pages, CSV) and one specialist's page."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request

from workflow.errors import InvalidInput, NotFound
from workflow.services import permissions
from workflow.services.gdpr.erase import erased_on, has_left
from workflow.services.search import Filters, search
from workflow.services.timeline import specialist_page
from workflow.web.access import signed_in, the_actor, uow
from workflow.web.formatting import STATE_LABELS

blueprint = Blueprint("specialists", __name__)
CSV_COLUMNS = ["ID", "Name", "Email", "School", "URN", "Hub", "Cohort", "State"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _filters() -> Filters:
    args = request.args
    cohort = args.get("cohort", "").strip()
    state = args.get("state", "").strip() or None
    if state is not None and state not in STATE_LABELS:
        abort(400)
    return Filters(
        cohort=int(cohort) if cohort.isdigit() else None,
        hub=args.get("hub", "").strip() or None,
        state=state,
        stuck=args.get("stuck") == "1",
        q=args.get("q", "").strip()[:200] or None,
    )


def _search(filters: Filters, page: int | None):
    try:
        return search(uow(), the_actor(), filters, page)
    except InvalidInput:
        abort(400)


@blueprint.route("/specialists")
@signed_in
def index():
    filters = _filters()
    page = request.args.get("page", "1")
    found = _search(filters, int(page) if page.isdigit() else 1)
    return render_template(
        "specialists.html", found=found, filters=filters, states=STATE_LABELS,
        query={k: v for k, v in request.args.items() if k != "page" and v},
    )  # fmt: skip


@blueprint.route("/specialists.csv")
@signed_in
def download():
    found = _search(_filters(), None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in found.rows:
        writer.writerow(
            [safe_cell(v) for v in (r["id"], r["name"], r["email"], r["school"],
                                    r["school_urn"], r["hub"], r["cohort"], r["state"])]
        )  # fmt: skip
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=specialists.csv"},
    )


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@blueprint.route("/specialists/<int:specialist_id>")
@signed_in
def show(specialist_id: int):
    try:
        page = specialist_page(uow(), the_actor(), specialist_id)
    except NotFound:
        abort(404)
    actor = the_actor()
    actions = permissions.offered(actor, page["state"], page["hub_id"])
    personal = None
    if permissions.may_export(actor) or permissions.may_erase(actor):
        personal = {
            "export": permissions.may_export(actor),
            "erase": permissions.may_erase(actor),
            "erased_on": erased_on(uow(), actor, specialist_id)
            if permissions.may_erase(actor)
            else None,
            "has_left": has_left(page["state"]),
        }
    return render_template("specialist.html", s=page, actions=actions, personal=personal)
