"""A cohort's events (``/cohorts/N/events``), one event's attendance across hubs
(``/cohorts/N/events/EVENT``) and its register (``/cohorts/N/events/EVENT/register``).

The register is one hub's: hub staff and leads take their own hub's; a national admin
chooses the hub (``?hub=CODE``). One checkbox per specialist, saved in one action by
``services.events.register`` (the CLI's ``workflow register``): ticked specialists get the
event's milestone, those left unticked that were on it are taken off (a correction, which
only hub leads and national admins may make: for hub staff those ticks are shown fixed).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask import url_for as url

from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.services import permissions
from workflow.services.directory import list_hubs
from workflow.services.events import RegisterRefused, register
from workflow.services.registers import attendance, cohort_events, register_sheet
from workflow.web.access import now, signed_in, the_actor, uow

blueprint = Blueprint("events", __name__)


@blueprint.route("/cohorts/<int:cohort>/events")
@signed_in
def index(cohort: int):
    events = cohort_events(uow(), the_actor(), cohort)
    return render_template(
        "events.html", cohort=cohort, events=events,
        may_register=permissions.may_take_register(the_actor()),
    )  # fmt: skip


@blueprint.route("/cohorts/<int:cohort>/events/<event_id>")
@signed_in
def show(cohort: int, event_id: str):
    data = attendance(uow(), the_actor(), cohort, event_id)
    return render_template(
        "event.html", data=data, actor=the_actor(),
        may_register=permissions.may_take_register(the_actor()),
    )  # fmt: skip


def _ids(values: list[str]) -> list[int]:
    if not all(v.isdigit() for v in values):
        abort(400)
    return [int(v) for v in dict.fromkeys(values)]


@blueprint.route("/cohorts/<int:cohort>/events/<event_id>/register", methods=["GET", "POST"])
@signed_in
def take(cohort: int, event_id: str):
    actor = the_actor()
    hub = request.args.get("hub", "").strip() or None
    try:
        sheet = register_sheet(uow(), actor, cohort, event_id, hub)
    except InvalidInput:  # a national admin: which hub's register?
        if hub is not None:
            raise NotFound(f"hub {hub!r} not found") from None
        data = attendance(uow(), actor, cohort, event_id)
        return render_template("register_hubs.html", data=data, hubs=list_hubs(uow(), actor))
    problems: list[dict] = []
    # The first checkbox, for the error summary's link (hub staff: those on the register
    # already are listed, not offered, since only a hub lead may take someone off).
    people = [p for p in sheet["specialists"] if sheet["may_remove"] or not p["ticked"]]
    first = f"#attended-{people[0]['id']}" if people else "#main-content"
    if request.method == "POST":
        attended = _ids(request.form.getlist("attended"))
        if not attended and not any(s["ticked"] for s in sheet["specialists"]):
            problems.append({"text": "Select the specialists who attended", "href": first})
        else:
            try:
                saved = register(uow(), actor, cohort, event_id, attended, now(),
                                 hub_code=sheet["hub"]["code"])  # fmt: skip
            except (NotFound, NotPermitted):
                raise
            except RegisterRefused as refused:
                names = {s["id"]: s["name"] for s in sheet["specialists"]}
                problems = [
                    {"text": f"{names.get(sid, f'Specialist {sid}')}: {why}",
                     "href": f"#attended-{sid}" if sid in names else first}
                    for sid, why in refused.problems.items()
                ]  # fmt: skip
            except InvalidInput as exc:
                problems.append({"text": str(exc).capitalize(), "href": first})
            else:
                attended_now = len(saved["recorded"]) + len(saved["already"])
                flash(
                    f"Register saved: {attended_now} attended, {len(saved['removed'])} removed"
                    f" ({len(saved['recorded'])} newly recorded)"
                )
                return redirect(url("events.take", cohort=cohort, event_id=event_id, hub=hub))
        ticks = set(attended)
        for s in sheet["specialists"]:  # show what was sent back, not what was stored
            if sheet["may_remove"] or not s["ticked"]:
                s["ticked"] = s["id"] in ticks
    return render_template("register.html", sheet=sheet, problems=problems, now=now())
