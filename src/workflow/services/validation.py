"""Checks on text that reaches an email header or a report: names and addresses."""

from __future__ import annotations

from workflow.errors import InvalidInput

MAX_NAME = 200


def clean_name(value: str, what: str = "name") -> str:
    """Trimmed; refused when empty, too long, or holding control characters (CR/LF)."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{what} is empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput(f"{what} contains a line break or control character")
    if len(value) > MAX_NAME:
        raise InvalidInput(f"{what} is longer than {MAX_NAME} characters")
    return value


def clean_email(value: str) -> str:
    """A normalised address; refused when invalid or holding CR/LF (header injection)."""
    from email_validator import EmailNotValidError, validate_email

    value = value or ""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput(f"email {value.strip()!r} contains a line break or control character")
    try:
        # Lower-cased whole: one teacher, one address, however a spreadsheet capitalised it.
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"{value.strip()!r} is not a valid email address: {exc}") from None
