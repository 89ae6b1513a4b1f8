"""Checking email addresses and display names before they go anywhere near a header.

Every address a user types (a specialist's email, a headteacher's, a finance contact's)
passes ``check_email``; every name shown in a From/To header passes
``check_display_name``. Both refuse line breaks outright, which is what stops header
injection ("jane@school.example\\r\\nBcc: everyone@..."), and raise ``InvalidInput``
with one line saying what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from email.headerregistry import Address

from workflow.errors import InvalidInput

MAX_DISPLAY_NAME = 200
_LINE_BREAKS = ("\r", "\n", "\u2028", "\u2029", "\x85")
_NAME_AND_ADDRESS = re.compile(r"^(?P<name>[^<>]*)<(?P<address>[^<>]*)>$")


def _has_line_break(value: str) -> bool:
    return any(mark in value for mark in _LINE_BREAKS)


def check_email(value: str) -> str:
    """The address, trimmed and normalised (domain lower-cased); ``InvalidInput`` if invalid."""
    local_part, domain = _checked_parts(value)
    return f"{local_part}@{domain}"


def _checked_parts(value: str) -> tuple[str, str]:
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(value, str):
        raise InvalidInput(f"an email address must be text, not {type(value).__name__}")
    if _has_line_break(value):
        raise InvalidInput(f"invalid email address {value!r}: it contains a line break")
    text = value.strip()
    if not text:
        raise InvalidInput("an email address is required")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        reason = " ".join(str(exc).split())
        raise InvalidInput(f"invalid email address {text!r}: {reason}") from None
    return checked.local_part, checked.domain


def check_display_name(value: str) -> str:
    """A person's or organisation's name fit for a header: trimmed, one line, not too long."""
    if not isinstance(value, str):
        raise InvalidInput(f"a name must be text, not {type(value).__name__}")
    if _has_line_break(value):
        raise InvalidInput(f"invalid name {value!r}: it contains a line break")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise InvalidInput(f"invalid name {value!r}: it contains a control character")
    text = " ".join(value.split())
    if not text:
        raise InvalidInput("a name is required")
    if len(text) > MAX_DISPLAY_NAME:
        raise InvalidInput(f"a name can be at most {MAX_DISPLAY_NAME} characters, not {len(text)}")
    return text


def check_mailbox(value: str) -> Address:
    """``jane@school.example`` or ``Jane Smith <jane@school.example>``, checked, as an Address."""
    if not isinstance(value, str):
        raise InvalidInput(f"an email address must be text, not {type(value).__name__}")
    if _has_line_break(value):
        raise InvalidInput(f"invalid email address {value!r}: it contains a line break")
    match = _NAME_AND_ADDRESS.match(value.strip())
    if match is None:
        name, address = "", value
    else:
        name, address = match.group("name").strip().strip('"').strip(), match.group("address")
    # Made from the checked parts: Address(addr_spec=...) would parse the address again.
    local_part, domain = _checked_parts(address)
    display_name = check_display_name(name) if name else ""
    return Address(display_name=display_name, username=local_part, domain=domain)
