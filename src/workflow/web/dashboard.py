"""The dashboard (``/``): for hub staff their hub, for national staff every hub."""

from __future__ import annotations

from flask import Blueprint, render_template

from workflow.services.dashboard import dashboard
from workflow.web.access import now, signed_in, the_actor, uow

blueprint = Blueprint("dashboard", __name__)


@blueprint.route("/")
@signed_in
def home():
    data = dashboard(uow(), the_actor(), now())
    return render_template("dashboard.html", data=data, actor=the_actor())
