"""Corrections on the web: undo a withdrawal, reinstate from the reserve list, change
cohort, move school (or hub), edit the details, void a milestone, nominate late.

Each is a form with a required "Reason", then a confirmation page that says what will
change before anything is done (the state, the places, the money and for which school,
the emails), computed by rehearsing the correction's own service in a transaction that is
rolled back (``services/previews.py``). "Confirm" posts the form's values again with the
specialist's version: a change made meanwhile by someone else is refused and nothing
changes. The services decide who may do what (``Action.CORRECT``; a move across hubs and
a late nomination: national admins; an override: the override permission); the page
offers only what ``permissions`` says the viewer may take.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask import url_for as url

from workflow.errors import Conflict, DomainError, GuardFailed, NotFound, NotPermitted
from workflow.services import changes, corrections, permissions
from workflow.services.previews import rehearse
from workflow.services.search import cohort_numbers
from workflow.services.specialists import NominationRequest, nominate
from workflow.services.timeline import specialist_page
from workflow.web.access import now, signed_in, the_actor, uow
from workflow.web.correction_forms import (
    ChangeCohortForm,
    EditForm,
    LateNominationForm,
    MoveForm,
    ReasonForm,
    hidden_values,
)
from workflow.web.formatting import pounds

blueprint = Blueprint("corrections", __name__)

PENCE = re.compile(r"\b(\d+) pence\b")
STALE = "This specialist was changed by someone else: check and try again"


@dataclass(frozen=True)
class Correction:
    """How one correction looks: its form, headings, the confirm page's title, the banner."""

    form: type
    title: str  # the form page's heading, "{name}" filled in
    link: str  # the link on the specialist's page
    check: str  # the confirmation page's heading
    banner: str
    intro: str = ""


CORRECTIONS: dict[str, Correction] = {
    "undo-withdrawal": Correction(
        ReasonForm,
        "Undo the withdrawal of {name}",
        "Undo the withdrawal",
        "Check before you undo the withdrawal of {name}",
        "The withdrawal of {name} has been undone",
        "{name} goes back to the state they were withdrawn from, with the reminders and "
        "funding the withdrawal cancelled. Use this when the withdrawal was a mistake.",
    ),
    "reinstate": Correction(
        ReasonForm,
        "Reinstate {name} from the reserve list",
        "Reinstate from the reserve list",
        "Check before you reinstate {name}",
        "{name} has been reinstated: they are nominated again",
        "{name} was not selected. Reinstating them puts them back among the nominees, "
        "until the cohort's Year 1 begins; selecting them then needs a free place.",
    ),
    "change-cohort": Correction(
        ChangeCohortForm,
        "Change the cohort of {name}",
        "Change cohort",
        "Check before you change the cohort of {name}",
        "{name} has moved to a later cohort",
        "{name} is deferred. They can join a later cohort, which takes its place in that "
        "cohort's allocation and its rules and dates; they then resume.",
    ),
    "move": Correction(
        MoveForm,
        "Move {name} to another school or hub",
        "Move to another school",
        "Check before you move {name}",
        "{name} has moved school",
        "Funding not yet paid follows the teacher to the new school; what was paid stays "
        "with the old one. Both headteachers are told. Only national admins move a "
        "specialist to a school in another hub.",
    ),
    "edit": Correction(
        EditForm,
        "Change the details of {name}",
        "Change name or email",
        "Check before you change the details of {name}",
        "The details of {name} have been changed",
        "The old values stay in the timeline.",
    ),
    "void": Correction(
        ReasonForm,
        "Void a milestone of {name}",
        "Void",
        "Check before you void this milestone of {name}",
        "The milestone has been voided for {name}",
        "A milestone recorded by mistake stays in the timeline, marked as voided; it no "
        "longer counts towards the requirements or funding.",
    ),
}


def _load(specialist_id: int, name: str, milestone_id: int | None):
    """The specialist's page, what stops the correction, the milestone it voids (if any) and
    its form, as both the check and the confirmation need them; 404 for an unknown name."""
    if name not in CORRECTIONS or (name == "void") != (milestone_id is not None):
        abort(404)
    page = _page(specialist_id)
    problems = _allowed(page, name)
    milestone = _milestone(page, milestone_id) if milestone_id is not None else None
    return page, problems, milestone, _form(name, page)


def _page(specialist_id: int) -> dict:
    try:
        return specialist_page(uow(), the_actor(), specialist_id)
    except NotFound:
        abort(404)


def _allowed(page: dict, name: str) -> list[str]:
    """403 unless the role may correct this hub's specialists; the problems (409) when the
    correction does not apply in this state."""
    actor = the_actor()
    if not permissions.may_correct(actor, page["hub_id"]):
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not correct records")
    if name != "void" and not permissions.correction_applies(name, page["state"]):
        state = page["state"].replace("_", " ")
        return [f"This correction does not apply to a specialist who is {state}"]
    return []


def _form(name: str, page: dict):
    form = CORRECTIONS[name].form()
    if name == "change-cohort":
        form.cohort.choices = [(n, f"Cohort {n}") for n in cohort_numbers(uow())
                               if n > page["cohort"]]  # fmt: skip
        form.override.render = permissions.may_override(the_actor(), page["hub_id"])
    if name == "edit" and request.method == "GET":
        form.name.data, form.email.data = page["name"], page["email"]
    return form


def _run(name: str, page: dict, form, milestone_id: int | None, version: int | None):
    """The service call of correction ``name`` with the form's values, on a unit of work."""
    actor, moment, specialist_id = the_actor(), now(), page["id"]
    reason = (form.reason.data or "").strip()
    if name in ("undo-withdrawal", "reinstate"):
        return lambda u: corrections.reinstate(
            u, actor, specialist_id, reason, moment, expected_version=version
        )
    if name == "change-cohort":
        override = bool(form.override.data) and permissions.may_override(actor, page["hub_id"])
        return lambda u: corrections.change_cohort(
            u, actor, specialist_id, form.cohort.data, reason, moment, override=override,
            expected_version=version,
        )  # fmt: skip
    if name == "move":
        return lambda u: changes.move(
            u, actor, specialist_id, form.urn.data.strip(), reason, moment,
            expected_version=version,
        )  # fmt: skip
    if name == "edit":  # only what changed, so the timeline keeps only what was replaced
        new_name = form.name.data if form.name.data.strip() != page["name"] else None
        new_email = form.email.data if form.email.data.strip() != page["email"] else None
        return lambda u: changes.edit_specialist(
            u, actor, specialist_id, moment, name=new_name, email=new_email,
            reason=reason, expected_version=version,
        )  # fmt: skip
    return lambda u: corrections.void_milestone(
        u, actor, specialist_id, milestone_id, reason, moment, expected_version=version
    )


def _refusal(exc: Exception, form) -> list[str]:
    """What the form page says about a refusal by the service (nothing was changed)."""
    if isinstance(exc, Conflict):
        return [STALE]
    if isinstance(exc, GuardFailed):
        return [_sentence(r) for r in exc.reasons]
    if isinstance(exc, NotFound) and hasattr(form, "urn"):
        form.urn.errors = ["No school you can move this specialist to has this URN"]
        return []
    if isinstance(exc, NotPermitted) and hasattr(form, "urn"):
        form.urn.errors = ["Only a national admin can move a specialist to another hub"]
        return []
    return [_sentence(str(exc))]


def _sentence(text: str) -> str:
    """A service's message as the page says it: a capital first, money in pounds."""
    text = PENCE.sub(lambda m: pounds(int(m.group(1))), text)
    return text[:1].upper() + text[1:]


def _milestone(page: dict, milestone_id: int) -> dict:
    for e in page["timeline"]:
        if e["kind"] == "milestone" and e["id"] == milestone_id:
            return e
    abort(404)


@blueprint.route(
    "/specialists/<int:specialist_id>/corrections/<name>", methods=["GET", "POST"],
    defaults={"milestone_id": None},
)  # fmt: skip
@blueprint.route(
    "/specialists/<int:specialist_id>/milestones/<int:milestone_id>/void",
    methods=["GET", "POST"], defaults={"name": "void"},
)  # fmt: skip
@signed_in
def correct(specialist_id: int, name: str, milestone_id: int | None):
    """The form; its POST shows the confirmation page (nothing is changed yet)."""
    page, problems, milestone, form = _load(specialist_id, name, milestone_id)
    status = 409 if problems else 200
    if not problems and form.validate_on_submit() and not _unchanged(name, form, page):
        try:
            preview = rehearse(
                uow(), the_actor(), specialist_id,
                _run(name, page, form, milestone_id, page["version"]),
            )  # fmt: skip
        except (NotFound, NotPermitted) as exc:
            if not hasattr(form, "urn"):
                raise
            problems = _refusal(exc, form)
        except DomainError as exc:
            problems = _refusal(exc, form)
        else:
            return render_template(
                "correction_confirm.html", s=page, name=name, c=CORRECTIONS[name], p=preview,
                hidden=hidden_values(form), milestone=milestone, form=form,
                action=request.path.rstrip("/") + "/confirm",
            )  # fmt: skip
    return _form_page(page, name, form, problems, milestone, status)


def _unchanged(name: str, form, page: dict) -> bool:
    """An edit that changes nothing: said beside the name (nothing to confirm)."""
    if name != "edit":
        return False
    if form.name.data.strip() == page["name"] and form.email.data.strip() == page["email"]:
        form.name.errors = ["Change the name or the email address"]
        return True
    return False


def _form_page(page, name, form, problems, milestone, status=200):
    return render_template(
        "correction_form.html", s=page, name=name, c=CORRECTIONS[name], form=form,
        problems=problems, milestone=milestone,
    ), status  # fmt: skip


@blueprint.route("/specialists/<int:specialist_id>/corrections/<name>/confirm", methods=["POST"],
                 defaults={"milestone_id": None})  # fmt: skip
@blueprint.route(
    "/specialists/<int:specialist_id>/milestones/<int:milestone_id>/void/confirm",
    methods=["POST"], defaults={"name": "void"},
)  # fmt: skip
@signed_in
def confirm(specialist_id: int, name: str, milestone_id: int | None):
    """Do the correction, as confirmed, unless the specialist changed since the check."""
    page, problems, milestone, form = _load(specialist_id, name, milestone_id)
    if problems:
        return _form_page(page, name, form, problems, milestone, 409)
    if not form.validate_on_submit():
        return _form_page(page, name, form, [], milestone, 400)
    version = request.form.get("version", "")
    expected = int(version) if version.isdigit() else -1
    try:
        _run(name, page, form, milestone_id, expected)(uow())
    except Conflict:
        return _form_page(page, name, form, [STALE], milestone, 409)
    except (NotFound, NotPermitted) as exc:
        if not hasattr(form, "urn"):
            raise
        return _form_page(page, name, form, _refusal(exc, form), milestone, 409)
    except DomainError as exc:
        return _form_page(page, name, form, _refusal(exc, form), milestone, 409)
    flash(CORRECTIONS[name].banner.format(name=page["name"]))
    return redirect(url("specialists.show", specialist_id=specialist_id))


# --- A late nomination -------------------------------------------------------------------------


def _late_form() -> LateNominationForm:
    if not permissions.may_admit(the_actor()):
        raise NotPermitted("only a national admin may accept a late nomination")
    form = LateNominationForm()
    numbers = cohort_numbers(uow())
    form.cohort.choices = [(n, f"Cohort {n}") for n in numbers]
    if form.cohort.data is None and numbers:
        form.cohort.data = numbers[0]
    return form


def _nominating(form: LateNominationForm) -> Callable:
    actor, moment = the_actor(), now()
    wanted = NominationRequest(
        cohort=form.cohort.data,
        school_urn=form.urn.data.strip(),
        name=form.name.data,
        email=form.email.data,
        qts=form.qts.data == "yes",
        teaching_since=form.teaching_since.data,
        accept=frozenset({"late"}),
        reason=form.reason.data.strip(),
    )
    return lambda u: nominate(u, actor, wanted, moment)


def _late_refusal(exc: Exception, form: LateNominationForm) -> list[str]:
    if isinstance(exc, NotFound):
        form.urn.errors = ["No school has this URN"]
        return []
    if isinstance(exc, GuardFailed):
        return [_sentence(r) for r in exc.reasons]
    return [_sentence(str(exc))]


@blueprint.route("/nominations/late", methods=["GET", "POST"])
@signed_in
def late():
    """Nominate a teacher after the recruitment window: the form, then what will happen."""
    form = _late_form()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            preview = rehearse(uow(), the_actor(), None, _nominating(form))
        except DomainError as exc:
            problems = _late_refusal(exc, form)
        else:
            return render_template(
                "late_confirm.html", p=preview, form=form, hidden=hidden_values(form)
            )
    return render_template("late_nomination.html", form=form, problems=problems)


@blueprint.route("/nominations/late/confirm", methods=["POST"])
@signed_in
def late_confirm():
    form = _late_form()
    if not form.validate_on_submit():
        return render_template("late_nomination.html", form=form, problems=[]), 400
    try:
        specialist_id = _nominating(form)(uow())
    except DomainError as exc:
        problems = _late_refusal(exc, form)
        return render_template("late_nomination.html", form=form, problems=problems), 409
    flash(f"{form.name.data.strip()} has been nominated after the recruitment window")
    return redirect(url("specialists.show", specialist_id=specialist_id))
