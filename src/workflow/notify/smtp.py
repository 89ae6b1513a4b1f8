"""The SMTP sender: one reused connection per thread, and every failure sorted for retrying.

``WORKFLOW_SMTP_URL`` says where and how:

    smtp://HOST[:PORT]                     plain (port 25)
    smtp+starttls://USER:PASS@HOST[:PORT]  upgraded with STARTTLS (port 587)
    smtps://USER:PASS@HOST[:PORT]          TLS from the first byte (port 465)

A user name and password, when given, are URL-decoded and used to log in. Each thread
(a worker thread sends many emails) keeps its connection open between messages; a
connection the server has dropped is replaced once, transparently.

Failures become ``TransientDeliveryError`` (SMTP 4xx, connection refused, timed out or
dropped twice: retry later) or ``PermanentDeliveryError`` (SMTP 5xx: retrying will not help).
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from urllib.parse import unquote, urlsplit

from workflow.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from workflow.notify.mime import FinishedEmail

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class SmtpSender:
    """Sends through one SMTP server; safe to share between threads."""

    def __init__(
        self,
        url: str,
        *,
        local_hostname: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ):
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(
                "not an SMTP URL: expected smtp://HOST:PORT, smtp+starttls://... or smtps://..."
            )
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        # The name given in EHLO.
        self.local_hostname = local_hostname
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._local = threading.local()

    def __repr__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"SmtpSender({self.scheme}://{user}{self.host}:{self.port})"

    def send(self, email: FinishedEmail) -> str:
        """Hand ``email`` to the server; return its Message-ID (without angle brackets)."""
        # As smtplib's send_message does for an address beyond ASCII (RFC 6531).
        options = ("SMTPUTF8", "BODY=8BITMIME") if email.smtputf8 else ()
        for attempt in (1, 2):
            connection = self._connection()
            try:
                refused = connection.sendmail(
                    email.envelope_from, list(email.recipients), email.data, options
                )
            except smtplib.SMTPServerDisconnected as exc:
                self._discard()
                if attempt == 2:
                    raise TransientDeliveryError(
                        f"SMTP server dropped the connection: {exc}"
                    ) from None
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                raise _refused(exc.recipients) from None
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code == 421:  # the server is closing this connection
                    self._discard()
                raise _from_reply(exc.smtp_code, exc.smtp_error) from None
            except smtplib.SMTPException as exc:
                # Not a reply from the server: e.g. SMTPUTF8 needed but not offered.
                self._discard()
                raise PermanentDeliveryError(f"SMTP: {exc}") from None
            except OSError as exc:  # the socket failed mid-conversation
                self._discard()
                if attempt == 2:
                    raise TransientDeliveryError(
                        f"SMTP connection failed: {_describe(exc)}"
                    ) from None
                continue
            if refused:
                # Some recipients took it and some did not: retrying would send it twice.
                raise _refused(refused, partial=True)
            return email.message_id.strip("<>")
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close this thread's connection (other threads keep theirs)."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            connection.close()

    def _connection(self) -> smtplib.SMTP:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    def _discard(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _connect(self) -> smtplib.SMTP:
        connection: smtplib.SMTP | None = None
        try:
            if self.scheme == "smtps":
                connection = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self._context(),
                )
            else:
                connection = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
            if self.scheme == "smtp+starttls":
                connection.ehlo()
                connection.starttls(context=self._context())
                connection.ehlo()
            if self.username:
                connection.login(self.username, self._password)
            return connection
        except smtplib.SMTPResponseException as exc:
            _close_quietly(connection)
            raise _from_reply(exc.smtp_code, exc.smtp_error, where=self._where()) from None
        except smtplib.SMTPServerDisconnected as exc:
            _close_quietly(connection)
            raise TransientDeliveryError(f"SMTP server {self._where()} hung up: {exc}") from None
        except smtplib.SMTPException as exc:  # e.g. STARTTLS or AUTH not offered
            _close_quietly(connection)
            raise PermanentDeliveryError(f"SMTP server {self._where()}: {exc}") from None
        except OSError as exc:  # refused, timed out, unknown host, TLS handshake failed
            _close_quietly(connection)
            raise TransientDeliveryError(
                f"cannot connect to SMTP server {self._where()}: {_describe(exc)}"
            ) from None

    def _where(self) -> str:
        return f"{self.host}:{self.port}"


def _close_quietly(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        connection.close()


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())


def _describe(exc: OSError) -> str:
    return str(exc) or type(exc).__name__


def _from_reply(code: int, reply: bytes | str, *, where: str = "") -> DeliveryError:
    kind = PermanentDeliveryError if 500 <= code < 600 else TransientDeliveryError
    server = f" from {where}" if where else ""
    return kind(f"SMTP {code}{server}: {_text(reply)}")


def _refused(recipients: dict[str, tuple[int, bytes]], *, partial: bool = False) -> DeliveryError:
    """All 5xx: permanent. Any 4xx (and nobody received it): worth retrying."""
    detail = "; ".join(f"{who}: {code} {_text(reply)}" for who, (code, reply) in recipients.items())
    if partial:
        return PermanentDeliveryError(f"SMTP refused some recipients ({detail})")
    if all(500 <= code < 600 for code, _ in recipients.values()):
        return PermanentDeliveryError(f"SMTP refused the recipient ({detail})")
    return TransientDeliveryError(f"SMTP refused the recipient for now ({detail})")
