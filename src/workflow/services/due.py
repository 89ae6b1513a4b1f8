"""The ``due_items`` table: things that must happen at a time, scheduled once and claimed once.

- ``schedule`` inserts an item unless one with the same key exists, so scheduling twice
  is harmless (``INSERT ... ON CONFLICT (key) DO NOTHING`` on both databases). With
  ``revive=True`` a cancelled, never-done item with that key is pending again (resume).
- ``cancel`` marks pending items whose key starts with a prefix as cancelled.
- ``claim_due`` claims pending items whose time has come, in one transaction: on
  PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED``, so that two dispatchers take
  disjoint sets; on SQLite the engine opens every transaction with ``BEGIN IMMEDIATE``,
  so the claiming transaction is the only writer. A claim is a lease: the dispatcher
  renews the claims of the batch in hand every ``RENEW_EVERY`` (``renew_claims``), long
  work renews its own (``renew_claim``); a claim not renewed for ``STALE_CLAIM`` belongs
  to a dispatcher that died mid-way, and the item may be claimed again (after 90 s, where
  a claim without renewal had to wait ten minutes).

A claim only says who is working on an item; an item is done when ``done_at`` is set,
in the same transaction as its work where that work is a database write (see
``dispatch.py``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, true, update
from sqlalchemy.orm import Session

from workflow.db.bulk import insert_rows
from workflow.db.models import DueItem

STALE_CLAIM = timedelta(seconds=90)
RENEW_EVERY = timedelta(seconds=20)


@dataclass(frozen=True)
class Claimed:
    """A claimed item, as plain values (the claiming session is closed by then)."""

    id: int
    key: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]


def _insert(session: Session):
    # Imported here: the PostgreSQL dialect module costs a short SQLite command 25 ms.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(DueItem)


def schedule(
    session: Session,
    key: str,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any],
    *,
    revive: bool = False,
) -> None:
    """Schedule one item unless its key exists (``revive``: un-cancel it if never done)."""
    schedule_many(session, [row(key, kind, due_at, payload)], revive=revive)


def row(key: str, kind: str, due_at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "kind": kind, "due_at": due_at, "payload": payload}


def schedule_many(session: Session, rows: list[dict[str, Any]], *, revive: bool = False) -> None:
    """``schedule`` for many rows at once (rows from ``row``)."""
    if not rows:
        return
    if not revive:
        insert_rows(session, DueItem.__table__, rows, skip_conflicts_on=["key"])
        return
    table = DueItem.__table__
    statement = _insert(session).on_conflict_do_update(
        index_elements=["key"],
        set_={"cancelled_at": None, "claimed_at": None},
        where=table.c.done_at.is_(None) & table.c.cancelled_at.is_not(None),
    )
    session.execute(statement, rows)


def pending():
    """The condition of an item still to do: neither done nor cancelled."""
    return DueItem.done_at.is_(None) & DueItem.cancelled_at.is_(None)


def revive_cancelled(
    session: Session, key_prefix: str, cancelled_at: datetime, after: datetime | None = None
) -> int:
    """Un-cancel the items under ``key_prefix`` that one cancellation (at ``cancelled_at``)
    stopped and that were never done; ``after``: only those due after it."""
    where = [
        DueItem.key.startswith(key_prefix, autoescape=True),
        DueItem.cancelled_at == cancelled_at,
        DueItem.done_at.is_(None),
    ]
    if after is not None:
        where.append(DueItem.due_at > after)
    result = session.execute(
        update(DueItem).where(*where).values(cancelled_at=None, claimed_at=None)
    )
    return result.rowcount


def cancel(session: Session, key_prefix: str, now: datetime) -> int:
    """Cancel every pending item whose key starts with ``key_prefix``; returns how many."""
    result = session.execute(
        update(DueItem)
        .where(DueItem.key.startswith(key_prefix, autoescape=True), pending())
        .values(cancelled_at=now)
    )
    return result.rowcount


def claim_due(
    session: Session,
    now: datetime,
    limit: int = 100,
    *,
    kinds: Collection[str] | None = None,
    stale_after: timedelta = STALE_CLAIM,
) -> list[Claimed]:
    """Claim up to ``limit`` items due by ``now`` (oldest first, of ``kinds`` if given);
    the caller commits."""
    claimable = (
        select(DueItem)
        .where(
            pending(),
            DueItem.due_at <= now,
            or_(DueItem.claimed_at.is_(None), DueItem.claimed_at < now - stale_after),
            DueItem.kind.in_(list(kinds)) if kinds is not None else true(),
        )
        .order_by(DueItem.due_at, DueItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    items = list(session.scalars(claimable))
    if items:
        session.execute(
            update(DueItem).where(DueItem.id.in_([i.id for i in items])).values(claimed_at=now)
        )
    return [Claimed(i.id, i.key, i.kind, i.due_at, dict(i.payload)) for i in items]


def lock_pending(session: Session, item_id: int) -> DueItem | None:
    """The item, locked, if it is still to do (None once done or cancelled by someone)."""
    return session.scalar(select(DueItem).where(DueItem.id == item_id, pending()).with_for_update())


def mark_done(session: Session, item_id: int, now: datetime) -> bool:
    """Set ``done_at`` unless already done or cancelled; True if this call did it."""
    result = session.execute(
        update(DueItem).where(DueItem.id == item_id, pending()).values(done_at=now)
    )
    return result.rowcount == 1


def set_outcome(session: Session, item_id: int, outcome: str) -> None:
    """Say why a done item did nothing (an expired reminder), for ``show``."""
    session.execute(update(DueItem).where(DueItem.id == item_id).values(outcome=outcome[:300]))


def renew_claim(session: Session, item_id: int, now: datetime) -> None:
    """A long piece of work says it is alive, so that its claim does not go stale."""
    session.execute(update(DueItem).where(DueItem.id == item_id, pending()).values(claimed_at=now))


def renew_claims(session: Session, item_ids: list[int], now: datetime) -> None:
    """Renew the claims of the items still to do among ``item_ids`` (the batch in hand)."""
    if item_ids:
        session.execute(
            update(DueItem)
            .where(DueItem.id.in_(item_ids), pending(), DueItem.claimed_at.is_not(None))
            .values(claimed_at=now)
        )


def next_due_at(
    session: Session, after: datetime, until: datetime, kinds: Collection[str]
) -> datetime | None:
    """The earliest pending due time of ``kinds`` in ``(after, until]`` (for simulations)."""
    return session.scalar(
        select(func.min(DueItem.due_at)).where(
            pending(),
            DueItem.due_at > after,
            DueItem.due_at <= until,
            DueItem.kind.in_(list(kinds)),
        )
    )
