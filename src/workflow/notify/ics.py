"""A small iCalendar (RFC 5545) writer: one VEVENT in a VCALENDAR, for event emails.

Only what an invitation needs: UID, DTSTAMP, DTSTART and DTEND in UTC ("Z" form),
SUMMARY, LOCATION, DESCRIPTION, SEQUENCE. Text values are escaped (backslash, comma,
semicolon, newline) and every content line is folded at 75 octets, never inside a
UTF-8 character, with CRLF line endings.

``METHOD:PUBLISH`` is used: the calendar is information to add, not a meeting request
that expects replies (which would need ORGANIZER and ATTENDEE properties).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

PRODUCT_ID = "-//Maths Hubs//Mastery Specialist workflow//EN"
UID_DOMAIN = "mastery.mathshubs.example"
_LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str = ""
    description: str = ""
    sequence: int = 0


def event_uid(*parts: object) -> str:
    """A UID that stays the same for the same event, from what identifies it."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode("utf-8"))
    return f"{digest.hexdigest()[:32]}@{UID_DOMAIN}"


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11); other control characters become spaces."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char in ",;":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def fold(line: str) -> str:
    """Fold one content line into pieces of at most 75 octets joined by CRLF and a space."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    limit = _LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
            limit = _LINE_OCTETS - 1  # the leading space of a continuation line counts
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def utc_stamp(value: datetime) -> str:
    """``20250930T083000Z``; naive datetimes are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"datetime {value.isoformat()} has no time zone")
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def build_calendar(event: CalendarEvent, *, stamp: datetime, method: str = "PUBLISH") -> str:
    """The whole .ics text for one event, CRLF line endings, folded and escaped."""
    if method not in ("PUBLISH", "REQUEST"):
        raise ValueError(f"unsupported calendar method {method!r}")
    starts, ends = utc_stamp(event.starts_at), utc_stamp(event.ends_at)
    if event.ends_at <= event.starts_at:
        raise ValueError("an event must end after it starts")
    if any(c in event.uid for c in "\r\n"):
        raise ValueError("a calendar UID cannot contain a line break")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{starts}",
        f"DTEND:{ends}",
        f"SEQUENCE:{event.sequence}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
