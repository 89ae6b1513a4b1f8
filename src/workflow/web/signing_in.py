"""Signing in and out: password, then the authenticator app's code when set up (and its
setting up, required for national admins), and signing out on the server."""

from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, request, session
from flask import url_for as url

from workflow.errors import InvalidInput
from workflow.services import signin, web_sessions
from workflow.services.signin import Locked, WrongCredentials
from workflow.web.access import actor, now, runtime, safe_next, uow
from workflow.web.forms import CodeForm, SignInForm

blueprint = Blueprint("signing_in", __name__)


def _totp_required() -> bool:
    return runtime().settings.require_admin_totp


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    next_path = safe_next(request.args.get("next"))
    if actor() is not None and request.method == "GET":
        return redirect(next_path)
    status = 200
    if form.validate_on_submit():
        try:
            checked = signin.check_password(
                uow(), form.email.data, form.password.data, now(), require_totp=_totp_required()
            )
        except Locked as exc:
            form.email.errors = [str(exc)]
            status = 429
        except WrongCredentials as exc:  # one message, beside the first field
            form.email.errors = [str(exc)]
        else:
            if not (checked.needs_code or checked.must_set_up_code):
                return _complete(checked.staff_id, next_path)
            session.sign_in(None)
            session["pending_staff_id"] = checked.staff_id
            session["next"] = next_path
            session["pending_email"] = signin.normalise(form.email.data)
            step = "code" if checked.needs_code else "set_up_code"
            return redirect(url(f"signing_in.{step}"))
    return render_template(
        "sign_in.html",
        form=form,
        totp_required=_totp_required(),
        signed_out=request.args.get("signed_out") == "1",
    ), status


def _complete(staff_id: int, next_path: str):
    signin.signed_in(uow(), staff_id, now())
    web_sessions.sweep(uow(), now())  # sessions that ended without a sign-out
    session.sign_in(staff_id)
    return redirect(next_path)


def _pending() -> int | None:
    return session.get("pending_staff_id")


@blueprint.route("/sign-in/code", methods=["GET", "POST"])
def code():
    staff_id = _pending()
    if staff_id is None:
        return redirect(url("signing_in.sign_in"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            signin.check_code(uow(), staff_id, form.code.data, now())
        except Locked as exc:
            form.code.errors = [str(exc)]
            status = 429
        except WrongCredentials as exc:
            form.code.errors = [str(exc)]
        else:
            return _complete(staff_id, session.get("next") or url("dashboard.home"))
    return render_template("code.html", form=form), status


@blueprint.route("/sign-in/set-up-code", methods=["GET", "POST"])
def set_up_code():
    staff_id = _pending()
    if staff_id is None:
        return redirect(url("signing_in.sign_in"))
    secret = session.get("new_totp_secret")
    if secret is None:
        secret = session["new_totp_secret"] = signin.new_totp_secret()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            signin.set_up_code(uow(), staff_id, secret, form.code.data, now())
        except InvalidInput as exc:
            form.code.errors = [str(exc)]
        else:
            flash("Your authenticator app is set up. You will be asked for a code each time.")
            return _complete(staff_id, session.get("next") or url("dashboard.home"))
    email = session.get("pending_email") or "staff"
    qr = segno.make(signin.totp_uri(secret, email), error="m").svg_inline(
        scale=5, title="QR code for your authenticator app"
    )
    return render_template("set_up_code.html", form=form, qr=qr, secret=secret)


@blueprint.route("/sign-out", methods=["POST"])
def sign_out():
    who = actor()
    if who is not None:
        signin.signed_out(uow(), who, now())
    session.end()
    return redirect(url("signing_in.sign_in", signed_out=1))
