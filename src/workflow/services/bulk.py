"""Bulk actions on specialists chosen from the web's list: check each, then do each.

Three actions, each the same service as for one specialist, once per specialist:
``record`` (a milestone: ``specialists.record_milestone``; or attendance at one of the
cohort's events: ``events.attend``, the milestone and the register mark), ``defer``
(``specialists.transition``) and ``remind`` (``reminders_now.remind``).

- ``check`` says for every chosen specialist whether the action would apply, and why not
  (not found: missing or another hub's, never revealed; not permitted; the state or the
  record does not allow it), writing nothing: the confirmation page. It runs the same
  decisions as the action (the machine's ``fire`` for a deferral; ``record_in`` or
  ``attend_in`` in a transaction that is rolled back; ``reminders_now.check_in``).
- ``perform`` does it, each specialist in a transaction of its own, so one refusal does
  not undo the others, and returns each one's outcome (done, or refused with the reason).
  Authorisation is the services', per specialist: another hub's id is "not found" and
  nothing is done to it (the refusal is recorded, as for one specialist).

A double submit of a confirmation changes nothing the second time: ``perform`` takes the
version of each specialist the confirmation showed (``expected``), and a deferral or a
milestone refuses a specialist changed since (``Conflict``: optimistic locking, so two
submits at the same moment also do it once); a reminder is once a day a specialist by its
key (``reminders_now``).

At most ``MAX_SPECIALISTS`` at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from workflow.db.models import Hub, School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import Conflict, DomainError, InvalidInput, NotFound, NotPermitted
from workflow.services import reminders_now
from workflow.services.auth import Action, Actor, authorize
from workflow.services.events import attend, attend_in
from workflow.services.specialists import (
    MAX_HALF_DAYS,
    MILESTONES,
    record_in,
    record_milestone,
    transition,
)
from workflow.services.validation import clean_reason
from workflow.states.lifecycle import fire

MAX_SPECIALISTS = 200

#: The actions, as the list's action chooser names them.
ACTIONS: dict[str, str] = {
    "record": "Record attendance",
    "defer": "Defer",
    "remind": "Send a reminder",
}
NEEDS: dict[str, Action] = {
    "record": Action.RECORD,
    "defer": Action.DECIDE,
    "remind": Action.REMIND,
}
NOT_FOUND = "not found (no such specialist in your hub)"
CHANGED = "changed since you confirmed (already done, or someone else acted): nothing done"


@dataclass(frozen=True)
class BulkAction:
    """What to do to each chosen specialist, with its details."""

    action: str
    reason: str | None = None  # defer
    milestone: str | None = None  # record
    half_days: int | None = None  # record: central, development days and hub support
    on: date | None = None  # record: the day (today when None)
    reminder: str | None = None  # remind: a key of reminders_now.CHOICES
    event: str | None = None  # record: "COHORT:EVENT_ID", attendance at an event instead

    @property
    def cohort_event(self) -> tuple[int, str]:
        number, _, event_id = (self.event or "").partition(":")
        return int(number), event_id


@dataclass(frozen=True)
class Result:
    """One chosen specialist: whether the action applies (or was done), and why not."""

    specialist_id: int
    name: str | None  # None when not found
    school: str | None = None
    hub: str | None = None
    state: str | None = None
    version: int | None = None
    ok: bool = False
    reason: str | None = None  # why not, when not ok
    detail: str | None = None  # what was done (a reminder: which event)


def check_request(what: BulkAction, ids: Sequence[int]) -> BulkAction:
    """The request checked (``InvalidInput`` naming the problem), the reason cleaned."""
    if what.action not in ACTIONS:
        raise InvalidInput(
            f"unknown bulk action {what.action!r}; expected one of {', '.join(ACTIONS)}"
        )
    if not ids:
        raise InvalidInput("select at least one specialist")
    if len(set(ids)) > MAX_SPECIALISTS:
        raise InvalidInput(
            f"select at most {MAX_SPECIALISTS} specialists at a time (you selected {len(set(ids))})"
        )
    if what.action == "defer":
        if not (what.reason or "").strip():
            raise InvalidInput("a deferral needs a reason")
        return BulkAction("defer", reason=clean_reason(what.reason, "the reason"))
    if what.action == "record" and what.event:
        number, _, event_id = what.event.partition(":")
        if not (number.isdigit() and event_id and len(what.event) <= 80):
            raise InvalidInput(
                f"an event is COHORT:EVENT_ID, like 9:y1-central2; got {what.event!r}"
            )
        return BulkAction("record", event=what.event)
    if what.action == "record":
        if what.milestone not in MILESTONES:
            raise InvalidInput(f"unknown milestone {what.milestone!r}")
        measured = MILESTONES[what.milestone][1]
        if measured and (what.half_days is None or not 0 < what.half_days <= MAX_HALF_DAYS):
            raise InvalidInput(f"give between 0.5 and {MAX_HALF_DAYS // 2} days")
        half_days = what.half_days if measured else None
        return BulkAction("record", milestone=what.milestone, half_days=half_days, on=what.on)
    reminders_now.check_choice(what.reminder or "")
    return BulkAction("remind", reminder=what.reminder)


def _unique(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def _people(session, actor: Actor, ids: list[int]) -> dict[int, tuple]:
    """The chosen specialists the actor may see: id -> (specialist, school, hub name, hub id)."""
    rows = session.execute(
        select(Specialist, School.name, Hub.name, School.hub_id)
        .join(School, School.id == Specialist.school_id)
        .join(Hub, Hub.id == School.hub_id)
        .where(Specialist.id.in_(ids))
    ).all()
    return {row[0].id: tuple(row) for row in rows if actor.sees_hub(row[3])}


def _result(sid: int, person: tuple | None, **outcome) -> Result:
    if person is None:
        return Result(sid, None, ok=False, reason=NOT_FOUND)
    specialist, school, hub, _ = person
    return Result(
        sid, specialist.name, school, hub, specialist.state, specialist.version, **outcome
    )


def check(uow: UnitOfWork, actor: Actor, what: BulkAction, ids: Sequence[int], now: datetime):
    """Whether ``what`` applies to each of ``ids`` (in order, once each); writes nothing."""
    authorize(actor, Action.VIEW)
    what = check_request(what, ids)
    ids = _unique(ids)
    results = []
    with uow:  # never committed: record_in's trial writes are rolled back
        session = uow.session
        people = _people(session, actor, ids)
        for sid in ids:
            person = people.get(sid)
            if person is None:
                results.append(_result(sid, None))
                continue
            specialist, _, _, hub_id = person
            snapshot = _result(sid, person, ok=True)
            try:
                authorize(actor, NEEDS[what.action], hub_id)
                if what.action == "defer":
                    fire(specialist.state, "defer", resume_state=specialist.resume_state)
                elif what.event:
                    attend_in(session, actor, sid, *what.cohort_event, now)
                elif what.action == "record":
                    record_in(session, actor, sid, what.milestone, now,
                              half_days=what.half_days, on=what.on)  # fmt: skip
                else:
                    planned = reminders_now.check_in(session, actor, sid, what.reminder, now)
                    snapshot = _result(sid, person, ok=True, detail=planned.what)
            except NotFound:
                snapshot = _result(sid, None)
            except (NotPermitted, DomainError) as refused:
                snapshot = _result(sid, person, ok=False, reason=str(refused))
            results.append(snapshot)
    return results


def perform(
    uow: UnitOfWork,
    actor: Actor,
    what: BulkAction,
    ids: Sequence[int],
    now: datetime,
    expected: Mapping[int, int] | None = None,
) -> list[Result]:
    """Do ``what`` to each of ``ids``, each in its own transaction; every one's outcome.

    ``expected``: each specialist's version as the confirmation showed it; one changed
    since is refused (``CHANGED``) and left as it is.
    """
    authorize(actor, Action.VIEW)
    what = check_request(what, ids)
    ids = _unique(ids)
    expected = expected or {}
    outcomes: dict[int, dict | None] = {}
    for sid in ids:
        try:
            detail = _do(uow.fresh(), actor, what, sid, now, expected.get(sid))
        except NotFound:
            outcomes[sid] = None
        except Conflict:
            outcomes[sid] = {"ok": False, "reason": CHANGED}
        except (NotPermitted, DomainError) as refused:
            outcomes[sid] = {"ok": False, "reason": str(refused)}
        else:
            outcomes[sid] = {"ok": True, "detail": detail}
    with uow:  # as they are now, for the result page
        people = _people(uow.session, actor, ids)
    return [
        _result(sid, people.get(sid) if outcome is not None else None, **(outcome or {}))
        for sid, outcome in outcomes.items()
    ]


def _do(uow: UnitOfWork, actor: Actor, what: BulkAction, sid: int, now, version) -> str | None:
    if what.action == "defer":
        transition(uow, actor, sid, "defer", now, reason=what.reason, expected_version=version)
        return None
    if what.event:
        attend(uow, actor, sid, *what.cohort_event, now, expected_version=version)
        return None
    if what.action == "record":
        record_milestone(uow, actor, sid, what.milestone, now, half_days=what.half_days,
                         on=what.on, expected_version=version)  # fmt: skip
        return None
    return reminders_now.remind(uow, actor, sid, what.reminder, now)


def offered(actor: Actor) -> dict[str, str]:
    """The bulk actions the role may take (in its own hub; a national admin's: anywhere),
    in ``ACTIONS``' order: what the list offers. Empty for a viewer."""
    found = {}
    for action, label in ACTIONS.items():
        try:
            authorize(actor, NEEDS[action])
        except NotPermitted:
            continue
        found[action] = label
    return found
