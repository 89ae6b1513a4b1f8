"""A sample context for every notification: what ``workflow email preview`` renders.

The notification's own values come from its declaration's ``sample``
(``notifications.py``); the people and records around them (specialist, school, hub,
cohort, hub lead) are the same fictional ones for every email, cut to the notification's
scope.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from workflow.notify.context import SCOPE_FIELDS
from workflow.notify.notifications import notification
from workflow.notify.registry import Notification, Role, Scope
from workflow.notify.render import address_for_role

SAMPLE_SENDER = "Maths Hubs Mastery Programme <mastery@mathshubs.example>"
SAMPLE_NOW = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
SAMPLE_NATIONAL_ADMIN = {"name": "Sam Okafor", "email": "sam.okafor@ncetm.example"}


def _common(scope: Scope) -> dict[str, Any]:
    common: dict[str, Any] = {
        "specialist": {"name": "Priya Shah", "email": "priya.shah@oakfield.sch.example"},
        "school": {
            "name": "Oakfield Academy",
            "urn": "137421",
            "head_name": "David Lewis",
            "head_email": "head@oakfield.sch.example",
            "finance_email": "finance@oakfield.sch.example",
        },
        "hub": {"name": "Three Rivers Maths Hub", "code": "TRMH"},
        "cohort": {"number": 9},
        "hub_lead": {"name": "Helen Clarke", "email": "helen.clarke@threerivers.example"},
    }
    if scope is Scope.HUB:
        common.update(specialist=None, school=None)
    elif scope is Scope.NATIONAL:
        common.update(specialist=None, school=None, hub=None, hub_lead=None)
    return common


def sample_context(template: str | Notification) -> dict[str, Any]:
    """A fresh, complete context for ``template`` (a new dict each call)."""
    note = notification(template)
    extra = msgspec.to_builtins(note.sample(), builtin_types=(datetime,))
    extra = {k: v for k, v in extra.items() if k not in SCOPE_FIELDS}
    return {**_common(note.scope), **extra}


def sample_recipient(template: str | Notification, context: dict[str, Any] | None = None) -> str:
    """The address a preview of ``template`` is written to: its first reader's."""
    note = notification(template)
    if note.first_reader is Role.NATIONAL_ADMIN:
        return SAMPLE_NATIONAL_ADMIN["email"]
    return address_for_role(note.first_reader, context or sample_context(note)) or ""
