"""Schools: ``/schools?q=`` (search by URN or name, 50 a page) and ``/schools/URN`` (the
school, its hub, headteacher and finance contact (names and addresses), its specialists,
and a form to edit the contacts).

Everyone sees their own hub's schools (a national admin every hub's); another hub's school
is "Page not found". Editing the contacts is for national admins and the school's hub
lead (``permissions.may_edit_school``, the same ``authorize`` as ``workflow school edit``);
anyone else's POST is refused with 403 and changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask import url_for as url

from workflow.errors import DomainError, NotFound, NotPermitted
from workflow.services import permissions
from workflow.services.directory import find_schools, school_page
from workflow.services.setup import edit_school
from workflow.web.access import now, signed_in, the_actor, uow
from workflow.web.forms import SchoolContactsForm

blueprint = Blueprint("schools", __name__)
CONTACTS = ("head_name", "head_email", "finance_name", "finance_email")


@blueprint.route("/schools")
@signed_in
def index():
    q = request.args.get("q", "").strip()[:200]
    page = request.args.get("page", "1")
    found = find_schools(uow(), the_actor(), q or None, int(page) if page.isdigit() else 1)
    return render_template("schools.html", found=found, q=q, query={"q": q} if q else {})


@blueprint.route("/schools/<urn>", methods=["GET", "POST"])
@signed_in
def show(urn: str):
    if not (len(urn) == 6 and urn.isascii() and urn.isdigit()):
        abort(404)
    actor = the_actor()
    school = school_page(uow(), actor, urn)  # another hub's: NotFound, 404
    may_edit = permissions.may_edit_school(actor, school["hub_id"])
    if request.method == "POST" and not may_edit:
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not edit schools")
    form = SchoolContactsForm(data={k: school[k] or "" for k in CONTACTS})
    problems: list[str] = []
    if may_edit and form.validate_on_submit():
        typed = {k: (getattr(form, k).data or "").strip() for k in CONTACTS}
        changes = {k: v for k, v in typed.items() if v != (school[k] or "")}
        if not changes:
            flash("Nothing was changed")
            return redirect(url("schools.show", urn=urn))
        try:
            edit_school(uow(), actor, urn, now(), **changes)
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:  # invalid input the form's checks let through
            problems.append(str(exc))
        else:
            flash(f"The contacts of {school['name']} have been saved")
            return redirect(url("schools.show", urn=urn))
    return render_template(
        "school.html", school=school, form=form, may_edit=may_edit, problems=problems
    )
