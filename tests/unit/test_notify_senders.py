"""Choosing a sender from the settings, and reading an SMTP URL (no connection made)."""

from __future__ import annotations

import pytest

from workflow.config import Settings
from workflow.notify.senders import FileSender, make_sender
from workflow.notify.smtp import SmtpSender


def test_without_an_smtp_url_emails_go_to_files(tmp_path):
    sender = make_sender(Settings(mail_dir=tmp_path / "mail"))
    assert isinstance(sender, FileSender)
    assert sender.folder == tmp_path / "mail"


def test_with_an_smtp_url_emails_go_to_the_server(tmp_path):
    sender = make_sender(Settings(smtp_url="smtp://127.0.0.1:2525", mail_dir=tmp_path))
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.port, sender.scheme) == ("127.0.0.1", 2525, "smtp")


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("smtp://mail.example", 25),
        ("smtp+starttls://mail.example", 587),
        ("smtps://mail.example", 465),
    ],
)
def test_each_scheme_has_its_usual_port(url, port):
    assert SmtpSender(url).port == port


def test_credentials_are_url_decoded_and_kept_out_of_the_repr():
    sender = SmtpSender("smtp+starttls://hub%40example.org:p%40ss%3Aword@mail.example:2587")
    assert sender.username == "hub@example.org"
    assert sender._password == "p@ss:word"
    assert sender.port == 2587
    assert "p@ss" not in repr(sender) and "word" not in repr(sender)


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_a_malformed_url_is_refused(url):
    with pytest.raises(ValueError, match="not an SMTP URL"):
        SmtpSender(url)


def test_the_file_sender_writes_one_file_per_message_id_however_often_sent(tmp_path):
    from email.message import EmailMessage

    from workflow.notify.mime import FinishedEmail
    from workflow.notify.senders import FileSender

    sender = FileSender(tmp_path)
    for body in ("first attempt", "attempt after a crash"):
        message = EmailMessage()
        message["From"] = "hub@hub.example"
        message["To"] = "jo@school.example"
        message["Message-ID"] = "<abc123@mathshubs.example>"
        message.set_content(body)
        assert sender.send(FinishedEmail.from_message(message)) == "abc123@mathshubs.example"
    (written,) = tmp_path.glob("*.eml")
    assert "attempt after a crash" in written.read_text()


def test_every_attempt_at_one_email_has_the_same_message_id():
    from workflow.services.emails import message_id_for

    sender = "Maths Hubs <mastery@mathshubs.example>"
    first = message_id_for("7:selected:specialist:v1", sender)
    assert first == message_id_for("7:selected:specialist:v1", sender)
    assert first != message_id_for("7:selected:headteacher:v1", sender)
    assert first.endswith("@mathshubs.example>")
