"""The database schema as SQLAlchemy 2.0 typed declarative models.

Money is integer pence (``BigInteger``); days are integer half-days; timestamps
are UTC (see ``types.UTCDateTime``); dates (due dates, event days) are plain dates.
The audit log and the funding ledger are append-only: no code path updates or
deletes their rows.

Over 400 lines on purpose: the whole schema in one module, as Alembic's autogenerate and
``db.migrate.schema_differences`` compare it, and as a reader looks for a table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workflow.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A partial index over the stuck alone (``Specialist.stuck_reasons``), in both databases.
STUCK = {
    "postgresql_where": text("stuck_reasons IS NOT NULL"),
    "sqlite_where": text("stuck_reasons IS NOT NULL"),
}

PENDING = {
    "postgresql_where": text("done_at IS NULL AND cancelled_at IS NULL"),
    "sqlite_where": text("done_at IS NULL AND cancelled_at IS NULL"),
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Hub(Base):
    __tablename__ = "hubs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    # The termly digest also goes to the hub's staff (the hub lead's choice).
    digest_to_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # State-funded secondary schools in the hub's area, where known (Work Group reach).
    secondary_schools: Mapped[int | None]


class Cohort(Base):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    rules_name: Mapped[str] = mapped_column(String(100))
    # The rules as loaded when the cohort was created: a cohort keeps them for life.
    rules: Mapped[dict[str, Any]]
    start_date: Mapped[date] = mapped_column(Date)
    # The recruitment window, first taken from the rules and editable by a national admin
    # (``workflow cohort window``); null on cohorts created before windows existed.
    recruitment_opens: Mapped[date | None] = mapped_column(Date)
    recruitment_closes: Mapped[datetime | None]
    nominees_per_school: Mapped[int | None]


class HubAllocation(Base):
    __tablename__ = "hub_allocations"
    __table_args__ = (
        UniqueConstraint("hub_id", "cohort_id"),
        CheckConstraint("places >= 0", name="places_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    places: Mapped[int]


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (CheckConstraint("length(urn) = 6", name="urn_six_digits"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(20))
    state_funded: Mapped[bool] = mapped_column(Boolean)
    head_name: Mapped[str] = mapped_column(String(200))
    head_email: Mapped[str] = mapped_column(String(320))
    finance_email: Mapped[str | None] = mapped_column(String(320))
    finance_name: Mapped[str | None] = mapped_column(String(200))
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hubs.id"))
    token_hash: Mapped[str] = mapped_column(String(200))
    # A short, non-secret prefix of the token, to find the row before the slow hash check.
    token_lookup: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime]
    # Signing in to the web application: an argon2id hash (none until the invitation is
    # used), and the authenticator app's TOTP secret once set up.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last 30-second step whose code was accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Deactivated: no sign-in, no token, no links; the row stays (their name is in the records).
    deactivated_at: Mapped[datetime | None]


class Specialist(Base):
    __tablename__ = "specialists"
    # (name, id): the web's list in its order, a page read from the index; (cohort_id,
    # state, name, id) and (hub_id, name, id) the same for a cohort and state, and for a
    # hub. (school_id, cohort_id, state): candidates through their schools. The stuck, few
    # beside everyone: their own small indexes, by name, by cohort and name, by hub. (The
    # national report reads the counts the database keeps: ``hub_progress``.)
    __table_args__ = (
        Index(None, "cohort_id", "state", "name", "id"),
        Index(None, "name", "id"),
        Index(None, "hub_id", "name", "id"),
        Index(None, "school_id", "cohort_id", "state"),
        Index("ix_specialists_stuck_name", "name", "id", **STUCK),
        Index("ix_specialists_stuck_cohort", "cohort_id", "name", "id", **STUCK),
        Index("ix_specialists_stuck_hub", "hub_id", "cohort_id", "name", "id", **STUCK),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    qts: Mapped[bool] = mapped_column(Boolean)
    teaching_since: Mapped[date] = mapped_column(Date)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # Their school's hub, kept by the database (db/specialist_hub.py): never written here.
    hub_id: Mapped[int | None] = mapped_column(
        Integer, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    state: Mapped[str] = mapped_column(String(20))
    # The state a deferred specialist left, so that resume can go back to it.
    resume_state: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Why they would stay behind if their cohort advanced now (None: they would not, or
    # their state has no next year): the machine's judgment, kept by services/standing.py
    # whenever their trail (state, cohort, milestones) changes.
    stuck_reasons: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # How far they ever got, from their trail (kept with stuck_reasons): a place, Year 2,
    # Year 3, an accreditation that counts. The national report sums these.
    ever_selected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ever_year2: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ever_year3: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    accredited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Leads at least one Work Group: kept by the database (``db/work_group_leads.py``).
    leads_work_groups: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __mapper_args__ = {"version_id_col": version}


class SpecialistTally(Base):
    """How many specialists each hub has in each state of each cohort: the dashboards'
    and reports' counts read without counting. Kept by the database's own triggers on
    ``specialists`` and ``schools`` (``db/tallies.py``), so that no way of writing a
    specialist can leave it behind; a count may be 0."""

    __tablename__ = "specialist_tallies"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class HubProgress(Base):
    """How far a hub's specialists of a cohort got: the national report's counts, read
    without counting. Kept by the database's own triggers (``db/progress.py``) from the
    specialists' kept columns; a row that counts no one goes."""

    __tablename__ = "hub_progress"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), primary_key=True)
    selected: Mapped[int] = mapped_column(Integer)  # ever held a place
    withdrawn: Mapped[int] = mapped_column(Integer)  # of those, withdrawn now
    year2: Mapped[int] = mapped_column(Integer)
    year3: Mapped[int] = mapped_column(Integer)
    accredited: Mapped[int] = mapped_column(Integer)  # of those who held a place
    work_group_leads: Mapped[int] = mapped_column(Integer)  # in Year 3, leading a group


class SchoolReached(Base):
    """A school a hub reached in a cohort: the school of one of its specialists who ever
    held a place, or of one of their Work Groups; ``refs`` counts those reasons. The
    national report's schools reached, read without working them out. Kept by the
    database's own triggers (``db/reach.py``); a row goes with its last reason."""

    __tablename__ = "schools_reached"
    __table_args__ = (
        # The rows just left with no reason, which each trigger drops: usually none.
        Index(
            "ix_schools_reached_none",
            "cohort_id",
            postgresql_where=text("refs <= 0"),
            sqlite_where=text("refs <= 0"),
        ),
    )

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), primary_key=True)
    urn: Mapped[str] = mapped_column(String(6), primary_key=True)
    refs: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    """One transition, milestone or correction. Append-only.

    A correction (``kind = correction``: a void, an edit, a move, a change of cohort)
    never edits another row: a void names the milestone it voids in ``voids_id`` (unique,
    so a milestone is voided once), and ``details`` keeps the values it replaced.
    """

    __tablename__ = "audit_log"
    # The guards' facts of many specialists (who is stuck) from the index alone; first by
    # specialist, it also finds one specialist's trail.
    __table_args__ = (
        Index(
            "ix_audit_log_facts",
            "specialist_id",
            "kind",
            "name",
            "programme_year",
            "half_days",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"))
    kind: Mapped[str] = mapped_column(String(20))  # "transition", "milestone", "correction"
    name: Mapped[str] = mapped_column(String(40))  # the trigger or the milestone kind
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    half_days: Mapped[int | None]  # milestones measured in days
    occurred_on: Mapped[date | None] = mapped_column(Date)
    programme_year: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    voids_id: Mapped[int | None] = mapped_column(ForeignKey("audit_log.id"), unique=True)
    details: Mapped[dict[str, Any] | None]


class OutboxMessage(Base):
    """A message committed with the change that caused it; the relay publishes it.

    ``sent_at``: when the relay last published it. ``done_at``: when its effect was
    recorded (the actor finished: email sent, skipped or dead; work done; or the message
    was dead-lettered). A row relayed long ago and not done is published again.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "sent_at", "id"), Index(None, "done_at", "sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None]


class FundingEntry(Base):
    """One instalment of a specialist's funding for a programme year."""

    __tablename__ = "funding_entries"
    __table_args__ = (
        UniqueConstraint("specialist_id", "programme_year", "instalment"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
        Index(None, "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    programme_year: Mapped[int]
    instalment: Mapped[int]
    # Why it exists: "rules" (the rules' own instalments) or "resume" (scheduled again).
    origin: Mapped[str] = mapped_column(String(20))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # scheduled, released, cancelled
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class LedgerEntry(Base):
    """Money actually owed to a school: releases and adjustments. Append-only."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    programme_year: Mapped[int]
    funding_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("funding_entries.id"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # release, adjustment
    # Why: rules, resume (releases); withdrawal, manual (adjustments). See services/funding.
    origin: Mapped[str] = mapped_column(String(20))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class FundingYear(Base):
    """A specialist's programme year on the days basis: what it is worth, what lapsed.

    Written when the year starts; ``cancelled_pence`` and ``closed_on`` are set when the
    year closes (its last release date, or withdrawal): the entitlement's remainder lapses.
    """

    __tablename__ = "funding_years"
    __table_args__ = (UniqueConstraint("specialist_id", "programme_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    programme_year: Mapped[int]
    entitled_pence: Mapped[int] = mapped_column(BigInteger)
    cancelled_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Statement(Base):
    """What one school is owed for one cohort on one release date: payable, then paid.

    A paid statement is never changed: a correction after payment is a clawback line on
    the school's next statement.
    """

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("school_id", "cohort_id", "release_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    release_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # payable, paid
    total_pence: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    paid_by: Mapped[str | None] = mapped_column(String(320))
    reference: Mapped[str | None] = mapped_column(String(200))


class FundingLine(Base):
    """One line of money for a school on the days basis: a claim for days recorded, a
    bursary, a clawback of a paid line, or a manual adjustment.

    Money is never edited: a line leaves an unpaid statement by ``removed_at`` (its
    milestone was voided), and a paid line is reversed by a clawback line.
    """

    __tablename__ = "funding_lines"
    __table_args__ = (
        UniqueConstraint("kind", "milestone_id"),
        UniqueConstraint("reverses_line_id"),
        Index(None, "statement_id"),
        Index(None, "specialist_id", "programme_year"),
        # A hub's funding report: its schools' live lines, read from the index alone.
        Index(
            "ix_funding_lines_live_school",
            "school_id",
            postgresql_include=["specialist_id", "kind", "amount_pence", "statement_id"],
            postgresql_where=text("removed_at IS NULL"),
            sqlite_where=text("removed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    programme_year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))  # claim, bursary, clawback, adjustment
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("audit_log.id"))
    half_days: Mapped[int | None]
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    claimable_on: Mapped[date] = mapped_column(Date)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"))
    removed_at: Mapped[datetime | None]
    reverses_line_id: Mapped[int | None] = mapped_column(ForeignKey("funding_lines.id"))
    actor: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class EventLink(Base):
    """The joining link of one online event of a cohort (set by staff, shown in emails)."""

    __tablename__ = "event_links"
    __table_args__ = (UniqueConstraint("cohort_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    event_id: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[str] = mapped_column(String(320))
    set_at: Mapped[datetime]


class RegisterMark(Base):
    """One specialist ticked on one event's register, and the milestone it recorded."""

    __tablename__ = "register_marks"
    __table_args__ = (UniqueConstraint("cohort_id", "event_id", "specialist_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    event_id: Mapped[str] = mapped_column(String(60))
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("audit_log.id"))
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]


class EmailLog(Base):
    """One email, recorded under its idempotency key before it is sent."""

    __tablename__ = "email_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    specialist_id: Mapped[int | None] = mapped_column(ForeignKey("specialists.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))  # pending, sent, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_message_id: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class DueItem(Base):
    """Something that must happen at a time: a reminder, a release, a cohort advancement."""

    __tablename__ = "due_items"
    # (kind, due_at) over what is still to do: the dashboard's next dates, counted in order.
    __table_args__ = (
        Index(None, "done_at", "due_at"),
        Index("ix_due_items_pending_kind", "kind", "due_at", **PENDING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    claimed_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Why a done item did nothing, for people to read (``show``): a reminder that came due
    # after its event (or too near it) is marked done with the reason instead of being sent.
    outcome: Mapped[str | None] = mapped_column(String(300))


class DeadLetter(Base):
    """A message that failed for good; kept until re-driven (never expires)."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(80))
    args: Mapped[dict[str, Any]]
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int]
    created_at: Mapped[datetime]
    retried_at: Mapped[datetime | None]


class MessageAttempt(Base):
    """How often handling a message has started; one that keeps killing its worker is stopped."""

    __tablename__ = "message_attempts"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))
    attempts: Mapped[int]
    last_started_at: Mapped[datetime]


class WorkGroup(Base):
    """A Teaching for Mastery Work Group a specialist leads or joins (Year 3 on)."""

    __tablename__ = "work_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))  # "leads" or "joins"
    colleague_name: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]


class WorkGroupSchool(Base):
    """A school taking part in a Work Group, by URN (it need not be in ``schools``)."""

    __tablename__ = "work_group_schools"
    __table_args__ = (
        UniqueConstraint("work_group_id", "urn"),
        CheckConstraint("length(urn) = 6", name="urn_six_digits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_groups.id"), index=True)
    urn: Mapped[str] = mapped_column(String(6), index=True)


class Refusal(Base):
    """A refused attempt (not permitted, not found to this actor), with who tried."""

    __tablename__ = "refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(320))
    command: Mapped[str] = mapped_column(String(80))
    target: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class WebSession(Base):
    """A browser's session, kept on the server; the cookie holds only a random token,
    whose SHA-256 is the id. Ends after 30 minutes idle or 12 hours in all."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class SignInEvent(Base):
    """A sign-in, a failure, a lockout or a sign-out, with the address it was for. Append-only;
    the lockout counts the failures here."""

    __tablename__ = "sign_in_events"
    __table_args__ = (Index(None, "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # failure, success, locked (tried while locked), lockout, code_failure, sign_out
    outcome: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class StaffLink(Base):
    """A single-use link emailed to a member of staff: an invitation or a password reset.
    Only the SHA-256 of its token is stored."""

    __tablename__ = "staff_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invitation, reset
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SiteSecret(Base):
    """A secret the web processes share (the CSRF signing key when none is configured)."""

    __tablename__ = "site_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class TermDigest(Base):
    """One hub's termly digest for a cohort: recorded once per (cohort, hub, term start).

    ``status`` is ``sent`` (on the term's first day), ``late`` (sent later in the term, after
    the scheduler was down over its start) or ``skipped`` (the term had ended first).
    """

    __tablename__ = "term_digests"
    __table_args__ = (UniqueConstraint("cohort_id", "hub_id", "term_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"))
    term_start: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    on_track: Mapped[int] = mapped_column(Integer, default=0)
    behind: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime]


class SchedulerTick(Base):
    """When the scheduler's dispatch job last finished a tick (one row per job, updated by
    every tick), and what that tick did: the system health page shows it."""

    __tablename__ = "scheduler_ticks"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime]
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[int] = mapped_column(Integer, default=0)


class Erasure(Base):
    """A person's data erased at their request or by a retention rule: who, when, why.

    Holds nothing of what was erased: the address only as a keyed hash (HMAC-SHA256 with
    ``WORKFLOW_ERASURE_KEY``), so that the same address can be recognised and refused at a
    new nomination while a copy of the database alone cannot confirm whose it was.
    """

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    specialist_id: Mapped[int | None] = mapped_column(ForeignKey("specialists.id"), unique=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
    # What was changed, as counts per "table.column" (no values).
    changed: Mapped[dict[str, Any]]
    at: Mapped[datetime]
