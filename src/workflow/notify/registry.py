"""What a notification is, the recipient roles, and the registry every notification joins.

A ``Notification`` is declared once (``notify/notifications.py``): its name (also the
name of its two templates, ``templates/NAME.txt`` with the subject and
``templates/NAME.html``), who receives it, the scope its context is loaded from, the
Struct of its own values (``extra``), whether it carries an .ics, and a sample of those
values. ``notify.notifications.REGISTRY`` holds them all: the template list, ``workflow
email templates`` and ``email preview``, the samples and the renderer read it.

Producers hold the declaration, never its name as a string: ``NOTE.row(...)`` (or
``services.effects.email_row(now, NOTE, ...)``) checks the values against ``extra`` when
the outbox row is written, and ``check_context`` checks the whole context again before
rendering, so a payload of the wrong shape is one clear line (a dead letter's reason),
never a template's attribute error.

Recipient roles (``Role``) are defined here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import msgspec

from workflow.conversion import Invalid, convert
from workflow.errors import InvalidInput
from workflow.notify.context import (
    SCOPE_FIELDS,
    Extra,
    HubScope,
    NationalScope,
    SpecialistScope,
)


class Role(StrEnum):
    """Who an email is addressed to, as an outbox payload's ``to`` names them."""

    SPECIALIST = "specialist"
    HEADTEACHER = "headteacher"  # the school's head
    FINANCE = "finance"  # the school's finance contact (skipped when it has none)
    HUB_LEAD = "hub_lead"  # every hub lead of the hub
    HUB_STAFF = "hub_staff"  # every member of the hub's staff (not its leads)
    NATIONAL_ADMIN = "national_admin"  # every national admin


ROLES: tuple[str, ...] = tuple(role.value for role in Role)


class Scope(StrEnum):
    """What the delivery loads for a notification's context (see ``notify.context``)."""

    SPECIALIST = "specialist"
    HUB = "hub"
    NATIONAL = "national"


SCOPE_SHAPES: dict[Scope, type[msgspec.Struct]] = {
    Scope.SPECIALIST: SpecialistScope,
    Scope.HUB: HubScope,
    Scope.NATIONAL: NationalScope,
}

#: The values that stay Python objects when a checked context is turned back into dicts.
_KEEP = (datetime, date)


@dataclass(frozen=True, eq=False)
class Notification:
    """One email the system sends (see the module's docstring)."""

    name: str
    description: str
    recipients: tuple[Role, ...]
    extra: type[Extra]
    sample: Callable[[], Extra]
    scope: Scope = Scope.SPECIALIST
    ics: bool = False
    #: Whose copy ``email preview`` shows by default (the first recipient unless said).
    preview_role: Role | None = None

    def __post_init__(self) -> None:
        clash = SCOPE_FIELDS & set(self.extra.__struct_fields__)
        if clash:
            raise TypeError(f"notification {self.name}: extra may not name {sorted(clash)}")
        if self.ics and "event" not in self.extra.__struct_fields__:
            raise TypeError(f"notification {self.name}: an .ics needs an event in its extra")

    def __str__(self) -> str:
        return self.name

    @property
    def first_reader(self) -> Role:
        return self.preview_role or self.recipients[0]

    def payload_extra(self, values: Extra | Mapping[str, Any] | None) -> dict[str, Any]:
        """``values`` checked against ``extra``, as the JSON-ready dict an outbox row holds."""
        checked = self.check_extra(values or {})
        return msgspec.to_builtins(checked)

    def check_extra(self, values: Extra | Mapping[str, Any]) -> Extra:
        if isinstance(values, self.extra):
            return values
        if isinstance(values, msgspec.Struct):
            raise InvalidInput(
                f"email {self.name!r}: extra is a {type(values).__name__},"
                f" expected {self.extra.__name__}"
            )
        try:
            return convert(dict(values), self.extra)
        except Invalid as exc:
            raise InvalidInput(f"email {self.name!r} does not fit its shape: {exc}") from None

    def check_context(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """The context checked against the scope and the extra, as plain values for Jinja.

        Raises ``InvalidInput`` naming the first field that does not fit.
        """
        scope_shape = SCOPE_SHAPES[self.scope]
        scope_names = set(scope_shape.__struct_fields__)
        scope_part = {k: v for k, v in context.items() if k in scope_names}
        extra_part = {k: v for k, v in context.items() if k not in scope_names and k != "recipient"}
        try:
            scope = convert(scope_part, scope_shape)
        except Invalid as exc:
            raise InvalidInput(f"email {self.name!r} does not fit its shape: {exc}") from None
        extra = self.check_extra(extra_part)
        values = msgspec.to_builtins(scope, builtin_types=_KEEP)
        values.update(msgspec.to_builtins(extra, builtin_types=_KEEP))
        if "recipient" in context:
            values["recipient"] = context["recipient"]
        return values


def registry_of(*declared: Notification) -> dict[str, Notification]:
    """The registry of ``declared``, by name; a name declared twice is an error."""
    found: dict[str, Notification] = {}
    for note in declared:
        if note.name in found:
            raise TypeError(f"notification {note.name} is declared twice")
        found[note.name] = note
    return found
