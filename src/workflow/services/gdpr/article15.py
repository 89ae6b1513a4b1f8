"""The fixed information a subject access reply must give (UK GDPR Article 15(1) and (2)).

Purposes, lawful basis, recipients, retention, rights and source: the same for every
person of a kind; the retention periods are the installation's own settings.
"""

from __future__ import annotations

from typing import Any

CONTROLLER = "The NCETM (national programme team of the Maths Hubs Programme)"


def article15(
    kind: str, *, not_selected_months: int, email_content_days: int, left_years: int
) -> dict[str, Any]:
    """The Article 15 information for a ``specialist`` or a school ``contact``."""
    purposes = (
        [
            "to run the Secondary Mastery Specialist programme: nomination, selection, the "
            "programme years, attendance and accreditation",
            "to pay the school for the specialist's release time, and to account for it",
            "to send the emails the programme needs to the specialist and their school",
        ]
        if kind == "specialist"
        else [
            "to tell the school about its specialist's nomination, progress and funding",
            "to send funding notices to the school's finance contact",
        ]
    )
    return {
        "controller": CONTROLLER,
        "purposes": purposes,
        "lawful_basis": "public task (UK GDPR Article 6(1)(e)): a programme funded by the "
        "Department for Education; financial records: legal obligation (Article 6(1)(c))",
        "categories": [
            "name",
            "email address",
            "school",
            "teaching history (qualified teacher status, teaching since)",
            "programme history and attendance",
            "emails sent",
            "funding paid to the school",
        ]
        if kind == "specialist"
        else ["name", "email address", "role at the school", "emails sent"],
        "recipients": [
            "the Maths Hub running the specialist's cohort (its lead and administrators)",
            "the national programme team",
            "the specialist's school (headteacher and finance contact)",
            "the Department for Education, for funding and audit",
            "the email delivery service that carries the programme's emails",
        ],
        "retention": [
            f"nominations not selected: erased {not_selected_months} months after the "
            "cohort's Year 1 starts",
            f"what was written into emails (reasons in queued messages): {email_content_days} "
            "days after sending",
            f"specialists who left: personal details erased {left_years} years after the end "
            "of the last financial year in which their school was paid (financial records "
            "are kept that long by law; amounts, dates and the school are kept, without "
            "the name)",
        ],
        "rights": [
            "to have inaccurate data corrected (Article 16)",
            "to have data erased (Article 17), except records kept for a legal obligation "
            "such as payments (Article 17(3)(b))",
            "to restrict or object to processing (Articles 18 and 21)",
            "to complain to the Information Commissioner's Office (ico.org.uk, 0303 123 1113)",
        ],
        "source": "the nomination made by the school; records kept by the Maths Hub and the "
        "national team; the system's own records of emails and payments"
        if kind == "specialist"
        else "the school's details given to the Maths Hub; the system's own email records",
        "automated_decisions": "none: eligibility is checked automatically, but every "
        "selection and decision is made by hub staff",
    }
