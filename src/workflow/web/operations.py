"""The operators' pages (the national team): dead letters (``/dead-letters``, "Retry",
"Retry all") and the system's health (``/system``).

Both call the services the command line calls (``workflow dead-letters list|retry``;
``services.health``), which refuse anyone but the national team (403, as on the command
line: these pages hold no hub's records). The broker is asked a PING here, at the edge,
when one is configured; the embedded default has none to ask.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from workflow.errors import DomainError, NotFound, NotPermitted
from workflow.services.dead_letters import list_dead_letters, retry
from workflow.services.health import TICK_LATE, system_health
from workflow.web.access import now, runtime, signed_in, the_actor, uow

blueprint = Blueprint("operations", __name__)

#: Who an email was for, by the recipient role its message carries.
RECIPIENTS = {
    "specialist": "Specialist",
    "headteacher": "Headteacher",
    "finance": "Finance contact",
    "hub_lead": "Hub lead",
    "hub_staff": "Hub staff",
    "national_admin": "National admins",
}


def _rows(letters) -> list[dict]:
    rows = []
    for letter in letters:
        payload = letter.payload or {}
        to = str(payload.get("to") or "")
        rows.append(
            {
                "id": letter.id,
                "template": payload.get("template") or letter.actor,
                "recipient": RECIPIENTS.get(to, "A member of staff" if "@" in to else to),
                "specialist_id": payload.get("specialist_id"),
                "reason": (letter.error.splitlines() or [""])[0][:300],
                "attempts": letter.attempts,
                "at": letter.created_at,
            }
        )
    return rows


def _list_page(problems: list[str] | None = None, status: int = 200):
    letters = list_dead_letters(uow(), the_actor())
    return render_template(
        "dead_letters.html", rows=_rows(letters), problems=problems or []
    ), status


@blueprint.route("/dead-letters")
@signed_in
def dead_letters():
    return _list_page()


def _queued(ids: list[int]) -> str:
    if not ids:
        return "There were no dead letters to retry"
    n = len(ids)
    return f"{n} {'email' if n == 1 else 'emails'} queued to be sent again"


@blueprint.route("/dead-letters/<int:letter_id>/retry", methods=["POST"])
@signed_in
def retry_one(letter_id: int):
    return _retry(letter_id)


@blueprint.route("/dead-letters/retry-all", methods=["POST"])
@signed_in
def retry_all():
    return _retry(None)


def _retry(letter_id: int | None):
    try:
        ids = retry(uow(), the_actor(), now(), letter_id)
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        return _list_page([str(exc)[:1].upper() + str(exc)[1:]], 409)
    flash(_queued(ids))
    return redirect(url_for("operations.dead_letters"))


@blueprint.route("/system")
@signed_in
def system():
    health = system_health(uow(), the_actor(), now())
    url = runtime().settings.broker_url
    broker = None
    if url:
        from workflow.workers.broker import redis_unreachable

        broker = {"problem": redis_unreachable(url)}
    return render_template("system.html", h=health, broker=broker, late=TICK_LATE)
