"""Turning a template name and plain values into a finished email (text, HTML, .ics).

Each template is two Jinja2 files in ``notify/templates/``: ``NAME.txt`` (which also holds
``{% block subject %}``) and ``NAME.html``. The HTML is autoescaped, the text is not, and
a missing value is an error (``StrictUndefined``), never a blank. The environment is built
on first use and kept.

The context holds plain values of the shape the notification declares
(``notifications.py``; ``samples.py`` has one of each), checked before rendering so that
a context of the wrong shape is refused naming the field; ``render_email`` adds
``recipient`` ({name, role}) by matching ``to`` against the people in the context, unless
the caller gives one, so that the greeting and wording fit the reader.

The finished email is written by ``mime.write_email`` (text, HTML and any .ics, as bytes
ready to send). The sender's and hub leads' addresses, the same on many emails, are
checked once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.clock import SystemClock
from workflow.config import DEFAULT_TIMEZONE
from workflow.errors import InvalidInput
from workflow.notify import formatting
from workflow.notify.addresses import check_mailbox
from workflow.notify.ics import CalendarEvent, build_calendar, event_uid
from workflow.notify.mime import Attachment, FinishedEmail, write_email
from workflow.notify.notifications import notification
from workflow.notify.registry import Notification, Role

if TYPE_CHECKING:
    import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"
_UNSAFE_IN_HEADER = ("\r", "\n", "\x00")


@functools.cache
def environment(zone: str = DEFAULT_TIMEZONE) -> jinja2.Environment:
    """The Jinja2 environment showing times in ``zone``, built on first use (never at import)."""
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
    in_zone = {"zone": zone}
    env.filters.update(
        money=formatting.format_pence,
        day=functools.partial(formatting.format_day, **in_zone),
        time=functools.partial(formatting.format_time, **in_zone),
        when=functools.partial(formatting.format_when, **in_zone),
        in_days=formatting.format_in_days,
    )
    env.globals["span"] = functools.partial(formatting.format_span, **in_zone)
    return env


#: The sender and the hub leads (Reply-To) are few, and the same on many emails.
_check_known_mailbox = functools.lru_cache(maxsize=64)(check_mailbox)


def render_email(
    template: str | Notification,
    context: Mapping[str, Any],
    *,
    to: str,
    sender: str,
    now: datetime | None = None,
    message_id: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> FinishedEmail:
    """Build the email ``template`` for ``to``: multipart/alternative text and HTML.

    ``now`` dates the message (the injected clock's time; the system's when omitted).
    ``message_id`` lets a caller make the Message-ID stable across retries; ``timezone``
    is the zone dates and times are shown in (the settings' ``WORKFLOW_TIMEZONE``). Event emails
    carry the event as an .ics attachment. The context is first checked against the
    notification's declared shape. Raises ``InvalidInput`` for an unknown template, a
    context that does not fit its shape (naming the field), a missing or malformed value,
    an invalid address, or a header with a line break.
    """
    import jinja2

    note = notification(template)
    template = note.name
    context = note.check_context(context)
    to_address = check_mailbox(to)
    from_address = _check_known_mailbox(sender)
    try:
        now = formatting.as_datetime(now) if now is not None else SystemClock().now()
    except ValueError as exc:
        raise InvalidInput(f"email {template!r}: {exc}") from None
    values = dict(context)
    values.setdefault("recipient", _recipient(values, to_address.addr_spec))

    env = environment(timezone)
    try:
        text_template = env.get_template(f"{template}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(values)))
        subject = subject.strip()
        values["subject"] = subject
        text = text_template.render(values)
        html = env.get_template(f"{template}.html").render(values)
        calendar = _calendar(values, now) if note.ics else None
    except jinja2.UndefinedError as exc:
        raise InvalidInput(f"email {template!r} cannot be written: {exc.message}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidInput(f"email {template!r} cannot be written: {exc}") from None

    message_id = _message_id(message_id, from_address.domain)
    headers = [
        ("From", str(from_address)),
        ("To", str(to_address)),
        ("Subject", subject),
        ("Date", format_datetime(now.astimezone(UTC))),
        ("Message-ID", message_id),
    ]
    reply_to = _reply_to(values)
    if reply_to is not None:
        headers.append(("Reply-To", reply_to))
    for name, value in headers:
        refuse_unsafe_header(name, value)
    attachment = None
    if calendar is not None:
        attachment = Attachment(
            filename=f"{template.replace('_', '-')}.ics",
            content_type='text/calendar; method="PUBLISH"; charset="utf-8"',
            data=calendar.encode("utf-8"),
        )
    return write_email(
        headers,
        text,
        html,
        attachment,
        envelope_from=from_address.addr_spec,
        recipients=(to_address.addr_spec,),
        message_id=message_id,
    )


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


#: The roles whose address is in an email's context (staff other than the hub lead are
#: looked up apart).
RECIPIENT_ROLES: tuple[Role, ...] = tuple(
    r for r in Role if r not in (Role.NATIONAL_ADMIN, Role.HUB_STAFF)
)


def address_for_role(role: str, context: Mapping[str, Any]) -> str | None:
    """The address of ``role`` (as in an outbox ``to``) in a context; None when it has none."""
    school = context.get("school") or {}
    found = {
        Role.SPECIALIST: (context.get("specialist") or {}).get("email"),
        Role.HEADTEACHER: school.get("head_email"),
        Role.FINANCE: school.get("finance_email"),
        Role.HUB_LEAD: (context.get("hub_lead") or {}).get("email"),
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
        (specialist.get("email"), specialist.get("name"), Role.SPECIALIST),
        (school.get("head_email"), school.get("head_name"), Role.HEADTEACHER),
        (hub_lead.get("email"), hub_lead.get("name"), Role.HUB_LEAD),
        (school.get("finance_email"), None, Role.FINANCE),
    ]
    for email, name, role in candidates:
        if email and str(email).casefold() == wanted:
            return {"name": name, "role": role.value}
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
