"""Importing nominations from a CSV file (``/nominations/import``): the file is checked and
every row's result shown before anything is saved; "Import nominations" then saves them,
all or nothing, through the same service as ``workflow import nominations``.

Between the two steps the file waits in the (server-side) session, not in the browser.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session
from flask import url_for as url

from workflow.errors import InvalidInput, NotPermitted
from workflow.services import permissions
from workflow.services.imports import MAX_BYTES, import_nominations, read_rows
from workflow.services.search import cohort_numbers
from workflow.web.access import now, signed_in, the_actor, uow
from workflow.web.forms import ImportForm

blueprint = Blueprint("imports", __name__)
PENDING = "pending_import"


def _rows_with_results(data: bytes, errors: list[dict]) -> list[dict]:
    by_row = {e["row"]: e["errors"] for e in errors}
    return [
        {"row": number, **cells, "errors": by_row.get(number, [])}
        for number, cells in read_rows(data)
    ]


@blueprint.route("/nominations/import", methods=["GET", "POST"])
@signed_in
def start():
    if not permissions.may_nominate(the_actor()):
        raise NotPermitted("your role may not nominate teachers")
    form = ImportForm()
    numbers = cohort_numbers(uow())
    form.cohort.choices = [(n, f"Cohort {n}") for n in numbers]
    if request.method == "POST" and request.form.get("step") == "import":
        return _save()
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.file.data.read(MAX_BYTES + 1)
        try:
            checked = import_nominations(
                uow(), the_actor(), data, form.cohort.data, now(), dry_run=True
            )
            rows = _rows_with_results(data, checked.errors)
        except InvalidInput as exc:
            form.file.errors = [f"The file cannot be used: {exc}"]
        else:
            session[PENDING] = {"cohort": form.cohort.data, "csv": data.decode("utf-8-sig")}
            return render_template(
                "import_check.html", rows=rows, cohort=form.cohort.data,
                valid=checked.valid_rows, failed=len(checked.errors),
            )  # fmt: skip
    return render_template("import.html", form=form, problems=problems)


def _save():
    pending = session.get(PENDING)
    if not pending:
        flash("Choose the file again: the checked file is no longer here")
        return redirect(url("imports.start"))
    data = pending["csv"].encode()
    result = import_nominations(uow(), the_actor(), data, pending["cohort"], now())
    if result.errors:  # something changed since the check: show it again, nothing saved
        return render_template(
            "import_check.html", rows=_rows_with_results(data, result.errors),
            cohort=pending["cohort"], valid=result.valid_rows, failed=len(result.errors),
        )  # fmt: skip
    session.pop(PENDING, None)
    flash(f"{len(result.imported)} nominations imported")
    return redirect(url("specialists.index", state="nominated", cohort=pending["cohort"]))
