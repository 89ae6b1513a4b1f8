"""Checks on what staff type that ends up in an email header: names and addresses.

The rules themselves live in ``notify.addresses`` (no line breaks, valid addresses);
here they are applied to input, with the field named in the message.
"""

from __future__ import annotations

from workflow.errors import InvalidInput
from workflow.notify.addresses import check_display_name, check_email


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
