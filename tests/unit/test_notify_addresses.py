"""Address and name checks: what stops bad input and header injection at the door."""

from __future__ import annotations

import pytest

from workflow.errors import InvalidInput
from workflow.notify.addresses import (
    MAX_DISPLAY_NAME,
    check_display_name,
    check_email,
    check_mailbox,
)


def test_a_valid_address_is_trimmed_and_its_domain_lowercased():
    assert check_email("  Jane.Smith@Oakfield.SCH.uk ") == "Jane.Smith@oakfield.sch.uk"


@pytest.mark.parametrize(
    "bad",
    [
        "jane@school.example\r\nBcc: all@example.org",
        "jane@school.example\nBcc: all@example.org",
        "jane@school.example\r",
    ],
)
def test_line_breaks_in_an_address_are_refused(bad):
    with pytest.raises(InvalidInput, match="line break") as caught:
        check_email(bad)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "bad", ["", "   ", "jane", "jane@", "@school.example", "jane@school", "a b@school.example"]
)
def test_invalid_addresses_are_refused_with_one_line(bad):
    with pytest.raises(InvalidInput) as caught:
        check_email(bad)
    message = str(caught.value)
    assert message
    assert "\n" not in message


def test_the_message_says_which_address_and_why():
    with pytest.raises(InvalidInput, match=r"invalid email address 'jane@school': .*period"):
        check_email("jane@school")


def test_a_display_name_is_trimmed_and_inner_spaces_collapsed():
    assert check_display_name("  Priya   Shah ") == "Priya Shah"


@pytest.mark.parametrize("bad", ["Priya\r\nBcc: x@y.org", "Priya\nShah", "Priya\x00", "Pri\x1bya"])
def test_names_with_line_breaks_or_control_characters_are_refused(bad):
    with pytest.raises(InvalidInput):
        check_display_name(bad)


def test_an_empty_or_overlong_name_is_refused():
    with pytest.raises(InvalidInput, match="required"):
        check_display_name("   ")
    with pytest.raises(InvalidInput, match=f"at most {MAX_DISPLAY_NAME}"):
        check_display_name("x" * (MAX_DISPLAY_NAME + 1))
    assert check_display_name("x" * MAX_DISPLAY_NAME) == "x" * MAX_DISPLAY_NAME


def test_a_mailbox_may_carry_a_display_name():
    mailbox = check_mailbox("Maths Hubs Mastery Programme <mastery@mathshubs.example>")
    assert mailbox.display_name == "Maths Hubs Mastery Programme"
    assert mailbox.addr_spec == "mastery@mathshubs.example"
    assert check_mailbox("jane@school.example").addr_spec == "jane@school.example"


@pytest.mark.parametrize(
    "bad",
    [
        "Jane <jane@school.example>, all@example.org",
        "Jane <jane@school.example>\r\nBcc: all@example.org",
        "Jane\r\n <jane@school.example>",
        "<>",
    ],
)
def test_a_mailbox_with_more_than_one_address_or_a_line_break_is_refused(bad):
    with pytest.raises(InvalidInput):
        check_mailbox(bad)
