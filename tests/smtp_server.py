"""A real SMTP server for tests (aiosmtpd), on 127.0.0.1 and a free port, in a thread.

    with SmtpTestServer() as server:
        sender = SmtpSender(server.url)
        ...
        assert server.messages[0].message["Subject"] == "..."

It keeps every message it accepts, counts the connections it has seen, can be told to
answer an SMTP error (``server.fail(451)``, ``server.fail(550, stage="rcpt", times=1)``)
or to hang up mid-conversation (``server.hang_up(stage="mail")``) until ``reset()``, can
close every open connection at once (``drop_connections()``), and can offer STARTTLS or
implicit TLS with a certificate from ``self_signed_certificate``.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

STAGES = ("mail", "rcpt", "data")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class _Failure:
    code: int | None  # None: hang up without a reply
    text: str
    stage: str
    remaining: int | None  # None: until reset()


class _Session(SMTP):
    """aiosmtpd's SMTP, reporting each client connection's start and end to the server."""

    def __init__(self, owner: SmtpTestServer, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        new = self.transport is None
        super().connection_made(transport)
        if new:
            self._owner._opened(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._owner._closed(self)
        super().connection_lost(error)


class _Handler:
    def __init__(self, owner: SmtpTestServer):
        self._owner = owner

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        refusal = self._owner._answer("mail", server)
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self._owner._answer("rcpt", server)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        refusal = self._owner._answer("data", server)
        if refusal:
            return refusal
        data = envelope.original_content or envelope.content
        self._owner._keep(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=data,
                message=message_from_bytes(data, policy=policy.default),  # type: ignore[arg-type]
                tls=server.transport.get_extra_info("ssl_object") is not None,
                login=session.auth_data if isinstance(session.auth_data, str) else None,
            )
        )
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's Controller, binding to port 0 and learning the port the OS chose."""

    def __init__(self, owner: SmtpTestServer, **kwargs: Any):
        super().__init__(_Handler(owner), hostname="127.0.0.1", port=0, **kwargs)
        self._owner = owner

    def factory(self) -> SMTP:
        return _Session(self._owner, self.handler, **self.SMTP_kwargs)

    def _create_server(self):
        async def bind():
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


class SmtpTestServer:
    """Start with ``start()`` or ``with``; ``url`` is the address to give a sender."""

    def __init__(
        self,
        *,
        starttls_context: ssl.SSLContext | None = None,
        implicit_tls_context: ssl.SSLContext | None = None,
        credentials: dict[str, str] | None = None,
        smtputf8: bool = True,
    ):
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._live: set[_Session] = set()
        self._connections = 0
        self._failure: _Failure | None = None
        self._credentials = credentials
        kwargs: dict[str, Any] = {"server_hostname": "smtp.test", "ready_timeout": 10.0}
        if starttls_context is not None:
            kwargs["tls_context"] = starttls_context
        if implicit_tls_context is not None:
            kwargs["ssl_context"] = implicit_tls_context
        if credentials is not None:
            kwargs["authenticator"] = self._authenticate
        kwargs["enable_SMTPUTF8"] = smtputf8  # offered unless a test says otherwise
        self._scheme = (
            "smtps" if implicit_tls_context else "smtp+starttls" if starttls_context else "smtp"
        )
        self._controller = _Controller(self, **kwargs)

    # Lifecycle

    def start(self) -> SmtpTestServer:
        self._controller.start()
        # start() opens one connection of its own to check the server answers: not counted.
        with self._lock:
            self._connections = 0
        return self

    def stop(self) -> None:
        """Stop for good (a stopped server cannot be started again)."""
        if self._controller._thread is not None:
            self._controller.stop()

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self._controller.port

    def url(self, user: str = "", password: str = "") -> str:
        """``smtp://127.0.0.1:PORT`` (or starttls/smtps), with credentials when given."""
        auth = f"{user}:{password}@" if user else ""
        return f"{self._scheme}://{auth}{self.host}:{self.port}"

    # What the server saw

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    @property
    def connections(self) -> int:
        """How many client connections were opened since start (or reset)."""
        with self._lock:
            return self._connections

    # Steering

    def fail(self, code: int, *, stage: str = "data", times: int | None = None, text: str = ""):
        """Answer ``code`` at ``stage`` (mail, rcpt or data) ``times`` times, or until reset."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        text = text or ("Try again later" if code < 500 else "Mailbox unavailable")
        with self._lock:
            self._failure = _Failure(code, text, stage, times)

    def hang_up(self, *, stage: str = "mail", times: int | None = None) -> None:
        """Close the connection without a reply at ``stage``, ``times`` times or until reset."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        with self._lock:
            self._failure = _Failure(None, "", stage, times)

    def reset(self) -> None:
        """Forget the messages and connections seen, and stop failing."""
        with self._lock:
            self._messages.clear()
            self._connections = 0
            self._failure = None

    def drop_connections(self) -> int:
        """Hang up on every connected client now; returns how many were closed."""

        async def hang_up() -> int:
            with self._lock:
                sessions = list(self._live)
            for session in sessions:
                if session.transport is not None:
                    session.transport.close()
            # Let the loop run until every closed connection has been torn down.
            for _ in range(100):
                with self._lock:
                    if not self._live.intersection(sessions):
                        break
                await asyncio.sleep(0.01)
            return len(sessions)

        future = asyncio.run_coroutine_threadsafe(hang_up(), self._controller.loop)
        return future.result(timeout=10)

    # Called from the server's thread

    def _opened(self, session: _Session) -> None:
        with self._lock:
            self._connections += 1
            self._live.add(session)

    def _closed(self, session: _Session) -> None:
        with self._lock:
            self._live.discard(session)

    def _keep(self, received: Received) -> None:
        with self._lock:
            self._messages.append(received)

    def _answer(self, stage: str, session: SMTP) -> str | None:
        with self._lock:
            failure = self._failure
            if failure is None or failure.stage != stage:
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failure = None
        if failure.code is None:
            session.transport.close()
            return "421 Closing"  # never reaches the client: the connection is gone
        return f"{failure.code} {failure.text}"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else None
        password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else None
        ok = login is not None and self._credentials.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


def self_signed_certificate(directory: Path) -> tuple[Path, Path] | None:
    """A certificate and key for 127.0.0.1 made with ``openssl req``; None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def client_tls_context(cert: Path) -> ssl.SSLContext:
    """A client context that trusts exactly this self-signed certificate."""
    return ssl.create_default_context(cafile=str(cert))
