"""The SMTP sender against a real SMTP server (aiosmtpd) on 127.0.0.1.

Covers delivery, one connection per thread reused for many messages, reconnecting after
the server hangs up, the sorting of 4xx/5xx replies, and STARTTLS and implicit TLS with
a self-signed certificate made by ``openssl`` (skipped, or failed under CI, without it).
"""

from __future__ import annotations

import socket
import threading

import pytest

from tests.conftest import STRICT
from tests.smtp_server import (
    SmtpTestServer,
    client_tls_context,
    self_signed_certificate,
    server_tls_context,
)
from workflow.errors import PermanentDeliveryError, TransientDeliveryError
from workflow.notify.render import render_email
from workflow.notify.samples import SAMPLE_NOW, SAMPLE_SENDER, sample_context
from workflow.notify.smtp import SmtpSender


def email(to: str = "priya.shah@oakfield.sch.example", template: str = "selected"):
    return render_email(
        template, sample_context(template), to=to, sender=SAMPLE_SENDER, now=SAMPLE_NOW
    )


@pytest.fixture
def server():
    with SmtpTestServer() as running:
        yield running


@pytest.fixture
def sender(server):
    smtp = SmtpSender(server.url(), timeout=10)
    yield smtp
    smtp.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    made = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    if made is None:
        message = "openssl is not installed: cannot make a certificate for the TLS tests"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)
    return made


def test_a_message_is_delivered_with_its_subject_and_recipient(server, sender):
    message = email(template="launch_invitation")
    message_id = sender.send(message)
    [received] = server.messages
    assert received.rcpt_tos == ["priya.shah@oakfield.sch.example"]
    assert received.mail_from == "mastery@mathshubs.example"
    assert received.tls is False
    assert received.message["Subject"] == message.message()["Subject"]
    assert received.message["Message-ID"] == f"<{message_id}>" == message.message_id
    assert received.data.replace(b"\r\n", b"\n") == message.data.replace(b"\r\n", b"\n")
    assert received.message.get_body(("plain",)).get_content().startswith("Dear Priya Shah,")
    [ics] = list(received.message.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert b"DTSTART:20250930T083000Z\r\n" in ics.get_payload(decode=True)


def test_one_thread_reuses_one_connection_for_many_messages(server, sender):
    for n in range(5):
        sender.send(email(to=f"teacher{n}@school.example"))
    assert len(server.messages) == 5
    assert server.connections == 1


def test_each_thread_has_its_own_connection(server, sender):
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(3):
                sender.send(email(to=f"t{n}-{k}@school.example"))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            sender.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(server.messages) == 9
    assert server.connections == 3


def test_the_sender_reconnects_after_the_server_hangs_up(server, sender):
    sender.send(email())
    assert server.drop_connections() == 1
    sender.send(email(to="second@school.example"))
    assert [m.rcpt_tos for m in server.messages] == [
        ["priya.shah@oakfield.sch.example"],
        ["second@school.example"],
    ]
    assert server.connections == 2


def test_a_hang_up_mid_message_is_retried_once_on_a_new_connection(server, sender):
    server.hang_up(stage="data", times=1)
    sender.send(email())
    assert len(server.messages) == 1
    assert server.connections == 2


def test_a_server_that_keeps_hanging_up_is_a_transient_failure_after_one_reconnect(server, sender):
    server.hang_up(stage="mail")
    with pytest.raises(TransientDeliveryError, match="dropped the connection"):
        sender.send(email())
    assert server.connections == 2
    assert server.messages == []


@pytest.mark.parametrize(
    ("code", "stage", "error"),
    [
        (451, "data", TransientDeliveryError),
        (451, "rcpt", TransientDeliveryError),
        (452, "mail", TransientDeliveryError),
        (550, "rcpt", PermanentDeliveryError),
        (554, "data", PermanentDeliveryError),
        (553, "mail", PermanentDeliveryError),
    ],
)
def test_replies_are_sorted_into_transient_and_permanent(server, sender, code, stage, error):
    server.fail(code, stage=stage, times=1)
    with pytest.raises(error, match=str(code)) as caught:
        sender.send(email())
    assert "\n" not in str(caught.value)
    assert server.messages == []
    # The connection is still good for the next message.
    sender.send(email(to="next@school.example"))
    assert len(server.messages) == 1
    assert server.connections == 1


def test_a_451_lasts_until_the_server_recovers(server, sender):
    server.fail(451)
    for _ in range(2):
        with pytest.raises(TransientDeliveryError):
            sender.send(email())
    server.reset()
    sender.send(email())
    assert len(server.messages) == 1


def test_421_closes_the_connection_and_the_next_message_opens_another(server, sender):
    server.fail(421, stage="mail", times=1)
    with pytest.raises(TransientDeliveryError, match="421"):
        sender.send(email())
    sender.send(email())
    assert len(server.messages) == 1
    assert server.connections == 2


def test_a_refused_connection_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.
    sender = SmtpSender(f"smtp://127.0.0.1:{port}", timeout=5)
    with pytest.raises(TransientDeliveryError, match="cannot connect to SMTP server"):
        sender.send(email())


def test_a_server_that_went_away_is_transient(server, sender):
    sender.send(email())
    server.drop_connections()
    server.stop()
    with pytest.raises(TransientDeliveryError, match="cannot connect"):
        sender.send(email())


def test_close_quits_this_threads_connection(server, sender):
    sender.send(email())
    sender.close()
    sender.send(email())
    assert server.connections == 2


def test_starttls_with_login(certificate):
    cert, key = certificate
    with SmtpTestServer(
        starttls_context=server_tls_context(cert, key),
        credentials={"hub@example.org": "p@ss:word"},
    ) as server:
        url = server.url("hub%40example.org", "p%40ss%3Aword")
        assert url.startswith("smtp+starttls://")
        sender = SmtpSender(url, timeout=10, ssl_context=client_tls_context(cert))
        try:
            sender.send(email())
            sender.send(email(to="again@school.example"))
        finally:
            sender.close()
        assert [m.tls for m in server.messages] == [True, True]
        assert [m.login for m in server.messages] == ["hub@example.org"] * 2
        assert server.connections == 1


def test_a_wrong_password_is_permanent(certificate):
    cert, key = certificate
    with SmtpTestServer(
        starttls_context=server_tls_context(cert, key), credentials={"hub": "right"}
    ) as server:
        sender = SmtpSender(
            server.url("hub", "wrong"), timeout=10, ssl_context=client_tls_context(cert)
        )
        with pytest.raises(PermanentDeliveryError, match="535"):
            sender.send(email())
        assert server.messages == []


def test_an_untrusted_certificate_is_not_accepted(certificate):
    cert, key = certificate
    with SmtpTestServer(starttls_context=server_tls_context(cert, key)) as server:
        sender = SmtpSender(server.url(), timeout=10)  # the system's CAs only
        with pytest.raises(TransientDeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            sender.send(email())
        assert server.messages == []


def test_implicit_tls(certificate):
    cert, key = certificate
    with SmtpTestServer(implicit_tls_context=server_tls_context(cert, key)) as server:
        sender = SmtpSender(server.url(), timeout=10, ssl_context=client_tls_context(cert))
        try:
            sender.send(email())
        finally:
            sender.close()
        assert server.url().startswith("smtps://")
        assert [m.tls for m in server.messages] == [True]


def test_names_outside_ascii_arrive_intact(server, sender):
    context = sample_context("selected")
    context["specialist"] = {"name": "Siân Ó Briain", "email": "sian@ysgol.example"}
    message = render_email(
        "selected", context, to="Siân Ó Briain <sian@ysgol.example>", sender=SAMPLE_SENDER
    )
    sender.send(message)
    [received] = server.messages
    assert (
        received.message["Subject"]
        == "Good news: Siân Ó Briain has a place on the Mastery Specialist programme"
    )
    assert received.message["To"] == "Siân Ó Briain <sian@ysgol.example>"
    assert received.message.get_body(("plain",)).get_content().startswith("Dear Siân Ó Briain,")


def test_an_address_beyond_ascii_goes_by_smtputf8_where_the_server_offers_it():
    context = sample_context("selected")
    context["specialist"] = {"name": "Siân", "email": "siân@ysgol.example"}
    message = render_email("selected", context, to="siân@ysgol.example", sender=SAMPLE_SENDER)
    assert message.smtputf8
    with SmtpTestServer() as server:
        sender = SmtpSender(server.url(), timeout=10)
        try:
            sender.send(message)
        finally:
            sender.close()
        [received] = server.messages
        assert received.rcpt_tos == ["siân@ysgol.example"]
        assert received.message["To"] == "siân@ysgol.example"
        assert received.message.get_body(("plain",)).get_content().startswith("Dear Siân,")


def test_an_address_beyond_ascii_is_refused_for_good_by_a_server_without_smtputf8():
    context = sample_context("selected")
    message = render_email("selected", context, to="siân@ysgol.example", sender=SAMPLE_SENDER)
    with SmtpTestServer(smtputf8=False) as server:
        sender = SmtpSender(server.url(), timeout=10)
        try:
            with pytest.raises(PermanentDeliveryError, match="SMTPUTF8"):
                sender.send(message)
        finally:
            sender.close()
        assert server.messages == []
