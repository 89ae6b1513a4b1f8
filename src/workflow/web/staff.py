"""Staff: ``/staff`` (the list with roles and status), ``/staff/invite`` ("Invite a member
of staff"), ``/staff/ID/role`` (change role), ``/staff/ID/deactivate`` and
``/staff/ID/reactivate`` (each with a confirmation) and ``/staff/ID/invitation`` (re-send
an invitation to someone who has not created a password yet).

For national admins (every hub) and hub leads (their own hub, giving no role above their
own); the services decide (``services/staff.py``, the same as ``workflow staff add``):
another hub's member of staff is "Page not found", anyone else is refused with 403 and
nothing changes. The invitation email goes through the outbox like every email.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template
from flask import url_for as url

from workflow.errors import DomainError, NotFound, NotPermitted
from workflow.services import permissions
from workflow.services import staff as staff_service
from workflow.services.auth import Actor, Role
from workflow.services.directory import list_hubs
from workflow.web import errors
from workflow.web.access import now, runtime, signed_in, the_actor, uow
from workflow.web.forms import ChangeRoleForm, ConfirmForm, InviteForm, ReactivateForm

blueprint = Blueprint("staff", __name__)
ROLE_LABELS = {
    "national_admin": "National admin",
    "hub_lead": "Hub lead",
    "hub_staff": "Hub staff",
    "viewer": "Viewer",
}
STATUS_LABELS = {"invited": "Invited", "active": "Active", "deactivated": "Deactivated"}


def _require(actor: Actor) -> None:
    if not permissions.may_manage_staff(actor):
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not manage staff")


def _fit(form, actor: Actor) -> None:
    roles = [(r.value, ROLE_LABELS[r.value]) for r in staff_service.grantable_roles(actor)]
    hubs = None
    if actor.national:
        hubs = [(h["code"], h["name"]) for h in list_hubs(uow(), actor)]
    form.prepare(roles, hubs)


def _hub_code(form, actor: Actor, member: dict | None = None) -> str | None:
    if form.role.data == Role.NATIONAL_ADMIN.value:
        return None
    if actor.national:
        return form.hub.data or None
    return member["hub"] if member else staff_service.hub_code_of(uow(), actor.hub_id)


@blueprint.route("/staff")
@signed_in
def index():
    actor = the_actor()
    _require(actor)
    rows = staff_service.list_staff(uow(), actor)
    for row in rows:
        row["manage"] = staff_service.may_manage(actor, row)
        row["reactivate"] = staff_service.may_reactivate(actor, row)
    return render_template(
        "staff.html", rows=rows, roles=ROLE_LABELS, statuses=STATUS_LABELS,
        national=actor.national, me=actor.email,
    )  # fmt: skip


@blueprint.route("/staff/invite", methods=["GET", "POST"])
@signed_in
def invite():
    actor = the_actor()
    _require(actor)
    form = InviteForm()
    _fit(form, actor)
    if form.validate_on_submit():
        try:
            staff_service.add_staff(
                uow(), actor, form.email.data, form.name.data, form.role.data,
                _hub_code(form, actor), now(), invite_base_url=runtime().settings.base_url,
            )  # fmt: skip
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:  # invalid input, or already a member of staff
            form.email.errors = [*form.email.errors, _sentence(str(exc))]
        else:
            flash(f"An invitation has been sent to {form.email.data.strip()}")
            return redirect(url("staff.index"))
    return render_template("invite.html", form=form, national=actor.national)


def _member(staff_id: int) -> tuple[Actor, dict]:
    actor = the_actor()
    member = staff_service.staff_member(uow(), actor, staff_id)  # another hub's: 404
    if not (staff_service.may_manage(actor, member) or staff_service.may_reactivate(actor, member)):
        raise NotPermitted("you may not change this member of staff")
    return actor, member


def _deactivated(member: dict) -> list[str]:
    return [f"{member['name']} is deactivated"] if member["status"] == "deactivated" else []


@blueprint.route("/staff/<int:staff_id>/role", methods=["GET", "POST"])
@signed_in
def role(staff_id: int):
    actor, member = _member(staff_id)
    form = ChangeRoleForm(data={"role": member["role"], "hub": member["hub"] or ""})
    _fit(form, actor)
    problems = _deactivated(member)
    if not problems and form.validate_on_submit():
        try:
            staff_service.change_role(
                uow(), actor, member["email"], form.role.data, _hub_code(form, actor, member)
            )
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            problems.append(_sentence(str(exc)))
        else:
            flash(f"{member['name']} is now {ROLE_LABELS[form.role.data].lower()}")
            return redirect(url("staff.index"))
    status = 409 if member["status"] == "deactivated" else 200
    return render_template(
        "staff_role.html", form=form, member=member, problems=problems, national=actor.national
    ), status


@blueprint.route("/staff/<int:staff_id>/deactivate", methods=["GET", "POST"])
@signed_in
def deactivate(staff_id: int):
    actor, member = _member(staff_id)
    form = ConfirmForm()
    problems = _deactivated(member)
    if not problems and form.validate_on_submit():
        try:
            staff_service.deactivate(uow(), actor, member["email"], now())
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            problems.append(_sentence(str(exc)))
        else:
            flash(f"{member['name']} has been deactivated: they can no longer sign in")
            return redirect(url("staff.index"))
    status = 409 if problems else 200
    return render_template(
        "staff_deactivate.html", form=form, member=member, problems=problems
    ), status


@blueprint.route("/staff/<int:staff_id>/reactivate", methods=["GET", "POST"])
@signed_in
def reactivate(staff_id: int):
    actor, member = _member(staff_id)
    form = ReactivateForm()
    problems = [] if member["status"] == "deactivated" else [f"{member['name']} is not deactivated"]
    if not problems and form.validate_on_submit():
        try:
            staff_service.reactivate(
                uow(), actor, member["email"], runtime().settings.base_url, now()
            )
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:  # reactivated by someone else, meanwhile
            problems.append(_sentence(str(exc)))
        else:
            flash(f"{member['name']} has been reactivated: an invitation to create a password "
                  f"has been sent to {member['email']}")  # fmt: skip
            return redirect(url("staff.index"))
    status = 409 if problems else 200
    return render_template(
        "staff_reactivate.html", form=form, member=member, problems=problems,
        role=ROLE_LABELS[member["role"]],
    ), status  # fmt: skip


@blueprint.route("/staff/<int:staff_id>/invitation", methods=["POST"])
@signed_in
def resend(staff_id: int):
    actor, member = _member(staff_id)
    form = ConfirmForm()
    if not form.validate_on_submit():  # pragma: no cover - CSRF refusals are 400 before this
        return redirect(url("staff.index"))
    try:
        staff_service.resend_invitation(
            uow(), actor, member["email"], runtime().settings.base_url, now()
        )
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        return errors.page(409, _sentence(str(exc)))
    flash(f"A new invitation has been sent to {member['email']}")
    return redirect(url("staff.index"))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
