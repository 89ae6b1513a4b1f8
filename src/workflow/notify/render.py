"""Turning a template name and plain values into a finished email (text, HTML, .ics).

Each template is two Jinja2 files in ``notify/templates/``: ``NAME.txt`` (which also holds
``{% block subject %}``) and ``NAME.html``. The HTML is autoescaped, the text is not, and
a missing value is an error (``StrictUndefined``), never a blank. The environment is built
on first use and kept.

The context holds plain values (see ``samples.py`` for one of each); ``render_email`` adds
``recipient`` ({name, role}) by matching ``to`` against the people in the context, unless
the caller gives one, so that the greeting and wording fit the reader.

Building the message, not the templates, is what costs (Python's ``email`` package parses
every header it is given, and folds it again at every sending): so the messages carry a
policy whose header factory keeps the headers it parsed last, folded (the From, Reply-To
and content headers are the same on every email), the sender's and hub leads' addresses
are checked once, and the text parts are built directly. The MIME boundaries are fixed
(``=_alternative``, ``=_mixed``) instead of being drawn, and searched for in the body, at
every sending: every part is quoted-printable or base64, in which ``=_`` cannot occur
(RFC 2045's own advice), and neither boundary begins the other.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from email import policy as email_policy
from email import quoprimime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.clock import SystemClock
from workflow.errors import InvalidInput
from workflow.notify import formatting
from workflow.notify.addresses import check_mailbox
from workflow.notify.ics import CalendarEvent, build_calendar, event_uid
from workflow.notify.templates import EVENT_TEMPLATES, TEMPLATES

if TYPE_CHECKING:
    import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"
_UNSAFE_IN_HEADER = ("\r", "\n", "\x00")
ALTERNATIVE_BOUNDARY, MIXED_BOUNDARY = "=_alternative", "=_mixed"


@functools.cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment, built on first use (never at import)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the templates are part of the package: no stat at every use
    )
    env.filters.update(
        money=formatting.format_pence,
        day=formatting.format_day,
        time=formatting.format_time,
        when=formatting.format_when,
        in_days=formatting.format_in_days,
    )
    env.globals["span"] = formatting.format_span
    return env


class _FoldedOnce(BaseHeader):
    """A header that keeps its folded form (it depends on nothing else than these three)."""

    def fold(self, *, policy):
        key = (policy.max_line_length, policy.linesep, policy.utf8)
        folded = self.__dict__.setdefault("_folded", {})
        if key not in folded:
            folded[key] = super().fold(policy=policy)
        return folded[key]


class _RememberingHeaders(HeaderRegistry):
    """Parses each (name, value) once: parsed headers are immutable, so they can be shared.

    Bounded, so that the values that differ on every email (To, Subject, Message-ID) only
    pass through. The class of each header name is made once too (the standard registry
    makes a new class at every call).
    """

    def __init__(self):
        super().__init__(base_class=_FoldedOnce)
        self._parse = functools.lru_cache(maxsize=256)(super().__call__)
        self._classes = functools.cache(super().__getitem__)

    def __getitem__(self, name):
        return self._classes(name.lower())

    def __call__(self, name, value):
        return self._parse(name, value)


@functools.cache
def message_policy() -> email_policy.EmailPolicy:
    """``email.policy.default`` with the remembering header factory (built on first use)."""
    return email_policy.default.clone(header_factory=_RememberingHeaders())


#: The sender and the hub leads (Reply-To) are few, and the same on many emails.
_check_known_mailbox = functools.lru_cache(maxsize=64)(check_mailbox)


def render_email(
    template: str,
    context: Mapping[str, Any],
    *,
    to: str,
    sender: str,
    now: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """Build the email ``template`` for ``to``: multipart/alternative text and HTML.

    ``now`` dates the message (the injected clock's time; the system's when omitted).
    ``message_id`` lets a caller make the Message-ID stable across retries. Event emails
    carry the event as an .ics attachment. Raises ``InvalidInput`` for an unknown template,
    a missing or malformed value, an invalid address, or a header with a line break.
    """
    import jinja2

    if template not in TEMPLATES:
        raise InvalidInput(
            f"unknown email template {template!r}; valid templates: {', '.join(TEMPLATES)}"
        )
    to_address = check_mailbox(to)
    from_address = _check_known_mailbox(sender)
    try:
        now = formatting.as_datetime(now) if now is not None else SystemClock().now()
    except ValueError as exc:
        raise InvalidInput(f"email {template!r}: {exc}") from None
    values = dict(context)
    values.setdefault("recipient", _recipient(values, to_address.addr_spec))

    env = environment()
    try:
        text_template = env.get_template(f"{template}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(values)))
        subject = subject.strip()
        values["subject"] = subject
        text = text_template.render(values)
        html = env.get_template(f"{template}.html").render(values)
        calendar = _calendar(values, now) if template in EVENT_TEMPLATES else None
    except jinja2.UndefinedError as exc:
        raise InvalidInput(f"email {template!r} cannot be written: {exc.message}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidInput(f"email {template!r} cannot be written: {exc}") from None

    message = EmailMessage(policy=message_policy())
    message_id = _message_id(message_id, from_address.domain)
    headers = {
        "From": str(from_address),
        "To": str(to_address),
        "Subject": subject,
        "Date": format_datetime(now.astimezone(UTC)),
        "Message-ID": message_id,
    }
    reply_to = _reply_to(values)
    if reply_to is not None:
        headers["Reply-To"] = reply_to
    for name, value in headers.items():
        refuse_unsafe_header(name, value)
        message[name] = value
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f'multipart/alternative; boundary="{ALTERNATIVE_BOUNDARY}"'
    message.attach(_text_part(text, "plain"))
    message.attach(_text_part(html, "html"))
    if calendar is not None:
        message.make_mixed(boundary=MIXED_BOUNDARY)
        message.add_attachment(
            calendar.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename=f"{template.replace('_', '-')}.ics",
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    return message


def refuse_unsafe_header(name: str, value: str) -> None:
    """The second line of defence against header injection: no CR, LF or NUL in a header."""
    if not value:
        raise InvalidInput(f"email header {name} is empty")
    if any(mark in value for mark in _UNSAFE_IN_HEADER):
        raise InvalidInput(f"email header {name} contains a line break: {value!r}")


def _message_id(given: str | None, domain: str) -> str:
    if given is None:
        return make_msgid(domain=domain)
    given = given.strip()
    if not given.startswith("<"):
        given = f"<{given}>"
    return given


def _text_part(text: str, subtype: str) -> EmailMessage:
    """A UTF-8 text part, quoted-printable: what ``set_content(text, cte=...)`` makes, built
    directly (its parameter handling parses the Content-Type header again and again)."""
    part = EmailMessage(policy=message_policy())
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    part.set_payload(quoprimime.body_encode(body.decode("latin-1"), part.policy.max_line_length))
    return part


RECIPIENT_ROLES = ("specialist", "headteacher", "finance", "hub_lead")


def address_for_role(role: str, context: Mapping[str, Any]) -> str | None:
    """The address of ``role`` (as in an outbox ``to``) in a context; None when it has none."""
    school = context.get("school") or {}
    found = {
        "specialist": (context.get("specialist") or {}).get("email"),
        "headteacher": school.get("head_email"),
        "finance": school.get("finance_email"),
        "hub_lead": (context.get("hub_lead") or {}).get("email"),
    }
    if role not in found:
        raise InvalidInput(f"unknown recipient {role!r}; expected one of {', '.join(found)}")
    return found[role] or None


def _recipient(context: Mapping[str, Any], address: str) -> dict[str, Any]:
    """Who ``address`` is among the people in the context, for the greeting and wording."""
    wanted = address.casefold()
    specialist = context.get("specialist") or {}
    school = context.get("school") or {}
    hub_lead = context.get("hub_lead") or {}
    candidates = [
        (specialist.get("email"), specialist.get("name"), "specialist"),
        (school.get("head_email"), school.get("head_name"), "headteacher"),
        (hub_lead.get("email"), hub_lead.get("name"), "hub_lead"),
        (school.get("finance_email"), None, "finance"),
    ]
    for email, name, role in candidates:
        if email and str(email).casefold() == wanted:
            return {"name": name, "role": role}
    return {"name": None, "role": "other"}


def _reply_to(values: Mapping[str, Any]) -> str | None:
    """Replies go to the hub lead when there is one (and they are not the reader)."""
    hub_lead = values.get("hub_lead")
    if not hub_lead or not hub_lead.get("email") or values["recipient"]["role"] == "hub_lead":
        return None
    name = hub_lead.get("name") or ""
    mailbox = f"{name} <{hub_lead['email']}>" if name else hub_lead["email"]
    return str(_check_known_mailbox(mailbox))


def _calendar(values: Mapping[str, Any], now: datetime) -> str:
    event = values["event"]
    starts_at = formatting.as_datetime(event["starts_at"])
    ends_at = formatting.as_datetime(event["ends_at"])
    cohort = values["cohort"]["number"]
    uid = event.get("uid") or event_uid(
        "cohort", cohort, event["title"], starts_at.astimezone(UTC).isoformat()
    )
    where = "Online" if event.get("online") else ""
    location = event.get("location") or ""
    if where and location:
        location = f"{where}: {location}"
    description = (
        f"Secondary Mastery Specialist programme, Cohort {cohort}, with {values['hub']['name']}."
    )
    if event.get("headteacher_half_day"):
        description += " The headteacher, or a senior leader, attends for half a day."
    return build_calendar(
        CalendarEvent(
            uid=str(uid),
            starts_at=starts_at,
            ends_at=ends_at,
            summary=event["title"],
            location=location or where,
            description=description,
        ),
        stamp=now,
    )
