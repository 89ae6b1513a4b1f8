"""The funding ledger: money owed to a school, appended one row at a time and never edited.

``append`` is the one way a row is written. Each row says, in columns of its own, what it
is (``kind``) and why it exists (``origin``); no reader infers either from the reason text
or from an instalment's number:

- kind ``release``: an instalment paid; origin ``rules`` (one of the rules' instalments)
  or ``resume`` (scheduled again when a deferred specialist resumed);
- kind ``adjustment``: origin ``withdrawal`` (the days recorded, paid on withdrawal under
  ``on_withdrawal = "pro_rata"``) or ``manual`` (``funding adjust``: a correction that
  changes what the school is owed).

An instalment (``funding_entries``) carries its origin too (``rules`` or ``resume``), and
a release copies it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow.db.models import LedgerEntry

RELEASE, ADJUSTMENT = "release", "adjustment"
KINDS = (RELEASE, ADJUSTMENT)
RULES, RESUME, WITHDRAWAL, MANUAL = "rules", "resume", "withdrawal", "manual"
ORIGINS = {RELEASE: (RULES, RESUME), ADJUSTMENT: (WITHDRAWAL, MANUAL)}
PRO_RATA_REASON = "pro rata on withdrawal"


def append(
    session: Session,
    *,
    specialist_id: int,
    school_id: int,
    programme_year: int,
    kind: str,
    origin: str,
    amount_pence: int,
    actor: str,
    at: datetime,
    reason: str | None = None,
    funding_entry_id: int | None = None,
) -> LedgerEntry:
    """Append one ledger row (added to the session, flushed by the caller's unit of work)."""
    if origin not in ORIGINS.get(kind, ()):
        raise ValueError(f"a ledger row of kind {kind!r} cannot have origin {origin!r}")
    if (funding_entry_id is not None) != (kind == RELEASE):
        raise ValueError("a release row names its instalment, and only a release row does")
    row = LedgerEntry(
        specialist_id=specialist_id,
        school_id=school_id,
        programme_year=programme_year,
        funding_entry_id=funding_entry_id,
        kind=kind,
        origin=origin,
        amount_pence=amount_pence,
        actor=actor,
        reason=reason,
        at=at,
    )
    session.add(row)
    return row
