"""Hubs and their places per cohort (``/hubs``, ``/hubs/CODE``), and changing a hub's
places in one cohort (``/hubs/CODE/cohorts/N/places``): the national team's pages.

Hub staff are told "Page not found" (``services.allocations.national_only``). The places
are set by ``setup.allocate``, as by ``workflow hub allocate``: never below those used.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from workflow.errors import DomainError, NotFound, NotPermitted
from workflow.services import permissions
from workflow.services.allocations import hub_places, hub_with_places, hubs_with_places
from workflow.services.setup import allocate
from workflow.web.access import signed_in, the_actor, uow
from workflow.web.forms import PlacesForm

blueprint = Blueprint("hubs", __name__)


@blueprint.route("/hubs")
@signed_in
def index():
    data = hubs_with_places(uow(), the_actor())
    return render_template("hubs.html", data=data)


@blueprint.route("/hubs/<code>")
@signed_in
def show(code: str):
    actor = the_actor()
    hub = hub_with_places(uow(), actor, code)
    return render_template("hub.html", hub=hub, may_allocate=permissions.may_set_up(actor))


@blueprint.route("/hubs/<code>/cohorts/<int:number>/places", methods=["GET", "POST"])
@signed_in
def places(code: str, number: int):
    actor = the_actor()
    current = hub_places(uow(), actor, code, number)  # not found: another's page, or none
    if not permissions.may_set_up(actor):
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not change places")
    form = PlacesForm()
    if form.validate_on_submit():
        wanted = int(form.places.data.strip())
        try:
            allocate(uow(), actor, code, number, wanted)
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            form.places.errors.append(_sentence(str(exc)))
        else:
            flash(f"{current['name']} now has {wanted} places in cohort {number}")
            return redirect(url_for("hubs.show", code=code))
    elif not form.is_submitted():
        form.places.data = str(current["places"])
    return render_template("hub_places.html", hub=current, form=form)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
