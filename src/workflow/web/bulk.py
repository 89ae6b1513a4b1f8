"""Bulk actions on the specialists ticked in the list (``POST /specialists/bulk``).

Three steps, each a POST of the same form, so it works without JavaScript:

1. the list (``/specialists``) posts the ticked ids, the action and its details: bad input
   shows the list again with the error summary, ticks kept, nothing done;
2. the confirmation (``step=confirm`` not yet posted): every chosen specialist and whether
   the action will apply, or why not, from ``services.bulk.check`` (nothing done yet);
3. "Confirm" (``step=confirm``): ``services.bulk.perform`` does it, each specialist in a
   transaction of its own, and the result page shows each one's outcome.

Who may do what is the services' (per specialist: another hub's id is "not found"); the
list offers the actions the role may take, and a POST by a role with none (a viewer), or of
an action the role may not take, is refused with 403. A confirmation posted twice does
nothing the second time: it carries each specialist's version (see ``services/bulk.py``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request
from flask import url_for as url
from werkzeug.datastructures import MultiDict

from workflow.errors import InvalidInput, NotPermitted
from workflow.services import bulk, reminders_now
from workflow.states.rules import to_half_days
from workflow.web.access import now, signed_in, the_actor, uow
from workflow.web.forms import BulkForm
from workflow.web.specialists import LIST_ARGS, list_page, make_bulk_form

blueprint = Blueprint("bulk", __name__)


def _back() -> MultiDict:
    """The list's filters and page, as the list posted them (unknown keys dropped)."""
    return MultiDict(
        [(k, v) for k in LIST_ARGS if (v := request.form.get(f"list_{k}", "").strip()[:200])]
    )


def _ids() -> list[int]:
    values = request.form.getlist("specialist")
    if not all(v.isdigit() and len(v) < 12 for v in values):
        abort(400)
    return [int(v) for v in values]


def _versions(ids: list[int]) -> dict[int, int]:
    versions = {}
    for sid in ids:
        value = request.form.get(f"version_{sid}", "")
        if value.isdigit():
            versions[sid] = int(value)
    return versions


def _request(form: BulkForm) -> bulk.BulkAction:
    action = form.bulk_action.data
    if action == "defer":
        return bulk.BulkAction("defer", reason=form.reason.data)
    if action == "remind":
        return bulk.BulkAction("remind", reminder=form.reminder.data)
    if form.event.data:
        return bulk.BulkAction("record", event=form.event.data)
    kind = form.milestone.data
    half_days = None
    if kind in ("central_day", "development_day"):
        half_days = to_half_days(float(form.days.data))
    elif kind == "hub_support":
        half_days = int(form.half_days.data)
    return bulk.BulkAction("record", milestone=kind, half_days=half_days, on=form.on.data)


def _what(action: bulk.BulkAction, form: BulkForm) -> str:
    """The action in words, for the confirmation and result pages."""
    if action.event:
        return "Record attendance at " + dict(form.event.choices)[action.event]
    if action.action == "defer":
        return "Defer"
    if action.action == "remind":
        return "Send a reminder: " + reminders_now.CHOICES[action.reminder].split(" (")[0]
    words = action.milestone.replace("_", " ")
    if action.milestone == "hub_support":
        words += f": {action.half_days} half-day{'s' if action.half_days != 1 else ''}"
    elif action.half_days:
        days = action.half_days / 2
        words += f": {days:g} day{'s' if days != 1 else ''}"
    when = action.on
    return f"Record {words}, " + (f"on {when.day} {when:%B %Y}" if when else "dated today")


@blueprint.route("/specialists/bulk", methods=["GET", "POST"])
@signed_in
def start():
    if request.method == "GET":
        return redirect(url("specialists.index"))
    actor = the_actor()
    actions = bulk.offered(actor)
    if not actions:
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not act on specialists")
    form = make_bulk_form(actions)
    back = _back()
    ids = _ids()
    posted = request.form.get("bulk_action", "")
    if posted and posted not in bulk.ACTIONS:
        abort(400)
    if posted in bulk.ACTIONS and posted not in actions:
        raise NotPermitted(f"a {actor.role.value.replace('_', ' ')} may not {posted} specialists")
    errors = []
    valid = form.validate_on_submit()
    if not ids:
        errors.append({"text": "Select at least one specialist", "href": "#specialists"})
    for field in form:
        for message in field.errors:
            errors.append({"text": message, "href": f"#{field.id}"})
    if errors or not valid:
        return list_page(back, bulk_form=form, ticked=ids, errors=errors)
    what = _request(form)
    try:
        if request.form.get("step") == "confirm":
            results = bulk.perform(uow(), actor, what, ids, now(), _versions(ids))
            template = "bulk_result.html"
        else:
            results = bulk.check(uow(), actor, what, ids, now())
            template = "bulk_confirm.html"
    except InvalidInput as exc:
        message = str(exc)  # too many specialists, or details the form let through
        where = "#specialists" if "specialists" in message else "#bulk_action"
        errors.append({"text": message[0].upper() + message[1:], "href": where})
        return list_page(back, bulk_form=form, ticked=ids, errors=errors)
    list_link = url("specialists.index") + (
        f"?{urlencode(list(back.items(multi=True)))}" if back else ""
    )
    return render_template(
        template, results=results, what=_what(what, form), action=what.action, form=form,
        back=back, list_link=list_link, will=sum(r.ok for r in results),
    )  # fmt: skip
