"""Erasing a specialist's personal data (UK GDPR Article 17) while keeping the money trail.

Fields are blanked, rows are kept (as the DfE's scrubbers and ``Teachers::Anonymise`` do):

1. the specialist's own name and email become a placeholder tied to the id
   (``db/personal.py`` says which placeholder);
2. in every row about them (a foreign key to ``specialists.id``, or ``specialist_id`` in a
   JSON payload) staff-written free text (reasons) is cleared: it may name them;
3. every other declared column of every table (actors, recipients, errors, refused input,
   message payloads) has their name and address replaced wherever found;
4. emails still waiting to be sent to or about them are dropped and their pending reminders
   cancelled (an erased person is not written to);
5. one ``erasures`` row records who, when and why, with counts per column, never values,
   and the address as a keyed hash, so that a school cannot nominate them again with it.

What stays: the state history (triggers, states, times), milestone kinds, dates and days,
every funding and ledger amount, school and date. So the funding report and the ledger's
sums are unchanged to the penny, and the audit trail still replays to the stored state
(the audit log and ledger are append-only for every other code path; this is the one
exception, and it changes text only).

Only a specialist who has left (withdrawn or not selected) can be erased: one still in the
programme would go on receiving emails and funding under a placeholder; withdraw first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from workflow.db.models import Base, DueItem, Erasure, OutboxMessage, Specialist
from workflow.db.personal import (
    Field,
    Kind,
    fields_of,
    present,
    specialist_links,
)
from workflow.db.uow import UnitOfWork, session_erasure_key
from workflow.errors import DomainError, InvalidInput, NotFound, NotPermitted, SettingsError
from workflow.services.auth import Actor, Role, logs_refusals
from workflow.services.gdpr.scrub import (
    ERASED,
    Substitution,
    keyed_hash,
    linked_json,
    mentioning,
)
from workflow.states.lifecycle import ACTIVE, State

ERASE_ROLES = (Role.NATIONAL_ADMIN, Role.SYSTEM)


@dataclass(frozen=True)
class Erased:
    specialist_id: int
    erasure_id: int
    changed: dict[str, int]
    # Other records of the same person (the same address, e.g. a later cohort): not erased.
    also: tuple[int, ...] = ()


def require_key(key: str | None) -> str:
    if not key or len(key) < 16:
        raise SettingsError(
            "WORKFLOW_ERASURE_KEY: set a secret of at least 16 characters, kept outside the "
            "database, before erasing (it keys the hash that recognises an erased address)"
        )
    return key


@logs_refusals("gdpr erase")
def erase_specialist(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int,
    reason: str,
    now: datetime,
) -> Erased:
    """Erase one specialist's personal data; refused (nothing written) unless they have left."""
    if actor.role not in ERASE_ROLES:
        raise NotPermitted("only a national admin may erase personal data")
    if not (reason or "").strip():
        raise InvalidInput("an erasure needs a reason (--reason)")
    with uow:
        erased = erase_in(uow.session, actor, specialist_id, reason, now)
        uow.commit()
        return erased


def erase_in(
    session: Session, actor: Actor, specialist_id: int, reason: str, now: datetime
) -> Erased:
    """The erasure inside the caller's transaction (the retention job erases many).

    The erasure key is the process's (``WORKFLOW_ERASURE_KEY``, in ``session.info``)."""
    key = require_key(session_erasure_key(session))
    specialist = session.get(Specialist, specialist_id, with_for_update=True)
    if specialist is None:
        raise NotFound(f"specialist {specialist_id} not found")
    if State(specialist.state) in ACTIVE:
        raise DomainError(
            f"specialist {specialist_id} is {specialist.state}: only someone who has left can "
            f"be erased; withdraw them first (workflow withdraw {specialist_id} --reason ...)"
        )
    done = session.scalar(select(Erasure.at).where(Erasure.specialist_id == specialist_id))
    if done is not None:
        raise DomainError(f"specialist {specialist_id} was already erased on {done:%Y-%m-%d}")
    old = {"name": specialist.name, "email": specialist.email}
    new = {
        "name": _placeholder("specialists", "name", specialist_id),
        "email": _placeholder("specialists", "email", specialist_id),
    }
    replacements = {old["name"]: new["name"], old["email"]: new["email"]}
    for kind, value in _previous_identities(session, specialist_id):
        replacements.setdefault(value, new[kind])
    substitution = Substitution(replacements)
    changed: Counter = Counter()

    specialist.name, specialist.email = new["name"], new["email"]
    changed["specialists.name"] += 1
    changed["specialists.email"] += 1
    session.flush()
    _drop_pending(session, specialist_id, now, changed)
    _clear_free_text_about(session, specialist_id, changed)
    _replace_mentions(session, substitution, changed)

    erasure = Erasure(
        specialist_id=specialist_id,
        email_hash=keyed_hash(key, old["email"]),
        actor=actor.email,
        reason=substitution.text(reason.strip()),
        changed=dict(sorted(changed.items())),
        at=now,
    )
    session.add(erasure)
    session.flush()
    also = session.scalars(
        select(Specialist.id).where(Specialist.email == old["email"]).order_by(Specialist.id)
    ).all()
    return Erased(specialist_id, erasure.id, erasure.changed, tuple(also))


def has_left(state: str) -> bool:
    """Whether a specialist in ``state`` may be erased (they have left the programme)."""
    return State(state) not in ACTIVE


def erased_on(uow: UnitOfWork, actor: Actor, specialist_id: int) -> datetime | None:
    """When the specialist's personal data was erased, or None (national admins; the
    caller has already checked that the actor sees the specialist)."""
    if actor.role not in ERASE_ROLES:
        raise NotPermitted("only a national admin may erase personal data")
    with uow:
        return uow.session.scalar(select(Erasure.at).where(Erasure.specialist_id == specialist_id))


def _placeholder(table: str, column: str, row_id: int) -> str:
    (field,) = [f for f in fields_of(table) if f.column == column]
    return field.placeholder.format(id=row_id)


def _previous_identities(session: Session, specialist_id: int) -> list[tuple[str, str]]:
    """Names and addresses the specialist had before a correction (kept in the payloads of
    rows about them, e.g. an edit's ``details``), so that those are replaced too."""
    found: list[tuple[str, str]] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("name", "email") and isinstance(v, str) and v.strip():
                    found.append((k, v))
                else:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for table, link in specialist_links(Base.metadata):
        for field in fields_of(table.name):
            if field.kind is Kind.JSON:
                column = table.c[field.column]
                for value in session.scalars(
                    select(column).where(table.c[link] == specialist_id, column.is_not(None))
                ):
                    walk(value)
    return found


def _clear_free_text_about(session: Session, specialist_id: int, changed: Counter) -> None:
    """Step 2: reasons and other staff-written text in rows about the specialist."""
    for table, link in specialist_links(Base.metadata):
        (key,) = table.primary_key.columns
        for field in fields_of(table.name):
            if field.kind is Kind.JSON:
                column = table.c[field.column]
                rows = session.execute(
                    select(key, column).where(table.c[link] == specialist_id, column.is_not(None))
                ).all()
                for row_id, value in rows:
                    scrubbed = Substitution({}).json(value, clear=ERASED)
                    if scrubbed != value:
                        session.execute(
                            update(table).where(key == row_id).values({field.column: scrubbed})
                        )
                        changed[f"{table.name}.{field.column}"] += 1
            if field.kind is not Kind.FREE_TEXT:
                continue
            column = table.c[field.column]
            # Not NULL: code may compare the text (``reason != X`` is unknown for NULL in SQL).
            result = session.execute(
                update(table)
                .where(table.c[link] == specialist_id, column.is_not(None))
                .where(column.not_in([ERASED, *field.keep]))
                .values({field.column: ERASED})
            )
            changed[f"{table.name}.{field.column}"] += result.rowcount
    for field in present():
        if field.kind is Kind.JSON:
            _clear_json_about(session, field, specialist_id, changed)


def _clear_json_about(session: Session, field: Field, specialist_id: int, changed) -> None:
    table = Base.metadata.tables[field.table]
    column = table.c[field.column]
    (key,) = table.primary_key.columns
    marker = f'"specialist_id": {specialist_id}'
    for row_id, value in mentioning(session, table, column, [marker]):
        if not linked_json(value, specialist_id):
            continue
        scrubbed = Substitution({}).json(value, clear=ERASED)
        if scrubbed != value:
            session.execute(update(table).where(key == row_id).values({field.column: scrubbed}))
            changed[f"{field.table}.{field.column}"] += 1


def _replace_mentions(session: Session, substitution: Substitution, changed: Counter) -> None:
    """Step 3: the name and address wherever else a declared column holds them."""
    for field in present():
        if field.kind in (Kind.NAME, Kind.EMAIL, Kind.SECRET):
            continue  # other people's own names and addresses are theirs
        table = Base.metadata.tables[field.table]
        column = table.c[field.column]
        (key,) = table.primary_key.columns
        for row_id, value in mentioning(session, table, column, substitution.olds):
            if field.kind is Kind.JSON:
                scrubbed = substitution.json(value)
            else:
                scrubbed = substitution.text(value)
            if scrubbed != value:
                session.execute(update(table).where(key == row_id).values({field.column: scrubbed}))
                changed[f"{field.table}.{field.column}"] += 1


def _drop_pending(session: Session, specialist_id: int, now: datetime, changed: Counter) -> None:
    """Step 4: no email is sent to or about an erased person from now on."""
    marker = f'"specialist_id": {specialist_id}'
    table = OutboxMessage.__table__
    unsent = [
        row_id
        for row_id, payload in mentioning(session, table, table.c.payload, [marker])
        if linked_json(payload, specialist_id)
    ]
    if unsent:
        result = session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(unsent))
            .where(OutboxMessage.sent_at.is_(None))
        )
        changed["outbox.unsent_deleted"] += result.rowcount
    table = DueItem.__table__
    pending = [
        row_id
        for row_id, payload in mentioning(session, table, table.c.payload, [marker])
        if linked_json(payload, specialist_id)
    ]
    if pending:
        result = session.execute(
            update(DueItem)
            .where(DueItem.id.in_(pending), DueItem.done_at.is_(None))
            .where(DueItem.cancelled_at.is_(None))
            .values(cancelled_at=now)
        )
        changed["due_items.cancelled"] += result.rowcount


def address_erased(session: Session, email: str) -> bool:
    """Whether ``email`` belonged to someone erased (compared by keyed hash; False when this
    process has no erasure key, which erasure itself requires)."""
    key = session_erasure_key(session)
    if not key:
        return False
    digest = keyed_hash(key, email)
    return session.scalar(select(Erasure.id).where(Erasure.email_hash == digest)) is not None
