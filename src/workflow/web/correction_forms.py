"""The forms of the corrections (``web/corrections.py``): each with a required "Reason",
the GOV.UK widgets, and the messages shown in the error summary and beside each field.

The same form is posted twice: from the form page (to see what will change) and from the
confirmation page (its values carried in hidden fields, ``hidden_values``).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from workflow.web.forms import NominationForm

REASON_HINT = "Why the record is corrected: kept in the timeline with your name."


def reason_field() -> TextAreaField:
    return TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description=REASON_HINT,
        validators=[
            InputRequired("Enter the reason for the correction"),
            Length(max=2000, message="Reason must be 2,000 characters or fewer"),
        ],
    )


class ReasonForm(FlaskForm):
    """Undo a withdrawal, reinstate from the reserve list, void a milestone: a reason only."""

    reason = reason_field()
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_reason(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the reason for the correction")


class EditForm(ReasonForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the teacher's full name"), Length(max=200)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the teacher's email address"), Length(max=320)],
    )
    reason = reason_field()


class MoveForm(ReasonForm):
    urn = StringField(
        "School URN",
        widget=GovTextInput(),
        description="The new school's six-digit unique reference number.",
        validators=[InputRequired("Enter the new school's URN")],
    )
    reason = reason_field()

    def validate_urn(self, field) -> None:
        value = (field.data or "").strip()
        if not (value.isdigit() and len(value) == 6):
            raise ValidationError("Enter a URN of 6 digits, like 137421")


class ChangeCohortForm(ReasonForm):
    cohort = SelectField(
        "Cohort",
        widget=GovSelect(),
        coerce=int,
        validate_choice=False,
        description="A later cohort: its rules and dates apply from now on.",
    )
    override = BooleanField(
        "Override the requirements",
        widget=GovCheckboxInput(),
        description="Only if part of the year they would repeat was already paid and this "
        "is agreed: the new cohort then pays only the balance.",
    )
    reason = reason_field()

    def validate_cohort(self, field) -> None:
        if field.data not in [value for value, _ in self.cohort.choices]:
            raise ValidationError("Select a later cohort")


class LateNominationForm(NominationForm):
    """A nomination after the recruitment window (national admins), with the reason."""

    reason = reason_field()
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_reason(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the reason for the correction")


def hidden_values(form: FlaskForm) -> list[tuple[str, str]]:
    """The form's values as (name, value) pairs for hidden fields on the confirmation page:
    posted again, they make the same form (a date as its day, month and year boxes)."""
    pairs: list[tuple[str, str]] = []
    for field in form:
        if field.name in ("csrf_token", "submit"):
            continue
        if isinstance(field, BooleanField):
            if field.data:
                pairs.append((field.name, "y"))
        elif isinstance(field, DateField):
            day = field.data
            if day is not None:
                pairs += [(field.name, str(day.day)), (field.name, str(day.month)),
                          (field.name, str(day.year))]  # fmt: skip
        elif field.data is not None:
            pairs.append((field.name, str(field.data)))
    return pairs
