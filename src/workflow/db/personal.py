"""Where personal data lives in the schema: the one declaration that erasure, subject access
export, retention and the redacted dump all read.

Every text or JSON column of every table is either in ``PERSONAL`` (with what kind of
personal data it holds) or in ``NOT_PERSONAL``; a test (``tests/unit/test_personal_
declaration.py``) fails when a column is in neither, so a table added later is declared
here before it ships. Kinds:

- ``NAME``, ``EMAIL``: the name or address of the person the row is about (a specialist, a
  headteacher, a finance contact, a member of staff), replaced by ``placeholder``.
- ``ADDRESS``: an address the row refers to (who acted, to whom an email went).
- ``FREE_TEXT``: written by staff (reasons): may name anyone, so cleared, not searched.
- ``TECHNICAL``: written by the system (errors, keys, refused input): may quote a name or
  an address, so those are substituted where found.
- ``JSON``: a message payload: strings under ``FREE_TEXT_KEYS`` are cleared, the others
  treated as ``TECHNICAL``.
- ``SECRET``: not personal, but never to leave in a copy (token hashes): replaced in dumps.

Rows *about* a specialist are found generically: a column with a foreign key to
``specialists.id``, or a ``specialist_id`` key inside a JSON payload.

The lists may name columns that other branches are adding (funding statements and lines,
Work Groups, corrections' ``details``, web sign-in): ``present`` and ``fields_of`` give only
those the schema holds, so the declaration can run ahead of the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import JSON, MetaData, String, Table, Text

from workflow.db.models import Base


class Kind(StrEnum):
    NAME = "name"
    EMAIL = "email"
    ADDRESS = "address"
    FREE_TEXT = "free_text"
    TECHNICAL = "technical"
    JSON = "json"
    SECRET = "secret"


@dataclass(frozen=True)
class Field:
    table: str
    column: str
    kind: Kind
    # NAME and EMAIL: what replaces the value ({id} is the row's id).
    placeholder: str | None = None
    # FREE_TEXT: values written by the system itself, which code reads back: kept.
    keep: tuple[str, ...] = ()


N, E, A, F, T, J = Kind.NAME, Kind.EMAIL, Kind.ADDRESS, Kind.FREE_TEXT, Kind.TECHNICAL, Kind.JSON

PERSONAL: tuple[Field, ...] = (
    Field("specialists", "name", N, "Specialist {id}"),
    Field("specialists", "email", E, "specialist-{id}@erased.invalid"),
    Field("schools", "head_name", N, "Headteacher {id}"),
    Field("schools", "head_email", E, "head-{id}@erased.invalid"),
    Field("schools", "finance_email", E, "finance-{id}@erased.invalid"),
    Field("schools", "finance_name", N, "Finance contact {id}"),
    Field("staff", "name", N, "Staff {id}"),
    Field("staff", "email", E, "staff-{id}@erased.invalid"),
    Field("staff", "token_hash", Kind.SECRET),
    Field("audit_log", "actor", A),
    Field("audit_log", "reason", F),
    Field("ledger", "actor", A),
    # services/funding.py PRO_RATA_REASON: the funding report reads it (a test ties the two).
    Field("ledger", "reason", F, keep=("pro rata on withdrawal",)),
    Field("email_log", "recipient", A),
    Field("email_log", "idempotency_key", T),
    Field("email_log", "provider_message_id", T),
    Field("email_log", "last_error", T),
    Field("outbox", "payload", J),
    Field("due_items", "key", T),
    Field("due_items", "payload", J),
    Field("dead_letters", "args", J),
    Field("dead_letters", "error", T),
    Field("refusals", "actor", A),
    Field("refusals", "target", T),
    Field("refusals", "reason", T),
    Field("erasures", "actor", A),
    Field("erasures", "reason", F),
    # Being added on other branches (issues 13 to 16); harmless until their tables land.
    Field("audit_log", "details", J),  # corrections keep the values replaced (old name, email)
    Field("due_items", "outcome", T),
    Field("statements", "paid_by", A),
    Field("statements", "reference", T),
    Field("funding_lines", "actor", A),
    Field("funding_lines", "reason", F, keep=("pro rata on withdrawal",)),
    Field("event_links", "set_by", A),
    Field("register_marks", "actor", A),
    Field("work_groups", "colleague_name", N, "Colleague {id}"),
    Field("work_groups", "actor", A),
    Field("staff", "password_hash", Kind.SECRET),
    Field("staff", "totp_secret", Kind.SECRET),
    Field("sign_in_events", "email", A),
    Field("staff_links", "token_hash", Kind.SECRET),
    Field("site_secrets", "value", Kind.SECRET),
    Field("web_sessions", "id", Kind.SECRET),
    Field("web_sessions", "data", J),
)

# Text and JSON columns that hold no personal data (codes, states, names of things).
NOT_PERSONAL: frozenset[tuple[str, str]] = frozenset(
    {
        ("hubs", "code"),
        ("hubs", "name"),
        ("hubs", "region"),
        ("cohorts", "rules_name"),
        ("cohorts", "rules"),
        ("schools", "urn"),
        ("schools", "name"),
        ("schools", "phase"),
        ("staff", "role"),
        ("staff", "token_lookup"),
        ("specialists", "state"),
        ("specialists", "resume_state"),
        ("specialists", "stuck_reasons"),  # what is missing ("central days: 2 of 5.5")
        ("specialist_tallies", "state"),
        ("schools_reached", "urn"),
        ("audit_log", "kind"),
        ("audit_log", "name"),
        ("audit_log", "from_state"),
        ("audit_log", "to_state"),
        ("outbox", "topic"),
        ("funding_entries", "status"),
        ("ledger", "kind"),
        ("email_log", "template"),
        ("email_log", "status"),
        ("due_items", "kind"),
        ("dead_letters", "message_id"),
        ("dead_letters", "queue"),
        ("dead_letters", "actor"),  # the dramatiq actor's name, not a person
        ("message_attempts", "message_id"),
        ("message_attempts", "actor"),  # the dramatiq actor's name
        ("refusals", "command"),
        ("erasures", "email_hash"),
        ("erasures", "changed"),
        ("alembic_version", "version_num"),
        # Being added on other branches.
        ("funding_entries", "origin"),
        ("ledger", "origin"),
        ("funding_years", "closed_reason"),
        ("funding_lines", "kind"),
        ("statements", "status"),
        ("event_links", "event_id"),
        ("event_links", "url"),  # an online event's joining link, the same for everyone
        ("register_marks", "event_id"),
        ("term_digests", "status"),
        ("work_groups", "name"),
        ("work_groups", "role"),
        ("work_group_schools", "urn"),
        ("sign_in_events", "outcome"),
        ("staff_links", "purpose"),
        ("site_secrets", "name"),
        ("scheduler_ticks", "job"),
    }
)

# Keys of JSON payloads whose strings are written by staff or name a person (cleared).
FREE_TEXT_KEYS = frozenset({"reason", "name", "email"})


def present(metadata: MetaData | None = None) -> list[Field]:
    """The declared fields whose table and column the schema holds."""
    tables = (metadata or Base.metadata).tables
    return [f for f in PERSONAL if f.table in tables and f.column in tables[f.table].c]


def fields_of(table: str) -> list[Field]:
    return [f for f in present() if f.table == table]


def subject_tables() -> list[str]:
    """The tables whose NAME and EMAIL fields say who a row is (a person's own record)."""
    return sorted({f.table for f in present() if f.kind in (N, E)})


def text_columns(metadata: MetaData) -> list[tuple[str, str]]:
    """Every ``(table, column)`` of the schema that can hold text: strings, text, JSON."""
    return [
        (table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON)
    ]


def undeclared(metadata: MetaData) -> list[tuple[str, str]]:
    """Text columns this module does not classify (each must be added above)."""
    known = {(f.table, f.column) for f in PERSONAL} | NOT_PERSONAL
    return [c for c in text_columns(metadata) if c not in known]


def specialist_links(metadata: MetaData) -> list[tuple[Table, str]]:
    """``(table, column)`` of every column with a foreign key to ``specialists.id``."""
    return [
        (table, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if any(fk.target_fullname == "specialists.id" for fk in column.foreign_keys)
    ]
