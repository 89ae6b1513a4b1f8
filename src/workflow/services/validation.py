"""Checks on what people type, shared by every front end (CLI, web, imports).

Each check returns the cleaned value or raises ``InvalidInput`` with one line naming the
field and the rule. The CLI's parameter types (``cli/params.py``) parse text into values
and call these for the domain's bounds; a new command should use both rather than write
its own:

- ``clean_name`` / ``clean_email``: what ends up in an email header (the rules live in
  ``notify.addresses``: no line breaks, valid addresses);
- ``clean_reason``: a reason for the record, required, at most ``REASON_MAX`` characters,
  no control characters (a terminal escape sequence would be replayed by ``show``);
- ``clean_urn``: six ASCII digits (``\\d`` would take Arabic-Indic digits too);
- ``check_record_id``: an id the database can hold (1 to 2**63 - 1);
- ``check_date_between``: a date within bounds, named in the message;
  ``check_teaching_since`` and ``check_milestone_date`` apply it to those two facts.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from workflow.errors import InvalidInput
from workflow.notify.addresses import check_display_name, check_email

REASON_MAX = 1000
MAX_RECORD_ID = 2**63 - 1  # PostgreSQL's bigint, SQLite's integer
EARLIEST_TEACHING = date(1950, 1, 1)


def clean_name(value: str, what: str = "name") -> str:
    """Trimmed to one line; refused when empty, too long, or holding control characters."""
    try:
        return check_display_name(value)
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc}") from None


def clean_email(value: str) -> str:
    """A normalised, lower-cased address (one teacher, one address, however a spreadsheet
    capitalised it); refused when invalid or holding a line break (header injection)."""
    return check_email(value).lower()


def has_control_characters(text: str) -> bool:
    """Any character of Unicode category Cc (C0, DEL, C1: escapes, line breaks, tabs)."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def clean_reason(value: str | None, what: str = "reason") -> str:
    """A reason for the record: required, trimmed, 1 to ``REASON_MAX`` characters, no
    control characters (line breaks and tabs included: one line, as it is shown)."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required: say why, in words")
    if len(text) > REASON_MAX:
        raise InvalidInput(f"{what} can be at most {REASON_MAX} characters, not {len(text)}")
    if has_control_characters(text):
        raise InvalidInput(f"{what} contains a control character (an escape, tab or line break)")
    return text


def clean_urn(value: str) -> str:
    """A school's Unique Reference Number: exactly six ASCII digits."""
    text = value.strip() if isinstance(value, str) else ""
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        raise InvalidInput(f"URN {value!r} is not six digits (0-9)")
    return text


def check_record_id(value: int, what: str = "ID") -> int:
    if not 1 <= value <= MAX_RECORD_ID:
        raise InvalidInput(f"{what} must be a whole number from 1 to {MAX_RECORD_ID}")
    return value


def check_date_between(day: date, first: date, last: date, what: str) -> date:
    if not first <= day <= last:
        raise InvalidInput(
            f"{what} {day.isoformat()} is out of range: give a date from"
            f" {first.isoformat()} to {last.isoformat()}"
        )
    return day


def check_teaching_since(day: date, today: date) -> date:
    """When a teacher started teaching: after 1950 and not in the future."""
    return check_date_between(day, EARLIEST_TEACHING, today, "teaching since")


def check_milestone_date(day: date, programme_start: date, programme_end: date, today: date):
    """A milestone's date: within the cohort's programme years and not after today."""
    return check_date_between(day, programme_start, min(programme_end, today), "milestone date")
