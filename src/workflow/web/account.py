"""Creating a password from an emailed link: invitations and password resets.

Opening a link (GET) changes nothing, since mail scanners open links; only the form's POST
uses it. An expired or used link says so and offers a new one.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, session
from flask import url_for as url

from workflow.errors import InvalidInput, NotFound
from workflow.services import staff_links
from workflow.services.staff_links import INVITATION, RESET
from workflow.web.access import now, runtime, uow
from workflow.web.forms import CreatePasswordForm, ResetRequestForm

blueprint = Blueprint("account", __name__)


def _create_password(token: str, purpose: str):
    try:
        email = staff_links.open_link(uow(), token, purpose, now())
    except NotFound:
        return render_template("link_expired.html"), 404
    form = CreatePasswordForm()
    if form.validate_on_submit():
        try:
            staff_links.use_link(uow(), token, purpose, form.password.data, now())
        except InvalidInput as exc:
            form.password.errors = [str(exc)]
        except NotFound:
            return render_template("link_expired.html"), 404
        else:
            session.end()
            return redirect(url("signing_in.sign_in", password_set=1))
    title = "Create your password" if purpose == INVITATION else "Choose a new password"
    return render_template("create_password.html", form=form, email=email, title=title)


@blueprint.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    return _create_password(token, INVITATION)


@blueprint.route("/password-reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    return _create_password(token, RESET)


@blueprint.route("/password-reset", methods=["GET", "POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        staff_links.request_reset(uow(), form.email.data, runtime().settings.base_url, now())
        return render_template("reset_sent.html")
    return render_template("reset_request.html", form=form)
