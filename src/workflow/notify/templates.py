"""The email templates the system sends, by name, with who receives each.

``TEMPLATES`` is the registry: each name has ``templates/NAME.txt`` (with the subject)
and ``templates/NAME.html``. ``EVENT_TEMPLATES`` carry the event as an .ics attachment
and need ``event`` in their context (see ``samples.py`` for every context's shape).
"""

from __future__ import annotations

TEMPLATES: dict[str, str] = {
    "nomination_received": "to the specialist and headteacher: the nomination was received",
    "selected": "to the specialist and headteacher: selected for the cohort",
    "not_selected": "to the specialist and headteacher: not selected this time",
    "launch_invitation": "to the specialist and headteacher: launch event, head's half-day (.ics)",
    "launch_reminder": "to the specialist and headteacher: launch event in 14 or 2 days (.ics)",
    "central_event_reminder": "to the specialist: a central event is coming (.ics)",
    "year2_started": "to the specialist and headteacher: Year 2 and PD Lead accreditation",
    "accreditation_reminder": "to the specialist: PD Lead accreditation still to record",
    "work_group_lead_started": "to the specialist and headteacher: Work Group Lead from Year 3",
    "funding_released": "to the headteacher and finance contact: an instalment was released",
    "withdrawal_confirmed": "to the specialist and headteacher: withdrawal confirmed",
    "deferral_confirmed": "to the specialist and headteacher: deferral confirmed",
    "stuck_specialists": "to the hub lead: specialists who could not advance at term start",
    "funding_statement": "to the finance contact (else the head): a school's funding statement",
    "funding_invariant_violation": "to the national admins: the funding ledger does not add up",
}

EVENT_TEMPLATES: frozenset[str] = frozenset(
    {"launch_invitation", "launch_reminder", "central_event_reminder"}
)
