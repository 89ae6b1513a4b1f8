"""The notification registry: each declaration has its templates and renders from its sample;
a context of the wrong shape is refused in one line naming the field, before any template."""

from __future__ import annotations

import pytest

from workflow.errors import InvalidInput
from workflow.notify.context import Extra
from workflow.notify.notifications import REGISTRY, STUCK_SPECIALISTS, notification
from workflow.notify.registry import Notification, Role, registry_of
from workflow.notify.render import TEMPLATE_DIR, render_email
from workflow.notify.samples import SAMPLE_NOW, SAMPLE_SENDER, sample_context, sample_recipient
from workflow.notify.templates import EVENT_TEMPLATES, TEMPLATES


def test_the_template_tables_are_the_registry():
    assert list(TEMPLATES) == list(REGISTRY)
    assert {name for name, note in REGISTRY.items() if note.ics} == EVENT_TEMPLATES


def test_every_declaration_has_its_two_templates_and_every_template_a_declaration():
    files = {p.name for p in TEMPLATE_DIR.iterdir() if not p.name.startswith("_")}
    declared = {f"{name}.{ext}" for name in REGISTRY for ext in ("txt", "html")}
    assert files == declared


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_notification_renders_from_its_sample(name):
    note = REGISTRY[name]
    email = render_email(
        note, sample_context(note), to=sample_recipient(note), sender=SAMPLE_SENDER,
        now=SAMPLE_NOW,
    )  # fmt: skip
    message = email.message()
    assert message["Subject"]
    assert bool(list(message.iter_attachments())) == note.ics


def test_the_stuck_specialists_payload_of_old_is_refused_naming_the_field():
    context = sample_context(STUCK_SPECIALISTS)
    context["cohort"] = 9  # what `_stuck_emails` used to merge over the cohort
    with pytest.raises(InvalidInput) as refused:
        render_email("stuck_specialists", context, to="lead@hub.example", sender=SAMPLE_SENDER)
    assert str(refused.value) == (
        "email 'stuck_specialists' does not fit its shape: cohort: expected a table, got 9"
    )


def test_an_unknown_value_in_the_extra_is_refused():
    with pytest.raises(InvalidInput, match=r"specialists\.0\.colour: unknown field"):
        STUCK_SPECIALISTS.payload_extra(
            {"hub_id": 1, "cohort_number": 9,
             "specialists": [{"name": "A", "school": "B", "reasons": [], "colour": "red"}]}
        )  # fmt: skip


def test_a_producer_passing_another_notifications_values_is_refused():
    with pytest.raises(InvalidInput, match="expected StuckSpecialists"):
        STUCK_SPECIALISTS.payload_extra(notification("selected").sample())


def test_an_extra_may_not_name_what_the_scope_loads():
    class Clashing(Extra, frozen=True):
        cohort: int

    with pytest.raises(TypeError, match="may not name"):
        Notification("clash", "", (Role.SPECIALIST,), Clashing, lambda: Clashing(9))


def test_a_name_declared_twice_is_an_error():
    note = REGISTRY["selected"]
    with pytest.raises(TypeError, match="declared twice"):
        registry_of(note, note)


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(InvalidInput, match="valid templates: nomination_received, selected"):
        notification("nope")
