"""A specialist's personal data (UK GDPR), for national admins: ``/specialists/ID/export``
(the JSON document, as a download), ``/specialists/ID/export.html`` (the same, readable)
and ``/specialists/ID/erase`` (a confirmation page saying what will happen, with a required
reason, then back to the specialist's page with a banner).

The services are those of ``workflow gdpr export|erase`` (``services/gdpr/``), which refuse
anyone but a national admin. Another hub's specialist is "Page not found" (only national
admins see every hub); hub staff of the specialist's hub get 403. Downloads are attachments
and never cached. Only someone who has left can be erased, and only once: otherwise the
page says why and offers no button.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template
from flask import url_for as url

from workflow.errors import DomainError, NotFound, NotPermitted, SettingsError
from workflow.services import permissions
from workflow.services.gdpr.erase import erase_specialist, erased_on, has_left
from workflow.services.gdpr.export import export_specialist
from workflow.services.gdpr.html import export_html
from workflow.services.gdpr.retention import Rules
from workflow.services.timeline import specialist_page
from workflow.web.access import now, runtime, signed_in, the_actor, uow
from workflow.web.formatting import STATE_LABELS
from workflow.web.forms import EraseForm

blueprint = Blueprint("personal_data", __name__)


def _visible(specialist_id: int, allowed) -> dict:
    """The specialist's page data (another hub's: 404), then the role's check (403)."""
    actor = the_actor()
    page = specialist_page(uow(), actor, specialist_id)
    if not allowed(actor):
        raise NotPermitted("only a national admin may export or erase personal data")
    return page


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename={filename}",
            "Cache-Control": "no-store",
        },
    )


def _document(specialist_id: int) -> dict:
    rules = Rules.from_settings(runtime().settings).as_dict()
    return export_specialist(uow(), the_actor(), specialist_id, now(), rules)


@blueprint.route("/specialists/<int:specialist_id>/export")
@signed_in
def export(specialist_id: int):
    _visible(specialist_id, permissions.may_export)
    body = json.dumps(_document(specialist_id), indent=2, default=str, ensure_ascii=False)
    return _download(body, "application/json", f"specialist-{specialist_id}.json")


@blueprint.route("/specialists/<int:specialist_id>/export.html")
@signed_in
def export_readable(specialist_id: int):
    _visible(specialist_id, permissions.may_export)
    body = export_html(_document(specialist_id), runtime().settings.timezone)
    return _download(body, "text/html", f"specialist-{specialist_id}.html")


@blueprint.route("/specialists/<int:specialist_id>/erase", methods=["GET", "POST"])
@signed_in
def erase(specialist_id: int):
    page = _visible(specialist_id, permissions.may_erase)
    actor = the_actor()
    form = EraseForm()
    problems: list[str] = []
    status = 200
    done = erased_on(uow(), actor, specialist_id)
    if done is not None:
        problems.append(
            f"The personal data of this specialist was already erased on {_day(done)}. "
            "It cannot be erased twice."
        )
        status = 409
    elif not has_left(page["state"]):
        problems.append(
            f"{page['name']} is {STATE_LABELS[page['state']].lower()}: only someone who has left "
            "the programme (withdrawn or not selected) can be erased. Withdraw them first."
        )
        status = 409
    elif form.validate_on_submit():
        try:
            erased = erase_specialist(uow(), actor, specialist_id, form.reason.data, now())
        except SettingsError:
            problems.append(
                "Erasure is not set up on this site: ask the operators to set "
                "WORKFLOW_ERASURE_KEY. Nothing was erased."
            )
            status = 503
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            problems.append(str(exc))
            status = 409
        else:
            flash(f"The personal data of specialist {specialist_id} has been erased")
            if erased.also:
                others = ", ".join(str(i) for i in erased.also)
                flash(f"The same email address is also on specialist {others}: not erased")
            return redirect(url("specialists.show", specialist_id=specialist_id))
    return render_template(
        "erase.html", s=page, form=form, problems=problems, offer=status == 200 or status == 503
    ), status


def _day(moment) -> str:
    local = moment.astimezone(runtime().settings.tz)
    return f"{local.day} {local:%B %Y}"
