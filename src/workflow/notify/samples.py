"""A sample context for every email template: what ``workflow email preview`` renders.

These also document the shape each template expects. Every context has ``specialist``,
``school``, ``hub``, ``cohort`` and ``hub_lead``; the extras per template are:

- ``launch_invitation``: ``event`` {title, starts_at, ends_at (aware, UTC), location,
  online, headteacher_half_day}; ``launch_reminder`` and ``central_event_reminder``: the
  same ``event`` plus ``days_before``;
- ``funding_released``: ``funding`` {programme_year, instalment, amount_pence, due_date};
- ``withdrawal_confirmed`` and ``deferral_confirmed``: ``reason``;
- ``stuck_specialists``: ``specialists`` [{name, school, reasons: [...]}].
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from workflow.errors import InvalidInput
from workflow.notify.templates import TEMPLATES

SAMPLE_SENDER = "Maths Hubs Mastery Programme <mastery@mathshubs.example>"
SAMPLE_NOW = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)

# Who each template is previewed for: the first person it goes to.
_PREVIEW_RECIPIENT = {
    "funding_released": "headteacher",
    "funding_statement": "headteacher",
    "funding_invariant_violation": "hub_lead",
    "stuck_specialists": "hub_lead",
}


def _common() -> dict[str, Any]:
    return {
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


def _launch() -> dict[str, Any]:
    return {
        "title": "Cohort 9 launch event",
        # 9:30am to 3:30pm, London time (BST).
        "starts_at": datetime(2025, 9, 30, 8, 30, tzinfo=UTC),
        "ends_at": datetime(2025, 9, 30, 14, 30, tzinfo=UTC),
        "location": "The Exchange, 3 Centenary Square, Birmingham B1 2DR",
        "online": False,
        "headteacher_half_day": True,
    }


def _central_event() -> dict[str, Any]:
    return {
        "title": "Central event 2: Representations and structure",
        # 9am to midday, London time (GMT).
        "starts_at": datetime(2025, 11, 18, 9, 0, tzinfo=UTC),
        "ends_at": datetime(2025, 11, 18, 12, 0, tzinfo=UTC),
        "location": "joining link to follow by email",
        "online": True,
        "headteacher_half_day": False,
    }


def _extras(template: str) -> dict[str, Any]:
    if template == "launch_invitation":
        return {"event": _launch()}
    if template == "launch_reminder":
        return {"event": _launch(), "days_before": 14}
    if template == "central_event_reminder":
        return {"event": _central_event(), "days_before": 2}
    if template == "funding_released":
        return {
            "funding": {
                "programme_year": 1,
                "instalment": 1,
                "amount_pence": 150000,
                "due_date": date(2025, 10, 31),
            }
        }
    if template == "funding_statement":
        return {
            "statement": {
                "id": 12,
                "release_date": "2026-01-15",
                "status": "payable",
                "total_pence": 50000,
                "lines": [
                    {"specialist": "Priya Shah", "kind": "claim", "what": "central day",
                     "date": "2025-10-16", "days": 1.0, "amount_pence": 20000},
                    {"specialist": "Priya Shah", "kind": "claim", "what": "development day",
                     "date": "2025-11-20", "days": 1.5, "amount_pence": 30000},
                ],
                "remaining": [
                    {"specialist": "Priya Shah", "programme_year": 1,
                     "remaining_pence": 100000, "lapsed_pence": 0},
                ],
            }
        }  # fmt: skip
    if template == "funding_invariant_violation":
        return {
            "violations": [
                {"check": "year above its entitlement", "row": "specialist 42, Year 1",
                 "detail": "claimed 160000 of 150000 pence"},
            ]
        }  # fmt: skip
    if template == "withdrawal_confirmed":
        return {"reason": "Leaving the school at Christmas for a post abroad."}
    if template == "deferral_confirmed":
        return {"reason": "Maternity leave until September 2026."}
    if template == "stuck_specialists":
        return {
            "specialists": [
                {
                    "name": "Priya Shah",
                    "school": "Oakfield Academy",
                    "reasons": ["launch attendance not recorded"],
                },
                {
                    "name": "Tom Evans",
                    "school": "Riverside School",
                    "reasons": ["central days: 3 of 5.5 recorded", "development days: none"],
                },
            ]
        }
    return {}


def sample_context(template: str) -> dict[str, Any]:
    """A fresh, complete context for ``template`` (a new dict each call)."""
    if template not in TEMPLATES:
        raise InvalidInput(
            f"unknown email template {template!r}; valid templates: {', '.join(TEMPLATES)}"
        )
    return {**_common(), **_extras(template)}


def sample_recipient(template: str, context: dict[str, Any] | None = None) -> str:
    """The address a preview of ``template`` is written to."""
    context = context or sample_context(template)
    role = _PREVIEW_RECIPIENT.get(template, "specialist")
    if role == "headteacher":
        return context["school"]["head_email"]
    if role == "hub_lead":
        return context["hub_lead"]["email"]
    return context["specialist"]["email"]
