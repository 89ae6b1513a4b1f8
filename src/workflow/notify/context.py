"""The typed shapes of an email's context: the people and records every email may name.

A notification's context is a *scope* (what the delivery loads from the database: the
specialist with their school, hub and cohort, or a hub, or the programme as a whole) plus
its own *extra* (what the producer writes in the outbox payload). Both are msgspec
Structs: ``notify.registry`` checks a context against them before any template is
rendered, so a payload of the wrong shape is refused with one line naming the field.

Times are aware datetimes (UTC); values that crossed JSON arrive as ISO 8601 strings and
are converted on the way in. Money is integer pence.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

#: An aware datetime: a time without a zone is refused, never guessed.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class Person(msgspec.Struct, frozen=True):
    """Someone who receives or signs an email (a hub lead, a national admin)."""

    name: str | None
    email: str


class SpecialistInfo(msgspec.Struct, frozen=True):
    name: str
    email: str
    id: int | None = None
    state: str | None = None


class SchoolInfo(msgspec.Struct, frozen=True):
    name: str
    urn: str
    head_name: str | None
    head_email: str
    finance_email: str | None = None


class HubInfo(msgspec.Struct, frozen=True):
    code: str
    name: str
    region: str | None = None


class CohortInfo(msgspec.Struct, frozen=True):
    number: int
    start_date: date | None = None


class Extra(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The base of every notification's own values: an unknown key is an error."""


# --- Scopes: what the delivery loads --------------------------------------------------------


class SpecialistScope(msgspec.Struct, frozen=True):
    """An email about one specialist: loaded from ``payload["specialist_id"]``."""

    specialist: SpecialistInfo
    school: SchoolInfo
    hub: HubInfo
    cohort: CohortInfo
    hub_lead: Person | None = None
    email_key: str | None = None


class HubScope(msgspec.Struct, frozen=True):
    """An email to a hub's staff about a cohort: loaded from the extra's ``hub_id`` and
    ``cohort_number`` (no specialist, no school)."""

    hub: HubInfo
    cohort: CohortInfo
    hub_lead: Person | None = None
    specialist: None = None
    school: None = None
    email_key: str | None = None


class NationalScope(msgspec.Struct, frozen=True):
    """An email to the national team about a cohort: loaded from ``cohort_number``."""

    cohort: CohortInfo
    specialist: None = None
    school: None = None
    hub: None = None
    hub_lead: None = None
    email_key: str | None = None


SCOPE_FIELDS: frozenset[str] = frozenset(
    {"specialist", "school", "hub", "cohort", "hub_lead", "email_key", "recipient"}
)
"""Names an extra may never use: they belong to the scope (or to the renderer)."""
