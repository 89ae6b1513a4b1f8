"""One action on a specialist (``/specialists/ID/ACTION``): a form that confirms it, with a
reason and an override where they apply, then back to the specialist's page with a banner.

Another hub's specialist is 404; an action the role may not take is 403, on GET and POST,
and nothing changes (the services refuse it, and record the refusal).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask import url_for as url

from workflow.errors import DomainError, GuardFailed, NotFound, NotPermitted
from workflow.services import permissions
from workflow.services.specialists import advance, record_milestone, transition
from workflow.services.timeline import specialist_page
from workflow.states.rules import to_half_days
from workflow.web.access import now, signed_in, the_actor, uow
from workflow.web.forms import ActionForm

blueprint = Blueprint("specialist_actions", __name__)

#: Button text, whether a reason is required, and the banner after it is done.
ACTIONS = {
    "select": ("Select", False, "{name} has been selected"),
    "decline": ("Decline", True, "{name} has been declined (not selected)"),
    "withdraw": ("Withdraw", True, "{name} has been withdrawn"),
    "defer": ("Defer", True, "{name} has been deferred"),
    "resume": ("Resume", False, "{name} has resumed"),
    "advance": ("Advance", False, "{name} has moved into their next year"),
    "record": ("Record", False, "The milestone has been recorded for {name}"),
}
OVERRIDABLE = ("select", "advance")


@blueprint.route("/specialists/<int:specialist_id>/<action>", methods=["GET", "POST"])
@signed_in
def act(specialist_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    actor = the_actor()
    try:
        page = specialist_page(uow(), actor, specialist_id)
    except NotFound:
        abort(404)
    if not permissions.may(actor, action, page["hub_id"]):
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not {action} specialists")
    label, reason_required, banner = ACTIONS[action]
    form = ActionForm()
    form.prepare(action, label, reason_required, permissions.milestones_in(page["state"]))
    can_override = action in OVERRIDABLE and permissions.may_override(actor, page["hub_id"])
    problems: list[str] = []
    status = 200
    if not permissions.state_allows(action, page["state"]):
        state = page["state"].replace("_", " ")
        problems.append(f"You cannot {action} a specialist who is {state}")
        status = 409
    elif form.validate_on_submit():
        try:
            _do(action, specialist_id, form, can_override)
        except GuardFailed as exc:
            problems.extend(exc.reasons)
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            problems.append(str(exc))
        else:
            flash(banner.format(name=page["name"]))
            return redirect(url("specialists.show", specialist_id=specialist_id))
    return render_template(
        "action.html", s=page, action=action, label=label, form=form, problems=problems,
        can_override=can_override, reason_required=reason_required,
    ), status  # fmt: skip


def _do(action: str, specialist_id: int, form: ActionForm, can_override: bool) -> None:
    actor, moment = the_actor(), now()
    reason = (form.reason.data or "").strip() or None
    override = bool(form.override.data) and can_override
    version = request.form.get("version", "")
    expected = int(version) if version.isdigit() else None
    if action == "record":
        kind = form.milestone.data
        half_days = None
        if kind in ("central_day", "development_day"):
            half_days = to_half_days(float(form.days.data))
        elif kind == "hub_support":
            half_days = int(form.half_days.data)
        record_milestone(
            uow(), actor, specialist_id, kind, moment, half_days=half_days, on=form.on.data
        )
    elif action == "advance":
        advance(uow(), actor, specialist_id, moment, override=override, reason=reason,
                expected_version=expected)  # fmt: skip
    else:
        transition(uow(), actor, specialist_id, action, moment, reason=reason, override=override,
                   expected_version=expected)  # fmt: skip
