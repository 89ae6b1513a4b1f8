"""The web's forms (WTForms with the GOV.UK widgets): labels as in ``web.md``, and the
messages shown in the error summary and beside each field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from workflow.errors import InvalidInput
from workflow.services.validation import REASON_MAX, clean_email, clean_name, clean_reason


class DateInput(GovDateInput):
    """GOV.UK's date input, also when the form was posted without the date's three boxes."""

    def map_gov_params(self, field, **kwargs):
        if field.raw_data is not None and len(field.raw_data) != 3:
            field.raw_data = ([*field.raw_data, "", "", ""])[:3]
        return super().map_gov_params(field, **kwargs)


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your email address"), Length(max=320)],
    )
    password = PasswordField(
        "Password", widget=GovPasswordInput(), validators=[InputRequired("Enter your password")]
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the code shown in your authenticator app")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class CreatePasswordForm(FlaskForm):
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        description="At least 12 characters. A few unrelated words together work well.",
        validators=[InputRequired("Enter a password")],
    )
    confirm = PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter the password again")],
    )
    submit = SubmitField("Create password", widget=GovSubmitInput())

    def validate_confirm(self, field) -> None:
        if self.password.data and field.data != self.password.data:
            raise ValidationError("The passwords do not match")


class ResetRequestForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your email address"), Length(max=320)],
    )
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """One action on a specialist. ``prepare`` fits it to the action before validating."""

    reason = TextAreaField("Reason", widget=GovTextArea())
    override = BooleanField("Override the requirements", widget=GovCheckboxInput())
    milestone = RadioField("Milestone", widget=GovRadioInput(), validate_choice=False)
    days = StringField(
        "Days",
        widget=GovTextInput(),
        description="Central and development days: in steps of 0.5, for example 1 or 0.5.",
    )
    half_days = StringField("Half-days of hub support", widget=GovTextInput())
    on = DateField(
        "Date",
        widget=DateInput(),
        format="%d %m %Y",
        description="For example, 27 3 2026. Leave blank for today.",
        validators=[Optional()],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def prepare(self, action: str, label: str, reason_required: bool, milestones: list) -> None:
        self.action = action
        self.reason_required = reason_required
        self.submit.label.text = label
        self.milestone.choices = [(m, m.replace("_", " ").capitalize()) for m in milestones]

    def validate_reason(self, field) -> None:
        wanted = self.reason_required or self.override.data
        if wanted and not (field.data or "").strip():
            raise ValidationError(
                "Enter the reason for overriding the requirements"
                if self.override.data
                else "Enter the reason"
            )
        if field.data and len(field.data) > 2000:
            raise ValidationError("Reason must be 2,000 characters or fewer")

    def validate_milestone(self, field) -> None:
        if self.action == "record" and field.data not in dict(field.choices):
            raise ValidationError("Select the milestone to record")

    def validate_days(self, field) -> None:
        if self.action == "record" and self.milestone.data in ("central_day", "development_day"):
            value = (field.data or "").strip()
            try:
                number = float(value)
            except ValueError:
                raise ValidationError("Enter the number of days, for example 1 or 0.5") from None
            if number <= 0 or number * 2 != int(number * 2):
                raise ValidationError("Enter days in steps of 0.5, for example 1 or 0.5")

    def validate_half_days(self, field) -> None:
        wanted = self.action == "record" and self.milestone.data == "hub_support"
        if wanted and (not (field.data or "").strip().isdigit() or int(field.data) < 1):
            raise ValidationError("Enter the number of half-days, for example 2")


class BulkForm(ActionForm):
    """The list's bulk action: what to do to the ticked specialists, with the details of the
    chosen action (a milestone as on the record form, a reason, a reminder). ``choose``
    fits it to the role's actions and to the action posted before validating."""

    bulk_action = RadioField(
        "What do you want to do?",
        widget=GovRadioInput(),
        validators=[InputRequired("Select what to do to the selected specialists")],
    )
    event = SelectField(
        "Or attendance at an event",
        widget=GovSelect(),
        validate_choice=False,
        description="Its milestone, days and date come from the event, and the specialist is "
        "added to its register. Events that have begun, of every cohort.",
    )
    reminder = RadioField("Reminder", widget=GovRadioInput(), validate_choice=False)

    def choose(
        self, actions: dict[str, str], milestones: list, reminders: dict, events: list
    ) -> None:
        self.bulk_action.choices = list(actions.items())
        action = self.bulk_action.data if self.bulk_action.data in actions else ""
        self.prepare(action, "Continue", action == "defer", milestones)
        self.reason.label.text = "Reason for the deferral"
        self.reminder.choices = list(reminders.items())
        self.event.choices = [("", "No event: the milestone above"), *events]

    def _by_event(self) -> bool:
        return self.action == "record" and bool(self.event.data)

    def validate_event(self, field) -> None:
        if self._by_event() and field.data not in dict(field.choices):
            raise ValidationError("Select an event from the list")

    def validate_milestone(self, field) -> None:
        if not self._by_event():
            super().validate_milestone(field)

    def validate_days(self, field) -> None:
        if not self._by_event():
            super().validate_days(field)

    def validate_half_days(self, field) -> None:
        if not self._by_event():
            super().validate_half_days(field)

    def validate_reminder(self, field) -> None:
        if self.action == "remind" and field.data not in dict(field.choices):
            raise ValidationError("Select the reminder to send")


class NominationForm(FlaskForm):
    cohort = SelectField("Cohort", widget=GovSelect(), coerce=int)
    urn = StringField(
        "School URN",
        widget=GovTextInput(),
        description="The school's six-digit unique reference number.",
        validators=[InputRequired("Enter the school's URN")],
    )
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
    qts = RadioField(
        "Qualified teacher status",
        widget=GovRadioInput(),
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        validators=[InputRequired("Select yes if the teacher has qualified teacher status")],
    )
    teaching_since = DateField(
        "Started teaching",
        widget=DateInput(),
        format="%d %m %Y",
        description="For example, 1 9 2019",
        validators=[InputRequired("Enter the date the teacher started teaching")],
    )
    submit = SubmitField("Nominate", widget=GovSubmitInput())

    def validate_urn(self, field) -> None:
        value = (field.data or "").strip()
        if not (value.isdigit() and len(value) == 6):
            raise ValidationError("Enter a URN of 6 digits, like 137421")


class ImportForm(FlaskForm):
    cohort = SelectField("Cohort", widget=GovSelect(), coerce=int)
    file = FileField(
        "CSV file",
        widget=GovFileInput(),
        description="Columns urn, name, email, qts (yes or no), teaching_since (2019-09-01): "
        "the same file as `workflow import nominations`.",
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())

    def validate_file(self, field) -> None:
        if not getattr(field.data, "filename", None):
            raise ValidationError("Select a CSV file")


def _email_check(field, message: str) -> None:
    """The services' own check of an address (``clean_email``), with the GOV.UK message."""
    try:
        clean_email(field.data or "")
    except InvalidInput:
        raise ValidationError(message) from None


def _name_check(field, message: str) -> None:
    try:
        clean_name(field.data or "")
    except InvalidInput:
        raise ValidationError(message) from None


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


class SchoolContactsForm(FlaskForm):
    head_name = StringField(
        "Headteacher's name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the headteacher's name"), Length(max=200)],
    )
    head_email = StringField(
        "Headteacher's email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the headteacher's email address"), Length(max=320)],
    )
    finance_name = StringField(
        "Finance contact's name",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    finance_email = StringField(
        "Finance contact's email address",
        widget=GovTextInput(),
        description="Funding statements go here. Leave it blank to send them to the headteacher.",
        validators=[Length(max=320)],  # not Optional(): blank is checked against the name
    )
    submit = SubmitField("Save contacts", widget=GovSubmitInput())

    def validate_head_name(self, field) -> None:
        _name_check(field, "Enter the headteacher's name on one line, 200 characters or fewer")

    def validate_head_email(self, field) -> None:
        _email_check(field, EMAIL_FORMAT)

    def validate_finance_name(self, field) -> None:
        if (field.data or "").strip():
            _name_check(
                field, "Enter the finance contact's name on one line, 200 characters or fewer"
            )

    def validate_finance_email(self, field) -> None:
        if (field.data or "").strip():
            _email_check(field, EMAIL_FORMAT)
        elif (self.finance_name.data or "").strip():
            raise ValidationError(
                "Enter the finance contact's email address, or leave their name blank"
            )


def _role_field() -> RadioField:
    return RadioField("Role", widget=GovRadioInput(), validate_choice=False)


def _hub_field() -> SelectField:
    return SelectField("Hub", widget=GovSelect(), validate_choice=False)


class StaffRoleChecks:
    """The role (radios limited to what the signed-in person may give) and, for national
    admins, the hub: ``prepare`` fits them to the person before validating. The fields are
    declared in each form, so that they come in the page's order."""

    def prepare(self, roles: list[tuple[str, str]], hubs: list[tuple[str, str]] | None) -> None:
        self.role.choices = roles
        self.hubs = hubs
        if hubs is not None:
            self.hub.choices = [("", "Choose a hub"), *hubs]

    def validate_role(self, field) -> None:
        if field.data not in dict(field.choices):
            raise ValidationError("Select the role")

    def validate_hub(self, field) -> None:
        if self.hubs is None or self.role.data in (None, "", "national_admin"):
            return
        if field.data not in dict(self.hubs):
            raise ValidationError("Select the hub")


class InviteForm(StaffRoleChecks, FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter their full name"), Length(max=200)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        description="The invitation to create a password is sent here.",
        validators=[InputRequired("Enter their email address"), Length(max=320)],
    )
    role = _role_field()
    hub = _hub_field()
    submit = SubmitField("Send invitation", widget=GovSubmitInput())

    def validate_name(self, field) -> None:
        _name_check(field, "Enter their full name on one line, 200 characters or fewer")

    def validate_email(self, field) -> None:
        _email_check(field, EMAIL_FORMAT)


class ChangeRoleForm(StaffRoleChecks, FlaskForm):
    role = _role_field()
    hub = _hub_field()
    submit = SubmitField("Change role", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A confirmation (deactivate): the button only, with the CSRF token."""

    submit = SubmitField("Deactivate", widget=GovSubmitInput())


class ReactivateForm(FlaskForm):
    """A confirmation (reactivate): the button only, with the CSRF token."""

    submit = SubmitField("Reactivate", widget=GovSubmitInput())


class EraseForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        description="For example, the request's date and reference. Kept with the record "
        "of the erasure (the specialist's name and email address are removed from it).",
    )
    submit = SubmitField("Erase personal data", widget=GovSubmitInput())

    def validate_reason(self, field) -> None:
        try:
            clean_reason(field.data)
        except InvalidInput:
            text = (field.data or "").strip()
            if not text:
                raise ValidationError("Enter the reason for erasing") from None
            if len(text) > REASON_MAX:
                raise ValidationError("Reason must be 1,000 characters or fewer") from None
            raise ValidationError("Enter the reason on one line") from None


class PlacesForm(FlaskForm):
    """A hub's places in one cohort (``workflow hub allocate``)."""

    places = StringField(
        "Places",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the number of places")],
    )
    submit = SubmitField("Save places", widget=GovSubmitInput())

    def validate_places(self, field) -> None:
        value = (field.data or "").strip()
        if not value.isdigit() or not value.isascii():
            raise ValidationError("Enter the number of places as a whole number, like 6")
        if int(value) > 100_000:
            raise ValidationError("Places must be 100,000 or fewer")


class WindowForm(FlaskForm):
    """A cohort's recruitment window (``workflow cohort window``)."""

    opens = DateField(
        "Opens",
        widget=DateInput(),
        format="%d %m %Y",
        description="The first day nominations are taken. For example, 1 4 2026",
        validators=[InputRequired("Enter the date the window opens")],
    )
    closes = DateField(
        "Closes",
        widget=DateInput(),
        format="%d %m %Y",
        description="The last day. For example, 10 7 2026",
        validators=[InputRequired("Enter the date the window closes")],
    )
    closes_time = StringField(
        "Closing time",
        widget=GovTextInput(),
        description="On the last day, in the 24-hour clock (UK time). For example, 17:00",
        validators=[InputRequired("Enter the closing time, like 17:00")],
    )
    nominees = StringField(
        "Nominees per school",
        widget=GovTextInput(),
        description="How many teachers one school may nominate for the cohort.",
        validators=[InputRequired("Enter how many teachers one school may nominate")],
    )
    submit = SubmitField("Save the recruitment window", widget=GovSubmitInput())

    def validate_closes_time(self, field) -> None:
        hours, _, minutes = (field.data or "").strip().partition(":")
        ok = hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and hours.isascii()
        if not ok or not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
            raise ValidationError("Enter the closing time as hours and minutes, like 17:00")

    def validate_nominees(self, field) -> None:
        value = (field.data or "").strip()
        if not (value.isdigit() and value.isascii() and 1 <= int(value) <= 100):
            raise ValidationError("Enter a whole number of nominees from 1 to 100")
