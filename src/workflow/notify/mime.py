"""A finished email as it goes on the wire: its envelope and its bytes (RFC 5322 and MIME).

``write_email`` writes the message directly, in the one shape every email of the programme
has::

    multipart/alternative: text/plain, text/html (UTF-8, quoted-printable)
    multipart/mixed:       that alternative, then one attachment (base64), e.g. an .ics

Why not ``email.message.EmailMessage``: building one and flattening it again for sending
was over 40% of a worker's time per email (bench/bench_email_pipeline.py), and the shape
is fixed, so writing it costs a few lines. Python's ``email`` package still does the part
that needs care: any header that is not short printable ASCII (a name such as Siân, a long
address) is folded and encoded by its header registry (RFC 2047 encoded words, or raw
UTF-8 when an address needs SMTPUTF8); a long plain-ASCII Subject is folded here at spaces.
``FinishedEmail.message()`` reads the bytes back with the ``email`` package, for whoever
wants to look inside (the preview command, tests).

The MIME boundaries are fixed (``=_alternative``, ``=_mixed``) rather than drawn at random
and searched for in the body: every part is quoted-printable or base64, in which ``=_``
cannot occur (RFC 2045's own advice), and neither boundary begins the other.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

CRLF = "\r\n"
MAX_LINE = 78  # RFC 5322's recommended line length, as the email package folds
ALTERNATIVE_BOUNDARY, MIXED_BOUNDARY = "=_alternative", "=_mixed"
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to", "sender"})


@dataclass(frozen=True)
class Attachment:
    filename: str  # plain ASCII, e.g. "launch-invitation.ics"
    content_type: str  # with its parameters, e.g. 'text/calendar; method="PUBLISH"'
    data: bytes


@dataclass(frozen=True)
class FinishedEmail:
    """What a sender hands on: the envelope, and the message exactly as it is sent."""

    envelope_from: str  # the sender's address (addr-spec)
    recipients: tuple[str, ...]  # addr-specs
    message_id: str  # with its angle brackets, as in the header
    data: bytes  # the whole message, CRLF line ends

    @property
    def smtputf8(self) -> bool:
        """Whether an address is not ASCII (the server must then offer SMTPUTF8)."""
        return _needs_smtputf8(self.envelope_from, self.recipients)

    def message(self) -> EmailMessage:
        """The message read back by Python's ``email`` package, with ``\\n`` line ends as it
        uses them (for looking inside, not for sending)."""
        data = self.data.replace(b"\r\n", b"\n")
        return message_from_bytes(data, policy=email_policy.default)  # type: ignore[return-value]

    @classmethod
    def from_message(cls, message: EmailMessage) -> FinishedEmail:
        """A finished email from a built ``EmailMessage``, its envelope from its headers."""
        senders = message["From"].addresses
        recipients = tuple(
            address.addr_spec
            for name in ("To", "Cc")
            for header in message.get_all(name, [])
            for address in header.addresses
        )
        return cls(
            envelope_from=senders[0].addr_spec,
            recipients=recipients,
            message_id=str(message["Message-ID"]).strip(),
            data=message.as_bytes(policy=email_policy.SMTP),
        )


def write_email(
    headers: list[tuple[str, str]],
    text: str,
    html: str,
    attachment: Attachment | None = None,
    *,
    envelope_from: str,
    recipients: tuple[str, ...],
    message_id: str,
) -> FinishedEmail:
    """The message: ``headers`` (unfolded, checked values), then the text and HTML parts.

    ``headers`` must not hold MIME-Version or Content-* (written here). Values must be free
    of line breaks already (``render.refuse_unsafe_header``).
    """
    utf8 = _needs_smtputf8(envelope_from, recipients)
    out = [_header(name, value, utf8) for name, value in headers]
    out.append(f"MIME-Version: 1.0{CRLF}")
    alternative = (
        f'Content-Type: multipart/alternative; boundary="{ALTERNATIVE_BOUNDARY}"{CRLF}{CRLF}'
        + _multipart(ALTERNATIVE_BOUNDARY, [_text_part(text, "plain"), _text_part(html, "html")])
    )
    if attachment is None:
        out.append(alternative)
    else:
        out.append(f'Content-Type: multipart/mixed; boundary="{MIXED_BOUNDARY}"{CRLF}{CRLF}')
        out.append(_multipart(MIXED_BOUNDARY, [alternative, _attachment_part(attachment)]))
    return FinishedEmail(
        envelope_from=envelope_from,
        recipients=recipients,
        message_id=message_id,
        data="".join(out).encode("utf-8" if utf8 else "ascii"),
    )


def _needs_smtputf8(envelope_from: str, recipients: tuple[str, ...]) -> bool:
    return not all(address.isascii() for address in (envelope_from, *recipients))


def _multipart(boundary: str, parts: list[str]) -> str:
    # The CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1).
    delimiter = f"{CRLF}--{boundary}{CRLF}"
    return f"--{boundary}{CRLF}" + delimiter.join(parts) + f"{CRLF}--{boundary}--{CRLF}"


def _text_part(text: str, subtype: str) -> str:
    body = b"\r\n".join(text.encode("utf-8").splitlines()) + b"\r\n"
    # The C encoder: lines of at most 76, soft breaks, "=" always escaped, CRLF kept.
    encoded = binascii.b2a_qp(body, istext=True).decode("ascii")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}{encoded}"
    )


def _attachment_part(attachment: Attachment) -> str:
    if not attachment.filename.isascii() or '"' in attachment.filename:
        raise ValueError(f"attachment file name {attachment.filename!r} is not plain ASCII")
    encoded = base64.encodebytes(attachment.data).decode("ascii").replace("\n", CRLF)
    return (
        f"Content-Type: {attachment.content_type}{CRLF}"
        f"Content-Transfer-Encoding: base64{CRLF}"
        f'Content-Disposition: attachment; filename="{attachment.filename}"{CRLF}{CRLF}'
        f"{encoded}"
    )


def _header(name: str, value: str, utf8: bool) -> str:
    """``Name: value`` folded to lines of at most 78 characters, CRLF-terminated."""
    plain = value.isascii() and value.isprintable() and "=?" not in value
    if plain and len(name) + 2 + len(value) <= MAX_LINE:
        return f"{name}: {value}{CRLF}"
    if plain and name.lower() not in _ADDRESS_HEADERS:
        folded = _fold_words(name, value)
        if folded is not None:
            return folded
    return _registry_fold(name, value, utf8)


def _fold_words(name: str, value: str) -> str | None:
    """Plain ASCII text folded before spaces (None when it cannot be: the caller falls back)."""
    if value != value.strip() or "  " in value:
        return None
    lines, line = [], f"{name}:"
    for word in value.split(" "):
        if len(line) + 1 + len(word) > MAX_LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
        if len(line) > MAX_LINE:
            return None  # a word longer than a line: the email package encodes it
    lines.append(line)
    return CRLF.join(lines) + CRLF


def _registry_fold(name: str, value: str, utf8: bool) -> str:
    policy = _policy(utf8)
    return policy.header_factory(name, value).fold(policy=policy)


@functools.cache
def _policy(utf8: bool) -> email_policy.EmailPolicy:
    return email_policy.SMTPUTF8 if utf8 else email_policy.SMTP
