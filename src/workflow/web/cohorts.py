"""Cohorts (``/cohorts``), one cohort's rules, window, events and progress
(``/cohorts/N``), and changing its recruitment window (``/cohorts/N/window``).

Every member of staff may read a cohort (cohorts are national); its progress is the
viewer's hub's unless they are national. The window is changed by national admins through
``recruitment.set_window``, as by ``workflow cohort window``; to anyone else the form is not
offered and refused (403).
"""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, flash, redirect, render_template, url_for

from workflow.errors import DomainError, NotFound, NotPermitted
from workflow.services import permissions
from workflow.services.cohort_overview import cohort_overview, cohorts
from workflow.services.recruitment import set_window
from workflow.web.access import runtime, signed_in, the_actor, uow
from workflow.web.formatting import STATE_LABELS
from workflow.web.forms import WindowForm

blueprint = Blueprint("cohorts", __name__)


@blueprint.route("/cohorts")
@signed_in
def index():
    actor = the_actor()
    return render_template("cohorts.html", cohorts=cohorts(uow(), actor), actor=actor)


@blueprint.route("/cohorts/<int:number>")
@signed_in
def show(number: int):
    actor = the_actor()
    cohort = cohort_overview(uow(), actor, number)
    return render_template(
        "cohort.html", c=cohort, actor=actor, states=STATE_LABELS,
        may_set_window=permissions.may_set_up(actor),
    )  # fmt: skip


@blueprint.route("/cohorts/<int:number>/window", methods=["GET", "POST"])
@signed_in
def window(number: int):
    actor = the_actor()
    cohort = cohort_overview(uow(), actor, number)  # not found: no such cohort
    if not permissions.may_set_up(actor):
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not change the window")
    tz = runtime().settings.tz
    form = WindowForm()
    if form.validate_on_submit():
        hours, minutes = (int(p) for p in form.closes_time.data.strip().split(":"))
        closes = datetime.combine(form.closes.data, time(hours, minutes), tzinfo=tz)
        nominees = int(form.nominees.data.strip())
        try:
            set_window(uow(), actor, number, form.opens.data, closes, nominees)
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            form.closes.errors.append(str(exc)[:1].upper() + str(exc)[1:])
        else:
            flash(f"The recruitment window of cohort {number} has been changed")
            return redirect(url_for("cohorts.show", number=number))
    elif not form.is_submitted():
        current = cohort["window"]
        form.opens.data = current["opens"]
        if current["closes"] is not None:
            local = current["closes"].astimezone(tz)
            form.closes.data = local.date()
            form.closes_time.data = f"{local:%H:%M}"
        form.nominees.data = str(current["nominees_per_school"] or 1)
    return render_template("cohort_window.html", c=cohort, form=form)
