"""The specialists list (filters in the URL, search, pages, CSV) and one specialist's page."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, request

from workflow.errors import InvalidInput, NotFound
from workflow.services import bulk, permissions, reminders_now
from workflow.services.events import past_events
from workflow.services.gdpr.erase import erased_on, has_left
from workflow.services.search import Filters, search
from workflow.services.specialists import MILESTONES
from workflow.services.timeline import specialist_page
from workflow.web.access import now, signed_in, the_actor, uow
from workflow.web.formatting import STATE_LABELS, day
from workflow.web.forms import BulkForm

blueprint = Blueprint("specialists", __name__)
CSV_COLUMNS = ["ID", "Name", "Email", "School", "URN", "Hub", "Cohort", "State"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The list's query arguments (filters and page), kept through the bulk pages.
LIST_ARGS = ("cohort", "hub", "state", "stuck", "q", "page")


def _filters(args=None) -> Filters:
    args = request.args if args is None else args
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
    return list_page(request.args, ticked=None if request.args.get("all") == "1" else ())


def list_page(args, bulk_form=None, ticked=(), errors=(), status: int = 200):
    """The list for the query ``args``; staff who may act on specialists get a checkbox a
    row and the bulk form (``ticked``: the ids to tick; None: every row of the page)."""
    filters = _filters(args)
    page = args.get("page", "1")
    found = _search(filters, int(page) if page.isdigit() else 1)
    query = {k: v for k, v in args.items() if k in LIST_ARGS and k != "page" and v}
    actions = bulk.offered(the_actor())
    if actions and bulk_form is None:
        bulk_form = make_bulk_form(actions, formdata=None)
    if ticked is None:
        ticked = [r["id"] for r in found.rows]
    return render_template(
        "specialists.html", found=found, filters=filters, states=STATE_LABELS, query=query,
        bulk_form=bulk_form if actions else None, ticked=set(ticked), bulk_errors=list(errors),
        here={**query, "page": str(found.page)} if found.page > 1 else query,
    ), status  # fmt: skip


def make_bulk_form(actions: dict[str, str], **kwargs) -> BulkForm:
    """The list's bulk form, fitted to the role's ``actions`` and the events to choose from."""
    form = BulkForm(**kwargs)
    tz = ZoneInfo(current_app.config["TIMEZONE_NAME"])
    events = [
        (
            f"{e['cohort']}:{e['id']}",
            f"Cohort {e['cohort']}: {e['title']}, {day(e['starts_at'], tz)}",
        )
        for e in past_events(uow(), the_actor(), now())
    ]
    form.choose(actions, list(MILESTONES), reminders_now.CHOICES, events)
    return form


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
    fixes = permissions.corrections_offered(actor, page["state"], page["hub_id"])
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
    return render_template(
        "specialist.html", s=page, actions=actions, corrections=fixes,
        may_correct=permissions.may_correct(actor, page["hub_id"]),
        across_hubs=permissions.moves_across_hubs(actor), personal=personal,
    )  # fmt: skip
