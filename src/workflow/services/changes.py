"""Changes to a specialist's details: name and email, and the school (or hub) they teach at.

Each is a correction entry in the audit trail (``kind = correction``) keeping the values it
replaced in ``details``, with the actor and the reason.

A move to a school in the same hub takes effect at once. A move to another hub needs a
free place in that hub's allocation for the specialist's cohort (when they hold a place)
and frees the old one; only a national admin sees both hubs, so only they move across
hubs. Funding not yet released follows the new school, what was released stays with the
old one (``funding.follow_school``); both headteachers are told.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from workflow.clock import local_date
from workflow.db.models import School, Specialist
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, GuardFailed, InvalidInput
from workflow.notify.notifications import SPECIALIST_MOVED, SchoolMove, SpecialistMoved
from workflow.services import effects, funding
from workflow.services.auth import Action, Actor, authorize, logs_refusals, not_found_unless_visible
from workflow.services.corrections import correction_entry, require_reason
from workflow.services.queries import places, places_used
from workflow.services.setup import school_by_urn
from workflow.services.specialists import check_version, load_with_hub
from workflow.services.validation import clean_email, clean_name
from workflow.states.guards import school_reasons
from workflow.states.lifecycle import ACTIVE, HOLDS_PLACE, State


@logs_refusals("specialist edit")
def edit_specialist(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    now: datetime,
    *,
    name: str | None = None,
    email: str | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> dict:
    """Change a specialist's name or email; returns the old values (kept in the audit)."""
    changes = {}
    if name is not None:
        changes["name"] = clean_name(name, "the teacher's name")
    if email is not None:
        changes["email"] = clean_email(email)
    if not changes:
        raise InvalidInput("nothing to change: give --name or --email")
    with uow:
        session = uow.session
        specialist, hub_id = load_with_hub(session, actor, specialist_id)
        authorize(actor, Action.CORRECT, hub_id)
        check_version(specialist, expected_version)
        if "email" in changes:
            other = session.scalar(
                select(Specialist.id).where(
                    Specialist.email == changes["email"],
                    Specialist.id != specialist.id,
                    Specialist.state.in_([s.value for s in ACTIVE]),
                )
            )
            if other:
                raise DomainError(f"specialist {other} already has that email address")
        old = {field: getattr(specialist, field) for field in changes}
        for field, value in changes.items():
            setattr(specialist, field, value)
        details = {"old": old, "new": changes}
        correction_entry(
            session, specialist, "edit", actor, now, (reason or "").strip() or "details changed",
            details,
        )  # fmt: skip
        uow.commit()
        return old


@logs_refusals("move")
def move(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    urn: str,
    reason: str,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> dict:
    """Move a specialist to the school with ``urn``; returns ``{"from", "to", "hub_changed"}``."""
    reason = require_reason(reason, "a move")
    with uow:
        session = uow.session
        specialist, hub_id = load_with_hub(session, actor, specialist_id)
        authorize(actor, Action.CORRECT, hub_id)
        school = school_by_urn(session, urn)
        not_found_unless_visible(actor, school.hub_id, f"school with URN {urn}")
        authorize(actor, Action.CORRECT, school.hub_id)
        check_version(specialist, expected_version)
        old = session.get(School, specialist.school_id)
        if school.id == old.id:
            raise DomainError(f"specialist {specialist_id} is at school {urn} already")
        if State(specialist.state) not in ACTIVE:
            raise DomainError(f"specialist {specialist_id} is {specialist.state}: nothing to move")
        reasons = school_reasons(school.phase, school.state_funded)
        hub_changed = school.hub_id != old.hub_id
        if hub_changed and State(specialist.state) in HOLDS_PLACE:
            cohort = specialist.cohort_id
            total = places(session, school.hub_id, cohort, lock=True)
            used = places_used(session, school.hub_id, cohort)
            if used >= total:
                reasons.append(
                    f"the new hub's allocation for this cohort is full ({used} of {total} "
                    "places used)"
                )
        if reasons:
            raise GuardFailed(reasons)
        specialist.school_id = school.id
        funding.follow_school(session, specialist.id, school.id)
        details = {
            "from_school": old.urn,
            "to_school": school.urn,
            "on": local_date(now, uow.timezone).isoformat(),
            "hub_changed": hub_changed,
        }
        entry = correction_entry(session, specialist, "move", actor, now, reason, details)
        extra = SpecialistMoved(SchoolMove(old.name, school.name))
        occurrence = f"move{entry.id}"
        effects.write(
            session,
            [
                effects.email_row(now, SPECIALIST_MOVED, specialist.id, to, occurrence, extra)
                for to in (*SPECIALIST_MOVED.recipients, old.head_email)
            ],
        )
        uow.commit()
        return {"from": old.urn, "to": school.urn, "hub_changed": hub_changed}
