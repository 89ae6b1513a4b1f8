"""Nominating one teacher (``/nominations/new``): refused with every reason, or stored."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template
from flask import url_for as url

from workflow.errors import DomainError, GuardFailed, NotFound, NotPermitted
from workflow.services import permissions
from workflow.services.search import cohort_numbers
from workflow.services.specialists import NominationRequest, nominate
from workflow.web.access import now, signed_in, the_actor, uow
from workflow.web.forms import NominationForm

blueprint = Blueprint("nominations", __name__)


@blueprint.route("/nominations/new", methods=["GET", "POST"])
@signed_in
def new():
    if not permissions.may_nominate(the_actor()):
        raise NotPermitted("your role may not nominate teachers")
    form = NominationForm()
    numbers = cohort_numbers(uow())
    form.cohort.choices = [(n, f"Cohort {n}") for n in numbers]
    if form.cohort.data is None and numbers:
        form.cohort.data = numbers[0]
    problems: list[str] = []
    if form.validate_on_submit():
        request_ = NominationRequest(
            cohort=form.cohort.data,
            school_urn=form.urn.data.strip(),
            name=form.name.data,
            email=form.email.data,
            qts=form.qts.data == "yes",
            teaching_since=form.teaching_since.data,
        )
        try:
            specialist_id = nominate(uow(), the_actor(), request_, now())
        except NotFound:
            form.urn.errors = ["No school you can nominate for has this URN"]
        except NotPermitted as exc:
            problems.append(f"You cannot nominate for this school: {exc}")
        except GuardFailed as exc:
            problems.extend(exc.reasons)
        except DomainError as exc:
            problems.append(str(exc))
        else:
            flash(f"{request_.name.strip()} has been nominated")
            return redirect(url("specialists.show", specialist_id=specialist_id))
    return render_template(
        "nominate.html", form=form, problems=problems,
        may_admit=permissions.may_admit(the_actor()),
    )  # fmt: skip
