"""Setting up the programme: hubs, their allocations, schools and cohorts (national admins)."""

from __future__ import annotations

import re

from sqlalchemy import select

from workflow.db.models import Cohort, Hub, HubAllocation, School
from workflow.db.uow import UnitOfWork
from workflow.errors import DomainError, InvalidInput, NotFound
from workflow.services.auth import (
    Action,
    Actor,
    authorize,
    logs_refusals,
    not_found_unless_visible,
)
from workflow.services.calendar import calendar
from workflow.services.cohort_schedule import schedule_cohort_years
from workflow.services.queries import places_used
from workflow.services.validation import clean_email, clean_name, clean_urn
from workflow.states.rules import load_rules, rules_snapshot

PHASES = ("primary", "secondary", "all-through", "16-plus")
FUNDING = ("state", "independent")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def hub_by_code(session, code: str) -> Hub:
    hub = session.scalar(select(Hub).where(Hub.code == code))
    if hub is None:
        raise NotFound(f"hub {code!r} not found")
    return hub


def cohort_by_number(session, number: int) -> Cohort:
    cohort = session.scalar(select(Cohort).where(Cohort.number == number))
    if cohort is None:
        raise NotFound(f"cohort {number} not found")
    return cohort


def school_by_urn(session, urn: str) -> School:
    school = session.scalar(select(School).where(School.urn == urn))
    if school is None:
        raise NotFound(f"school with URN {urn} not found")
    return school


@logs_refusals("add_hub")
def add_hub(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    name: str,
    region: str | None = None,
    secondary_schools: int | None = None,
) -> int:
    authorize(actor, Action.SETUP)
    if secondary_schools is not None and not 0 <= secondary_schools <= 100_000:
        raise InvalidInput("the number of secondary schools must be between 0 and 100000")
    if not CODE.match(code):
        raise InvalidInput(f"hub code {code!r}: use lower-case letters, digits and dashes")
    if not name.strip():
        raise InvalidInput("hub name is empty")
    with uow:
        if uow.session.scalar(select(Hub.id).where(Hub.code == code)):
            raise DomainError(f"hub {code!r} already exists")
        hub = Hub(code=code, name=name.strip(), region=region, secondary_schools=secondary_schools)
        uow.session.add(hub)
        uow.commit()
        return hub.id


@logs_refusals("hub digest")
def set_digest_to_staff(uow: UnitOfWork, actor: Actor, code: str, to_staff: bool) -> None:
    """Whether the hub's staff receive its termly digest as well as its hub lead (the hub
    lead of that hub, or a national admin, decides)."""
    with uow:
        hub = hub_by_code(uow.session, code)
        not_found_unless_visible(actor, hub.id, f"hub {code!r}")
        authorize(actor, Action.DECIDE, hub.id)
        hub.digest_to_staff = to_staff
        uow.commit()


@logs_refusals("allocate")
def allocate(uow: UnitOfWork, actor: Actor, hub_code: str, cohort_number: int, places: int) -> None:
    """Set the hub's number of places in a cohort (never below the places already used)."""

    authorize(actor, Action.SETUP)
    if places < 0:
        raise InvalidInput("places cannot be negative")
    with uow:
        hub = hub_by_code(uow.session, hub_code)
        cohort = cohort_by_number(uow.session, cohort_number)
        used = places_used(uow.session, hub.id, cohort.id)
        if places < used:
            raise DomainError(f"{used} places are already used; cannot allocate only {places}")
        allocation = uow.session.scalar(
            select(HubAllocation).where(
                HubAllocation.hub_id == hub.id, HubAllocation.cohort_id == cohort.id
            )
        )
        if allocation is None:
            uow.session.add(HubAllocation(hub_id=hub.id, cohort_id=cohort.id, places=places))
        else:
            allocation.places = places
        uow.commit()


@logs_refusals("add_school")
def add_school(
    uow: UnitOfWork,
    actor: Actor,
    *,
    urn: str,
    name: str,
    hub_code: str,
    phase: str,
    funding: str,
    head_name: str,
    head_email: str,
    finance_email: str | None = None,
    finance_name: str | None = None,
) -> int:
    authorize(actor, Action.SCHOOLS)
    urn = clean_urn(urn)
    if phase not in PHASES:
        raise InvalidInput(f"phase {phase!r}: expected one of {', '.join(PHASES)}")
    if funding not in FUNDING:
        raise InvalidInput(f"funding {funding!r}: expected one of {', '.join(FUNDING)}")
    school = School(
        urn=urn,
        name=clean_name(name, "school name"),
        phase=phase,
        state_funded=funding == "state",
        head_name=clean_name(head_name, "headteacher's name"),
        head_email=clean_email(head_email),
        finance_email=clean_email(finance_email) if finance_email else None,
        finance_name=clean_name(finance_name, "finance contact's name") if finance_name else None,
    )
    with uow:
        hub = hub_by_code(uow.session, hub_code)
        not_found_unless_visible(actor, hub.id, f"hub {hub_code!r}")
        authorize(actor, Action.SCHOOLS, hub.id)  # a hub lead: in their own hub
        school.hub_id = hub.id
        if uow.session.scalar(select(School.id).where(School.urn == urn)):
            raise DomainError(f"a school with URN {urn} already exists")
        uow.session.add(school)
        uow.commit()
        return school.id


@logs_refusals("add_cohort")
def add_cohort(uow: UnitOfWork, actor: Actor, number: int, rules_name_or_file: str) -> int:
    """Create a cohort, keeping a copy of its rules for life, and schedule its year starts."""

    authorize(actor, Action.SETUP)
    rules = load_rules(rules_name_or_file)
    if rules.cohort != number:
        raise InvalidInput(f"the rules {rules.name!r} are for cohort {rules.cohort}, not {number}")
    with uow:
        if uow.session.scalar(select(Cohort.id).where(Cohort.number == number)):
            raise DomainError(f"cohort {number} already exists")
        cohort = Cohort(
            number=number,
            rules_name=rules.name,
            rules=rules_snapshot(rules),
            start_date=rules.dates.year1_start,
        )
        if rules.recruitment is not None:
            cohort.recruitment_opens = rules.recruitment.opens
            cohort.recruitment_closes = rules.recruitment.closes
            cohort.nominees_per_school = rules.recruitment.nominees_per_school
        uow.session.add(cohort)
        schedule_cohort_years(uow.session, number, rules, calendar(uow.timezone))
        uow.commit()
        return cohort.id


SCHOOL_FIELDS = ("name", "head_name", "head_email", "finance_email", "finance_name")


@logs_refusals("school edit")
def edit_school(uow: UnitOfWork, actor: Actor, urn: str, now, **changes: str | None) -> dict:
    """Change a school's name, headteacher or finance contact (address and name); returns
    the old values.

    Hub leads edit their own hub's schools, national admins any. Emails already queued
    keep their recipients; what is sent from now on goes to the new ones. An empty
    ``finance_email`` removes the finance contact (funding notices go to the head), an
    empty ``finance_name`` their name.
    """
    changes = {k: v for k, v in changes.items() if v is not None}
    unknown = set(changes) - set(SCHOOL_FIELDS)
    if unknown:
        raise InvalidInput(f"cannot edit {', '.join(sorted(unknown))} of a school")
    if not changes:
        raise InvalidInput(
            "nothing to change: give --name, --head-name, --head-email, --finance-email"
            " or --finance-name"
        )
    clean = {
        "name": lambda v: clean_name(v, "school name"),
        "head_name": lambda v: clean_name(v, "headteacher's name"),
        "head_email": clean_email,
        # An empty finance address removes the finance contact (notices go to the head).
        "finance_email": lambda v: clean_email(v) if v.strip() else None,
        "finance_name": lambda v: clean_name(v, "finance contact's name") if v.strip() else None,
    }
    values = {k: clean[k](v) for k, v in changes.items()}
    with uow:
        school = school_by_urn(uow.session, urn)
        not_found_unless_visible(actor, school.hub_id, f"school with URN {urn}")
        authorize(actor, Action.SCHOOLS, school.hub_id)
        old = {k: getattr(school, k) for k in values}
        for k, v in values.items():
            setattr(school, k, v)
        uow.commit()
        return old
