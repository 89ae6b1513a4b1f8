"""Every email the system sends, each declared once: recipients, context shape, .ics, sample.

To add a notification: declare its ``extra`` Struct (the values its producer writes) and
the ``Notification`` here, add it to ``REGISTRY`` at the bottom, and write
``templates/NAME.txt`` (with ``{% block subject %}``) and ``templates/NAME.html``. The
template list, ``workflow email templates|preview``, the samples and the renderer's checks
follow from the declaration; ``tests/unit/test_notify_registry.py`` renders each one from
its sample.

Over 400 lines on purpose: every notification is declared here and nowhere else, so a
reader finds each email, its recipients and its shape in one place.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from workflow.errors import InvalidInput
from workflow.notify.context import AwareDatetime, Extra
from workflow.notify.figures import (
    HubCount,
    HubFigures,
    RequirementFigures,
    SpecialistFigures,
    TermInfo,
)
from workflow.notify.registry import Notification, Role, Scope, registry_of

SPECIALIST_AND_HEAD = (Role.SPECIALIST, Role.HEADTEACHER)

# --- The shapes of the producers' values ---------------------------------------------------


class NoExtra(Extra, frozen=True):
    """Nothing beyond the specialist, school, hub and cohort."""


class WithReason(Extra, frozen=True):
    """A transition's email: the reason given for it, when one was."""

    reason: str | None = None


class EventInfo(Extra, frozen=True):
    """A launch or central event, as the rules hold it (``services.reminders.event_info``)."""

    title: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: str | None = None
    online: bool = False
    headteacher_half_day: bool = False
    uid: str | None = None
    id: str | None = None  # the event's id in the cohort's rules
    link: str | None = None  # an online event's joining link, when staff have set one


class WithEvent(Extra, frozen=True):
    event: EventInfo
    # A headteacher's email is the school's: every specialist of the school going, by name.
    specialists: list[str] | None = None


class EventReminder(Extra, frozen=True):
    event: EventInfo
    days_before: int
    specialists: list[str] | None = None


class FundingLine(Extra, frozen=True):
    programme_year: int
    instalment: int | str  # the number, or a word for a payment outside the plan
    amount_pence: int
    due_date: date


class FundingReleased(Extra, frozen=True):
    funding: FundingLine
    funding_entry_id: int | None = None
    reason: str | None = None


class StatementLine(Extra, frozen=True):
    specialist: str
    kind: str  # claim, bursary, clawback, adjustment
    what: str
    date: date
    days: float | None
    amount_pence: int


class StatementRemainder(Extra, frozen=True):
    specialist: str
    programme_year: int
    remaining_pence: int
    lapsed_pence: int


class StatementInfo(Extra, frozen=True):
    id: int
    release_date: date
    status: str
    total_pence: int
    lines: list[StatementLine]
    remaining: list[StatementRemainder]


class FundingStatement(Extra, frozen=True):
    statement: StatementInfo


class Violation(Extra, frozen=True):
    check: str
    row: str
    detail: str


class FundingViolations(Extra, frozen=True):
    cohort_number: int
    violations: list[Violation]


class SchoolMove(Extra, frozen=True):
    from_school: str  # the school's name
    to_school: str


class SpecialistMoved(Extra, frozen=True):
    """A specialist moved school: sent to the new school's headteacher (the role) and the
    old one's (an address the producer gives)."""

    move: SchoolMove


class HubExtra(Extra, frozen=True):
    """Addressed to a hub's staff about a cohort: the delivery loads both from these."""

    hub_id: int
    cohort_number: int


class StuckPerson(Extra, frozen=True):
    name: str
    school: str
    reasons: list[str]
    id: int | None = None


class StuckSpecialists(HubExtra, frozen=True):
    specialists: list[StuckPerson]


class TermDigest(HubExtra, frozen=True):
    term: TermInfo
    late: bool
    figures: HubFigures
    events: list[EventInfo]
    # Events after the term, to the end of the academic year; absent from rows written
    # before it was added (2026-12), hence the default.
    later_events: list[EventInfo] = []


class TermSummary(Extra, frozen=True):
    """The national summary: per hub, counts on track and behind."""

    cohort_number: int
    term: TermInfo
    late: bool
    hubs: list[HubCount]


# --- Samples (what ``workflow email preview`` shows) ---------------------------------------


def _launch() -> EventInfo:
    return EventInfo(
        title="Cohort 9 launch event",
        # 9:30am to 3:30pm, London time (BST).
        starts_at=datetime(2025, 9, 30, 8, 30, tzinfo=UTC),
        ends_at=datetime(2025, 9, 30, 14, 30, tzinfo=UTC),
        location="The Exchange, 3 Centenary Square, Birmingham B1 2DR",
        online=False,
        headteacher_half_day=True,
    )


def _central_event() -> EventInfo:
    return EventInfo(
        title="Central event 2: Representations and structure",
        # 9am to midday, London time (GMT).
        starts_at=datetime(2025, 11, 18, 9, 0, tzinfo=UTC),
        ends_at=datetime(2025, 11, 18, 12, 0, tzinfo=UTC),
        location="joining link to follow by email",
        online=True,
    )


def _stuck_sample() -> StuckSpecialists:
    return StuckSpecialists(
        hub_id=1,
        cohort_number=9,
        specialists=[
            StuckPerson("Priya Shah", "Oakfield Academy", ["launch attendance not recorded"]),
            StuckPerson(
                "Tom Evans",
                "Riverside School",
                ["central days: 3 of 5.5 recorded", "development days: none"],
            ),
        ],
    )


_SPRING = TermInfo("spring", "2025/26", date(2026, 1, 5), date(2026, 3, 27))


def _digest_sample() -> TermDigest:
    def line(what, done, expected, required):
        return RequirementFigures(what, done, expected, required)

    on_track = SpecialistFigures(
        1, "Priya Shah", "Oakfield Academy", 1, False, [],
        [line("launch_attended", 1, 1, 1), line("central_day", 5, 3, 11),
         line("development_day", 1, 1, 4)],
        lapsing_half_days=9, lapsing_pence=90000,
    )  # fmt: skip
    behind = SpecialistFigures(
        2, "Tom Evans", "Riverside School", 1, True,
        ["central days: 1 of 1.5 expected by now (5.5 this year)"],
        [line("launch_attended", 1, 1, 1), line("central_day", 2, 3, 11),
         line("development_day", 1, 1, 4)],
        lapsing_half_days=12, lapsing_pence=120000,
    )  # fmt: skip
    return TermDigest(
        hub_id=1,
        cohort_number=9,
        term=_SPRING,
        late=False,
        figures=HubFigures(
            "TRMH", "Three Rivers Maths Hub", 1, 1, 150000, 150000, 210000, [on_track, behind]
        ),
        events=[
            EventInfo(
                title="Central event 2: coherence and small steps",
                starts_at=datetime(2026, 1, 29, 9, 30, tzinfo=UTC),
                ends_at=datetime(2026, 1, 29, 15, 30, tzinfo=UTC),
                location="Online",
                online=True,
            )
        ],
        later_events=[
            EventInfo(
                title="Central event 3: planning for the year ahead",
                starts_at=datetime(2026, 6, 18, 8, 30, tzinfo=UTC),
                ends_at=datetime(2026, 6, 18, 14, 30, tzinfo=UTC),
                location="Online",
                online=True,
            )
        ],
    )


def _summary_sample() -> TermSummary:
    return TermSummary(
        cohort_number=9,
        term=_SPRING,
        late=False,
        hubs=[
            HubCount("TRMH", "Three Rivers Maths Hub", 1, 1),
            HubCount("GNMH", "Great North Maths Hub", 4, 0),
        ],
    )


def _statement_sample() -> FundingStatement:
    line = StatementLine
    return FundingStatement(
        StatementInfo(
            id=12,
            release_date=date(2026, 1, 15),
            status="payable",
            total_pence=50000,
            lines=[
                line("Priya Shah", "claim", "central day", date(2025, 10, 16), 1.0, 20000),
                line("Priya Shah", "claim", "development day", date(2025, 11, 20), 1.5, 30000),
            ],
            remaining=[StatementRemainder("Priya Shah", 1, 100000, 0)],
        )
    )


def _violations_sample() -> FundingViolations:
    return FundingViolations(
        cohort_number=9,
        violations=[
            Violation(
                "year above its entitlement",
                "specialist 42, Year 1",
                "claimed 160000 of 150000 pence",
            )
        ],
    )


# --- The notifications ---------------------------------------------------------------------

NOMINATION_RECEIVED = Notification(
    "nomination_received",
    "to the specialist and headteacher: the nomination was received",
    SPECIALIST_AND_HEAD,
    WithReason,
    WithReason,
)
SELECTED = Notification(
    "selected",
    "to the specialist and headteacher: selected for the cohort",
    SPECIALIST_AND_HEAD,
    WithReason,
    WithReason,
)
NOT_SELECTED = Notification(
    "not_selected",
    "to the specialist and headteacher: not selected this time",
    SPECIALIST_AND_HEAD,
    WithReason,
    WithReason,
)
LAUNCH_INVITATION = Notification(
    "launch_invitation",
    "to the specialist and headteacher: launch event, head's half-day (.ics)",
    SPECIALIST_AND_HEAD,
    WithEvent,
    lambda: WithEvent(event=_launch()),
    ics=True,
)
LAUNCH_REMINDER = Notification(
    "launch_reminder",
    "to the specialist and headteacher: launch event in 14 or 2 days (.ics)",
    SPECIALIST_AND_HEAD,
    EventReminder,
    lambda: EventReminder(event=_launch(), days_before=14),
    ics=True,
)
CENTRAL_EVENT_REMINDER = Notification(
    "central_event_reminder",
    "to the specialist: a central event is coming (.ics)",
    (Role.SPECIALIST,),
    EventReminder,
    lambda: EventReminder(event=_central_event(), days_before=2),
    ics=True,
)
YEAR2_STARTED = Notification(
    "year2_started",
    "to the specialist and headteacher: Year 2 and PD Lead accreditation",
    SPECIALIST_AND_HEAD,
    WithReason,
    WithReason,
)
ACCREDITATION_REMINDER = Notification(
    "accreditation_reminder",
    "to the specialist: PD Lead accreditation still to record",
    (Role.SPECIALIST,),
    NoExtra,
    NoExtra,
)
WORK_GROUP_LEAD_STARTED = Notification(
    "work_group_lead_started",
    "to the specialist and headteacher: Work Group Lead from Year 3",
    SPECIALIST_AND_HEAD,
    WithReason,
    WithReason,
)
FUNDING_RELEASED = Notification(
    "funding_released",
    "to the headteacher and finance contact: an instalment was released",
    (Role.HEADTEACHER, Role.FINANCE),
    FundingReleased,
    lambda: FundingReleased(
        funding=FundingLine(
            programme_year=1, instalment=1, amount_pence=150000, due_date=date(2025, 10, 31)
        )
    ),
)
FUNDING_STATEMENT = Notification(
    "funding_statement",
    "to the finance contact (the head when none): a school's statement on a release date",
    (Role.FINANCE, Role.HEADTEACHER),  # the producer writes one, to the first the school has
    FundingStatement,
    _statement_sample,
)
FUNDING_INVARIANT_VIOLATION = Notification(
    "funding_invariant_violation",
    "to the national admins: the daily funding check found rows that do not add up",
    (Role.NATIONAL_ADMIN,),
    FundingViolations,
    _violations_sample,
    scope=Scope.NATIONAL,
)
WITHDRAWAL_CONFIRMED = Notification(
    "withdrawal_confirmed",
    "to the specialist and headteacher: withdrawal confirmed",
    SPECIALIST_AND_HEAD,
    WithReason,
    lambda: WithReason("Leaving the school at Christmas for a post abroad."),
)
DEFERRAL_CONFIRMED = Notification(
    "deferral_confirmed",
    "to the specialist and headteacher: deferral confirmed",
    SPECIALIST_AND_HEAD,
    WithReason,
    lambda: WithReason("Maternity leave until September 2026."),
)
SPECIALIST_MOVED = Notification(
    "specialist_moved",
    "to the new and the old headteacher: the specialist moved school",
    (Role.HEADTEACHER,),
    SpecialistMoved,
    lambda: SpecialistMoved(SchoolMove("Riverside School", "Oakfield Academy")),
)
STUCK_SPECIALISTS = Notification(
    "stuck_specialists",
    "to the hub lead: specialists who could not advance at term start",
    (Role.HUB_LEAD,),
    StuckSpecialists,
    _stuck_sample,
    scope=Scope.HUB,
)

TERM_DIGEST = Notification(
    "term_digest",
    "to the hub lead (and staff, if the hub chooses): each term, who is behind, events, money",
    (Role.HUB_LEAD, Role.HUB_STAFF),  # the staff only where the hub chose (hub digest)
    TermDigest,
    _digest_sample,
    scope=Scope.HUB,
)
TERM_SUMMARY = Notification(
    "term_summary",
    "to the national admins: each term, per hub, how many are on track and behind",
    (Role.NATIONAL_ADMIN,),
    TermSummary,
    _summary_sample,
    scope=Scope.NATIONAL,
)


class StaffMember(Extra, frozen=True):
    name: str
    email: str


class StaffLink(Extra, frozen=True):
    """A single-use link to the web application for one member of staff (the email goes to
    their own address, the payload's ``to``)."""

    staff: StaffMember
    link: str
    expires_at: AwareDatetime


def _link_sample(path: str):
    return lambda: StaffLink(
        staff=StaffMember(name="Helen Clarke", email="helen.clarke@threerivers.example"),
        link=f"http://127.0.0.1:8000/{path}/sample-token",
        expires_at=datetime(2025, 9, 8, 8, 0, tzinfo=UTC),
    )


STAFF_INVITATION = Notification(
    "staff_invitation",
    "to a new member of staff: a link to create their web password",
    (Role.STAFF_MEMBER,),
    StaffLink,
    _link_sample("invitations"),
    scope=Scope.STAFF,
)
PASSWORD_RESET = Notification(
    "password_reset",
    "to a member of staff who asked: a link to choose a new web password",
    (Role.STAFF_MEMBER,),
    StaffLink,
    _link_sample("password-reset"),
    scope=Scope.STAFF,
)

REGISTRY: dict[str, Notification] = registry_of(
    NOMINATION_RECEIVED,
    SELECTED,
    NOT_SELECTED,
    LAUNCH_INVITATION,
    LAUNCH_REMINDER,
    CENTRAL_EVENT_REMINDER,
    YEAR2_STARTED,
    ACCREDITATION_REMINDER,
    WORK_GROUP_LEAD_STARTED,
    FUNDING_RELEASED,
    FUNDING_STATEMENT,
    FUNDING_INVARIANT_VIOLATION,
    WITHDRAWAL_CONFIRMED,
    DEFERRAL_CONFIRMED,
    SPECIALIST_MOVED,
    STUCK_SPECIALISTS,
    TERM_DIGEST,
    TERM_SUMMARY,
    STAFF_INVITATION,
    PASSWORD_RESET,
)
"""Every notification, by name, in the order ``workflow email templates`` lists them."""


def notification(name: str | Notification) -> Notification:
    """The declaration of ``name``; ``InvalidInput`` (listing the valid names) if unknown."""
    if isinstance(name, Notification):
        return name
    found = REGISTRY.get(name)
    if found is None:
        raise InvalidInput(
            f"unknown email template {name!r}; valid templates: {', '.join(REGISTRY)}"
        )
    return found
