"""Rendering every template with its sample: structure, wording, money, times, .ics, safety."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from html.parser import HTMLParser

import pytest

from workflow.errors import InvalidInput
from workflow.notify.render import RECIPIENT_ROLES, address_for_role, environment, render_email
from workflow.notify.samples import SAMPLE_NOW, SAMPLE_SENDER, sample_context, sample_recipient
from workflow.notify.templates import EVENT_TEMPLATES, TEMPLATES

AMERICAN = re.compile(
    r"\b(program|programs|organiz\w*|color|center|behavior|favor\w*|honor\w*|enroll|"
    r"fulfill|analyz\w*|catalog|license)\b",
    re.IGNORECASE,
)


class _VisibleText(HTMLParser):
    """The words a reader sees in the HTML part (no tags, attributes or styles)."""

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []

    def handle_data(self, data):
        self.chunks.append(data)


def visible(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.chunks).split())


def finished(template: str, to: str | None = None, **changes):
    context = sample_context(template)
    for key, value in changes.items():
        context[key] = value
    return render_email(
        template,
        context,
        to=to or sample_recipient(template, context),
        sender=SAMPLE_SENDER,
        now=SAMPLE_NOW,
    )


def render(template: str, to: str | None = None, **changes):
    """The finished email as Python's email package reads it."""
    return finished(template, to, **changes).message()


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def calendar_of(message) -> str | None:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True).decode("utf-8")
    return None


def calendar_fields(ics: str) -> dict[str, str]:
    lines = ics.replace("\r\n ", "").split("\r\n")
    return dict(line.split(":", 1) for line in lines if line)


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_template_renders_its_sample_as_text_and_html(template):
    message = render(template)
    assert message["Subject"].strip()
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert message[header], header
    assert message["To"] == sample_recipient(template)
    alternative = message if message.get_content_type() == "multipart/alternative" else None
    if alternative is None:  # event emails: mixed, the alternative first, then the .ics
        assert message.get_content_type() == "multipart/mixed"
        alternative = message.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    text, html = parts(message)
    assert text.startswith("Dear ")
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in html
    for body_text in (text, visible(html)):
        assert "{{" not in body_text and "{%" not in body_text
        assert "None" not in body_text


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_template_is_written_in_british_english(template):
    context = sample_context(template)
    readers = [sample_recipient(template, context)]
    if context["school"]:  # emails about a hub or the programme have no school
        readers.append(context["school"]["head_email"])
    for to in readers:
        message = render(template, to=to)
        text, html = parts(message)
        for words in (message["Subject"], text, visible(html)):
            assert not AMERICAN.search(words), AMERICAN.search(words)
    if template != "stuck_specialists":
        assert "programme" in text


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_the_bytes_on_the_wire_are_plain_ascii_crlf_lines_of_at_most_78(template):
    email = finished(template)
    assert email.data.isascii()
    assert b"\n" not in email.data.replace(b"\r\n", b"")
    assert b"\r" not in email.data.replace(b"\r\n", b"")
    lines = email.data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78
    assert email.data.endswith(b"--\r\n")
    assert email.envelope_from == "mastery@mathshubs.example"
    assert email.recipients == (sample_recipient(template),)
    assert email.message()["Message-ID"] == email.message_id


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_the_message_survives_a_round_trip_through_the_email_package(template):
    message = render(template)
    again = message_from_bytes(message.as_bytes(), policy=policy.default)
    # Python folds a subject that only just does not fit right after "Subject:", and the
    # parser keeps the fold's space; mail clients drop it, so compare without it.
    assert again["Subject"].strip() == message["Subject"]
    # Every part comes back whole: the fixed MIME boundaries never occur inside one.
    assert parts(again) == parts(message)
    assert calendar_of(again) == calendar_of(message)


def test_a_body_holding_the_mime_boundaries_still_comes_back_whole():
    from workflow.notify.mime import ALTERNATIVE_BOUNDARY, MIXED_BOUNDARY

    school = dict(sample_context("selected")["school"])
    school["name"] = f"Academy\n--{ALTERNATIVE_BOUNDARY}\n--{MIXED_BOUNDARY}--\n"
    text, html = parts(render("selected", school=school))
    assert f"--{ALTERNATIVE_BOUNDARY}" in text
    assert f"--{MIXED_BOUNDARY}--" in text
    assert f"--{ALTERNATIVE_BOUNDARY}" in visible(html)


def test_the_environment_is_built_once_and_is_strict_and_escapes_html_only():
    import jinja2

    assert environment() is environment()
    assert environment().undefined is jinja2.StrictUndefined
    assert environment().select_template(["selected.html"]).environment.autoescape
    html = environment().get_template("selected.html")
    text = environment().get_template("selected.txt")
    assert html.render(**_values("A & <b>")).count("A &amp; &lt;b&gt;") >= 1
    assert "A & <b>" in text.render(**_values("A & <b>"))


def _values(name: str) -> dict:
    context = sample_context("selected")
    context["specialist"]["name"] = name
    context["recipient"] = {"name": "Jo", "role": "headteacher"}
    context["subject"] = "s"
    return context


def test_names_are_escaped_in_the_html_part():
    specialist = {"name": "Sam <script>alert(1)</script>", "email": "sam@school.example"}
    message = render("selected", to="sam@school.example", specialist=specialist)
    text, html = parts(message)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert text.startswith("Dear Sam <script>alert(1)</script>,")  # plain text: not escaped
    assert "Sam <script>alert(1)</script>" in message["Subject"]


def test_the_launch_invitation_says_the_head_attends_for_half_a_day():
    context = sample_context("launch_invitation")
    for to in (context["specialist"]["email"], context["school"]["head_email"]):
        text, html = parts(render("launch_invitation", to=to))
        for words in (text, visible(html)):
            assert (
                "The headteacher, or a senior leader from Oakfield Academy, attends for " in words
            )
            assert "half a day alongside" in words


def test_the_launch_invitation_shows_london_time_and_place():
    text, html = parts(render("launch_invitation"))
    assert "Tuesday 30 September 2025, 9:30am to 3:30pm" in text
    assert "Tuesday 30 September 2025, 9:30am to 3:30pm" in visible(html)
    assert "The Exchange, 3 Centenary Square, Birmingham B1 2DR" in text


def test_the_greeting_and_wording_follow_the_reader():
    context = sample_context("selected")
    specialist_copy, _ = parts(render("selected", to=context["specialist"]["email"]))
    head_copy, _ = parts(render("selected", to=context["school"]["head_email"]))
    other_copy, _ = parts(render("selected", to="someone@else.example"))
    assert specialist_copy.startswith("Dear Priya Shah,")
    assert "you have a place" in specialist_copy
    assert head_copy.startswith("Dear David Lewis,")
    assert "Priya Shah has a place" in head_copy
    assert other_copy.startswith("Dear colleague,")


def test_the_recipient_can_be_given_explicitly():
    message = render("selected", recipient={"name": "Ms Lewis", "role": "headteacher"})
    assert parts(message)[0].startswith("Dear Ms Lewis,")


@pytest.mark.parametrize(
    ("pence", "shown"),
    [(0, "£0.00"), (1, "£0.01"), (99, "£0.99"), (100, "£1.00"), (123456789, "£1,234,567.89")],
)
def test_funding_amounts_are_shown_exactly(pence, shown):
    funding = {**sample_context("funding_released")["funding"], "amount_pence": pence}
    message = render("funding_released", funding=funding)
    text, html = parts(message)
    assert f"Amount:          {shown}\n" in text
    assert f"<strong>{shown}</strong>" in html
    assert shown in message["Subject"]


def test_funding_goes_to_the_finance_contact_too():
    context = sample_context("funding_released")
    text, _ = parts(render("funding_released", to=context["school"]["finance_email"]))
    assert text.startswith("Dear colleague,")
    assert "Friday 31 October 2025" in text
    assert "URN 137421" in text


def test_the_withdrawal_shows_the_reason_and_what_happens_to_funding():
    text, _ = parts(render("withdrawal_confirmed", reason="Moving abroad."))
    assert "Reason recorded: Moving abroad." in text
    assert "Funding already released to Oakfield Academy is not affected." in text


def test_stuck_specialists_lists_each_with_their_reasons():
    message = render("stuck_specialists")
    text, html = parts(message)
    assert message["Subject"] == "2 specialists could not move on at the start of term"
    assert text.startswith("Dear Helen Clarke,")
    assert "- Tom Evans (Riverside School): central days: 3 of 5.5 recorded; development" in text
    assert "<li><strong>Tom Evans</strong> (Riverside School): central days" in html
    assert message["Reply-To"] is None  # the hub lead is the reader
    one = [{"name": "Priya Shah", "school": "Oakfield Academy", "reasons": ["x"]}]
    assert render("stuck_specialists", specialists=one)["Subject"].startswith("1 specialist could")


@pytest.mark.parametrize("template", sorted(EVENT_TEMPLATES))
def test_event_emails_carry_an_ics_in_utc(template):
    message = render(template)
    assert message.get_content_type() == "multipart/mixed"
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_filename().endswith(".ics")
    ics = calendar_of(message)
    fields = calendar_fields(ics)
    event = sample_context(template)["event"]
    assert fields["DTSTART"] == event["starts_at"].strftime("%Y%m%dT%H%M%SZ")
    assert fields["DTEND"] == event["ends_at"].strftime("%Y%m%dT%H%M%SZ")
    assert fields["SUMMARY"] == event["title"].replace(",", "\\,")
    assert fields["DTSTAMP"] == "20250901T080000Z"
    assert "LOCATION" in fields


def test_the_event_uid_is_the_same_for_every_reader_and_every_reminder():
    context = sample_context("launch_invitation")
    head = calendar_fields(
        calendar_of(render("launch_invitation", to=context["school"]["head_email"]))
    )
    specialist = calendar_fields(calendar_of(render("launch_invitation")))
    reminder = calendar_fields(calendar_of(render("launch_reminder")))
    assert head["UID"] == specialist["UID"] == reminder["UID"]
    other = calendar_fields(calendar_of(render("central_event_reminder")))
    assert other["UID"] != head["UID"]


def test_an_event_may_bring_its_own_uid():
    event = {**sample_context("launch_invitation")["event"], "uid": "launch-9@hub.example"}
    assert calendar_fields(calendar_of(render("launch_invitation", event=event)))["UID"] == (
        "launch-9@hub.example"
    )


@pytest.mark.parametrize("template", sorted(set(TEMPLATES) - EVENT_TEMPLATES))
def test_other_emails_have_no_attachment(template):
    message = render(template)
    assert message.get_content_type() == "multipart/alternative"
    assert list(message.iter_attachments()) == []


def test_event_times_from_a_json_payload_are_accepted():
    event = sample_context("launch_invitation")["event"]
    event = {**event, "starts_at": "2025-09-30T08:30:00+00:00", "ends_at": "2025-09-30T14:30:00Z"}
    text, _ = parts(render("launch_invitation", event=event))
    assert "Tuesday 30 September 2025, 9:30am to 3:30pm" in text


def test_headers_carry_the_sender_date_and_reply_to_the_hub_lead():
    message = render("selected", to="Priya Shah <priya.shah@oakfield.sch.example>")
    assert message["From"] == SAMPLE_SENDER
    assert message["To"] == "Priya Shah <priya.shah@oakfield.sch.example>"
    assert message["Date"].datetime == datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
    assert message["Message-ID"].endswith("@mathshubs.example>")
    assert message["Reply-To"] == "Helen Clarke <helen.clarke@threerivers.example>"


def test_a_stable_message_id_can_be_given():
    context = sample_context("selected")
    email = render_email(
        "selected", context, to="a@school.example", sender=SAMPLE_SENDER, message_id="k1@x.example"
    )
    assert email.message_id == "<k1@x.example>"
    assert email.message()["Message-ID"] == "<k1@x.example>"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "jane@school.example\r\nBcc: everyone@example.org"),
        ("to", "Jane\n <jane@school.example>"),
        ("sender", "Hub <hub@hub.example>\r\nBcc: everyone@example.org"),
        ("to", "not an address"),
    ],
)
def test_an_address_with_a_line_break_or_invalid_is_refused(field, value):
    arguments = {"to": "jane@school.example", "sender": SAMPLE_SENDER, field: value}
    with pytest.raises(InvalidInput):
        render_email("selected", sample_context("selected"), **arguments)


def test_a_line_break_smuggled_into_the_subject_is_refused():
    specialist = {"name": "Sam\r\nBcc: everyone@example.org", "email": "sam@school.example"}
    with pytest.raises(InvalidInput, match="Subject contains a line break"):
        render("selected", specialist=specialist)


def test_a_message_id_with_a_line_break_is_refused():
    with pytest.raises(InvalidInput, match="Message-ID"):
        render_email(
            "selected",
            sample_context("selected"),
            to="a@school.example",
            sender=SAMPLE_SENDER,
            message_id="k1@x\r\nBcc: x@y.org",
        )


def test_an_unknown_template_is_refused_with_the_valid_names():
    with pytest.raises(InvalidInput, match="unknown email template 'nope'; valid templates: "):
        render_email("nope", {}, to="a@school.example", sender=SAMPLE_SENDER)


def test_a_missing_value_is_refused_not_left_blank():
    context = sample_context("funding_released")
    del context["funding"]
    with pytest.raises(InvalidInput, match="does not fit its shape: funding: missing"):
        render_email("funding_released", context, to="a@school.example", sender=SAMPLE_SENDER)


def test_float_money_is_refused():
    funding = {**sample_context("funding_released")["funding"], "amount_pence": 1500.0}
    with pytest.raises(InvalidInput, match=r"amount_pence: expected a whole number, got 1500\.0"):
        render("funding_released", funding=funding)


def test_a_naive_event_time_is_refused():
    event = {**sample_context("launch_invitation")["event"], "starts_at": datetime(2025, 9, 30)}
    with pytest.raises(InvalidInput, match=r"starts_at: expected a date and time with a UTC"):
        render("launch_invitation", event=event)


def test_each_recipient_role_has_its_address_in_the_context():
    context = sample_context("funding_released")
    assert [address_for_role(role, context) for role in RECIPIENT_ROLES] == [
        "priya.shah@oakfield.sch.example",
        "head@oakfield.sch.example",
        "finance@oakfield.sch.example",
        "helen.clarke@threerivers.example",
    ]
    context["school"]["finance_email"] = None
    assert address_for_role("finance", context) is None
    with pytest.raises(InvalidInput, match="unknown recipient 'bursar'"):
        address_for_role("bursar", context)
