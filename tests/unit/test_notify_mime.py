"""Writing a finished email by hand: what Python's email package reads back is what was meant."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.notify.mime import Attachment, FinishedEmail, write_email

ENVELOPE = {"envelope_from": "hub@hub.example", "recipients": ("jo@school.example",)}


def written(subject: str, **changes) -> FinishedEmail:
    headers = changes.pop("headers", None) or [
        ("From", "Hub <hub@hub.example>"),
        ("To", "jo@school.example"),
        ("Subject", subject),
        ("Message-ID", "<1@hub.example>"),
    ]
    arguments = {**ENVELOPE, "message_id": "<1@hub.example>", **changes}
    return write_email(headers, "Dear Jo,\n", "<p>Dear Jo,</p>\n", **arguments)


def lines_of(email: FinishedEmail) -> list[bytes]:
    return email.data.split(b"\r\n")


# Header text as people type it: letters (any script), digits, punctuation and spaces.
header_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1,
    max_size=300,
).filter(lambda s: s.strip() == s and "  " not in s and s.strip())


@settings(max_examples=300, deadline=None)
@given(header_text)
def test_any_subject_comes_back_as_written_and_every_line_is_short(subject):
    email = written(subject)
    assert email.message()["Subject"] == subject
    head = email.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    # 78 is what folding aims for; a word with no place to fold may only go to RFC 5322's 998.
    assert max(len(line) for line in head.split(b"\r\n")) <= 998


@pytest.mark.parametrize("words", [5, 20, 60])
def test_a_long_plain_subject_is_folded_at_spaces_into_lines_of_at_most_78(words):
    subject = " ".join(f"word{n}" for n in range(words))
    email = written(subject)
    head = email.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert max(len(line) for line in head) <= 78
    assert email.message()["Subject"] == subject


def test_names_beyond_ascii_are_encoded_words_and_read_back_intact():
    email = written(
        "Croeso, Siân",
        headers=[
            ("From", "Hub <hub@hub.example>"),
            ("To", "Siân Ó Briain <sian@ysgol.example>"),
            ("Subject", "Croeso, Siân"),
        ],
    )
    assert email.data.isascii()
    assert b"=?utf-8?" in email.data
    message = email.message()
    assert message["To"] == "Siân Ó Briain <sian@ysgol.example>"
    assert message["Subject"] == "Croeso, Siân"
    assert email.smtputf8 is False


def test_an_address_beyond_ascii_needs_smtputf8_and_is_written_as_utf8():
    email = written(
        "Hello",
        headers=[("From", "hub@hub.example"), ("To", "siân@ysgol.example"), ("Subject", "Hello")],
        recipients=("siân@ysgol.example",),
    )
    assert email.smtputf8 is True
    assert "siân@ysgol.example".encode() in email.data
    assert email.message()["To"] == "siân@ysgol.example"


def test_the_attachment_comes_back_byte_for_byte():
    data = b"BEGIN:VCALENDAR\r\nSUMMARY:Launch\\, Cohort 9\r\nEND:VCALENDAR\r\n" * 20
    email = written(
        "Invitation",
        attachment=Attachment("launch.ics", 'text/calendar; method="PUBLISH"', data),
    )
    message = email.message()
    assert message.get_content_type() == "multipart/mixed"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "launch.ics"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_payload(decode=True) == data
    assert base64.b64encode(data)[:76] in email.data


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=2000))
def test_any_text_comes_back_whole_in_lines_of_at_most_76(text):
    email = write_email(
        [("Subject", "s")], text, text, **ENVELOPE, message_id="<1@hub.example>"
    )  # fmt: skip
    message = email.message()
    # Every line end (\r\n, \r or \n) comes back as \n, and the text ends with one.
    expected = re.sub(r"\r\n|\r|\n", "\n", text)
    expected += "" if expected.endswith("\n") else "\n"
    plain = message.get_body(("plain",)).get_payload(decode=True).decode("utf-8")
    assert plain == expected
    body = email.data.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76


def test_a_file_name_that_is_not_plain_ascii_is_refused():
    with pytest.raises(ValueError, match="not plain ASCII"):
        written("s", attachment=Attachment('a"b.ics', "text/calendar", b"x"))
