"""What a correction would change, said on its confirmation page before it is done.

The correction's own service runs in a ``Rehearsal`` (``db/uow.py``): one transaction that
is always rolled back. What it would change is read inside that transaction, once the
service has run to its commit, and compared with what was there when it began: the
specialist's details and state; the places of the hubs and cohorts concerned; every
funding instalment, ledger row and funding line of the specialist (scheduled, scheduled
again, cancelled, removed, paid, clawed back, and for which school); the emails the outbox
would send; the reminders scheduled or cancelled.

No rule is repeated here: the code that will do the correction computes the preview, so
the page cannot disagree with what then happens, unless someone changes the specialist
meanwhile (the version the page shows is checked when the correction is confirmed). A
refusal (a guard, a full allocation, not permitted) is raised as the service raises it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.db.models import (
    Cohort,
    DueItem,
    FundingEntry,
    FundingLine,
    FundingYear,
    Hub,
    LedgerEntry,
    OutboxMessage,
    School,
    Specialist,
)
from workflow.db.uow import UnitOfWork
from workflow.services.auth import Actor
from workflow.services.outbox import SEND_EMAIL
from workflow.services.queries import places, places_used
from workflow.services.reminders import key_prefix

#: The details a preview compares, with the words the page uses for them.
DETAILS = {
    "name": "Name",
    "email": "Email",
    "school": "School",
    "hub": "Hub",
    "cohort": "Cohort",
    "state": "State",
}

#: An instalment's new status, as the page says it.
STATUS_CHANGE = {"scheduled": "scheduled again", "cancelled": "cancelled"}


@dataclass(frozen=True, slots=True)
class Change:
    label: str
    before: Any
    after: Any
    field: str


@dataclass(frozen=True, slots=True)
class Money:
    """One movement of money: ``what`` is scheduled, scheduled again, cancelled, moved,
    paid, clawed back, removed, claimed; for ``school``; ``detail`` says which line."""

    what: str
    amount_pence: int
    school: str
    detail: str
    due: date | None = None


@dataclass(frozen=True, slots=True)
class Places:
    hub: str
    cohort: int
    total: int
    used_before: int
    used_after: int

    @property
    def sentence(self) -> str:
        change = self.used_after - self.used_before
        verb = "uses" if change > 0 else "frees"
        noun = "place" if self.total == 1 else "places"
        return (
            f"This {verb} {abs(change)} of {self.hub}'s {self.total} {noun} for cohort "
            f"{self.cohort}: "
            f"{self.used_before} used now, {self.used_after} after"
        )


@dataclass(frozen=True, slots=True)
class Email:
    template: str
    to: str


@dataclass
class Preview:
    """What one correction would change; ``version`` is the specialist's version now."""

    version: int | None
    changes: list[Change] = field(default_factory=list)
    places: list[Places] = field(default_factory=list)
    money: list[Money] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    reminders_scheduled: int = 0
    reminders_cancelled: int = 0
    specialist_id: int | None = None
    result: Any = None

    @property
    def changed(self) -> dict[str, tuple[Any, Any]]:
        return {c.field: (c.before, c.after) for c in self.changes}

    @property
    def net_pence(self) -> dict[str, int]:
        """Per kind of movement, the total in pence (what the tests compare with the result)."""
        totals: dict[str, int] = {}
        for m in self.money:
            totals[m.what] = totals.get(m.what, 0) + m.amount_pence
        return totals


def rehearse(
    uow: UnitOfWork,
    actor: Actor,
    specialist_id: int | None,
    run: Callable[[UnitOfWork], Any],
) -> Preview:
    """Run ``run(rehearsal)`` (one service call) and roll it back; say what it changed.

    ``specialist_id`` is the specialist corrected; None for a nomination (the specialist
    it makes is found after). ``actor`` is the one ``run`` acts as: the service checks
    what they may do, and raises its refusal as it would when done.
    """
    seen: dict[str, Any] = {}

    def before(session: Session) -> None:
        seen["before"] = _snapshot(session, specialist_id)

    def after(session: Session) -> None:
        sid = specialist_id
        if sid is None:
            sid = session.scalar(
                select(func.max(Specialist.id)).where(
                    Specialist.id > seen["before"]["last_specialist"]
                )
            )
        seen["after"] = _snapshot(session, sid, seen["before"]["last_outbox"])
        ids = {
            row.school_id
            for facts in (seen["before"], seen["after"])
            for rows in ("entries", "ledger", "lines")
            for row in facts.get(rows, {}).values()
        }
        seen["after"]["schools"] = dict(
            session.execute(select(School.id, School.name).where(School.id.in_(ids))).all()
        )
        pairs = {p for p in (seen["before"].get("pair"), seen["after"].get("pair")) if p}
        seen["used_after"] = {p: places_used(session, *p) for p in pairs}

    result = run(uow.rehearsal(before, after))
    if "after" not in seen:  # pragma: no cover - every correction service commits
        raise RuntimeError("the service did not reach its commit")
    preview = _compare(seen["before"], seen["after"])
    preview.result = result
    with uow:  # rolled back: the database as it was before
        session = uow.session
        for pair, used_after in seen["used_after"].items():
            used_before = places_used(session, *pair)
            if used_before != used_after:
                hub = session.get(Hub, pair[0])
                cohort = session.get(Cohort, pair[1])
                preview.places.append(
                    Places(hub.name, cohort.number, places(session, *pair), used_before, used_after)
                )
    preview.places.sort(key=lambda p: p.used_after - p.used_before)
    return preview


def _snapshot(session: Session, sid: int | None, last_outbox: int | None = None) -> dict:
    facts: dict[str, Any] = {
        "last_specialist": session.scalar(select(func.coalesce(func.max(Specialist.id), 0))),
        "last_outbox": session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0))),
    }
    if sid is None:
        return facts
    row = session.execute(
        select(
            Specialist.name,
            Specialist.email,
            Specialist.state,
            Specialist.version,
            Specialist.cohort_id,
            School.name.label("school"),
            School.urn,
            School.hub_id,
            Hub.name.label("hub"),
            Cohort.number,
        )
        .join(School, School.id == Specialist.school_id)
        .join(Hub, Hub.id == School.hub_id)
        .join(Cohort, Cohort.id == Specialist.cohort_id)
        .where(Specialist.id == sid)
    ).one()
    facts.update(
        id=sid,
        details={
            "name": row.name,
            "email": row.email,
            "school": f"{row.school} (URN {row.urn})",
            "hub": row.hub,
            "cohort": row.number,
            "state": row.state,
        },
        version=row.version,
        pair=(row.hub_id, row.cohort_id),
        entries={
            e.id: e
            for e in session.execute(
                select(
                    FundingEntry.id, FundingEntry.programme_year, FundingEntry.instalment,
                    FundingEntry.amount_pence, FundingEntry.due_date, FundingEntry.status,
                    FundingEntry.school_id,
                ).where(FundingEntry.specialist_id == sid)
            )
        },
        ledger={
            e.id: e
            for e in session.execute(
                select(
                    LedgerEntry.id, LedgerEntry.programme_year, LedgerEntry.amount_pence,
                    LedgerEntry.school_id, LedgerEntry.reason,
                ).where(LedgerEntry.specialist_id == sid)
            )
        },
        lines={
            e.id: e
            for e in session.execute(
                select(
                    FundingLine.id, FundingLine.programme_year, FundingLine.kind,
                    FundingLine.amount_pence, FundingLine.school_id, FundingLine.removed_at,
                    FundingLine.claimable_on,
                ).where(FundingLine.specialist_id == sid)
            )
        },
        years={
            y.programme_year: y
            for y in session.execute(
                select(
                    FundingYear.programme_year, FundingYear.closed_on, FundingYear.cancelled_pence
                ).where(FundingYear.specialist_id == sid)
            )
        },
        reminders={
            key
            for key, in session.execute(
                select(DueItem.key).where(
                    DueItem.key.startswith(key_prefix(sid)),
                    DueItem.done_at.is_(None),
                    DueItem.cancelled_at.is_(None),
                )
            )
        },
    )  # fmt: skip
    if last_outbox is not None:
        facts["emails"] = [
            Email(payload["template"], payload["to"])
            for topic, payload in session.execute(
                select(OutboxMessage.topic, OutboxMessage.payload)
                .where(OutboxMessage.id > last_outbox)
                .order_by(OutboxMessage.id)
            )
            if topic == SEND_EMAIL and payload.get("specialist_id") == sid
        ]
    return facts


def _compare(before: dict, after: dict) -> Preview:
    preview = Preview(version=before.get("version"), specialist_id=after["id"])
    old = before.get("details", {})
    for key, label in DETAILS.items():
        if old.get(key) != after["details"][key]:
            preview.changes.append(Change(label, old.get(key), after["details"][key], key))
    schools = after["schools"]
    preview.money = _money(before, after, schools)
    preview.emails = after["emails"]
    preview.reminders_scheduled = len(after["reminders"] - before.get("reminders", set()))
    preview.reminders_cancelled = len(before.get("reminders", set()) - after["reminders"])
    return preview


def _money(before: dict, after: dict, schools: dict[int, str]) -> list[Money]:
    money: list[Money] = []
    was = before.get("entries", {})
    for eid, e in sorted(after["entries"].items()):
        line = f"Year {e.programme_year} instalment {e.instalment}"
        old = was.get(eid)
        if old is None:
            if e.status == "scheduled":
                money.append(Money("scheduled", e.amount_pence, schools[e.school_id], line,
                                   e.due_date))  # fmt: skip
        elif old.status != e.status:
            what = STATUS_CHANGE.get(e.status, e.status)
            money.append(Money(what, e.amount_pence, schools[e.school_id], line, e.due_date))
        elif old.school_id != e.school_id:
            money.append(
                Money("moves school", e.amount_pence, schools[e.school_id],
                      f"{line}, was for {schools[old.school_id]}", e.due_date)
            )  # fmt: skip
    for lid, e in sorted(after["ledger"].items()):
        if lid not in before.get("ledger", {}):
            what = "paid" if e.amount_pence > 0 else "clawed back"
            detail = f"Year {e.programme_year}" + (f": {e.reason}" if e.reason else "")
            money.append(Money(what, abs(e.amount_pence), schools[e.school_id], detail))
    lines = before.get("lines", {})
    for lid, e in sorted(after["lines"].items()):
        old = lines.get(lid)
        detail = f"Year {e.programme_year} {e.kind}"
        if old is None and e.removed_at is None:
            what = "clawed back" if e.kind == "clawback" else "to be paid"
            money.append(Money(what, abs(e.amount_pence), schools[e.school_id], detail,
                               e.claimable_on))  # fmt: skip
        elif old is not None and old.removed_at is None and e.removed_at is not None:
            money.append(Money("removed", e.amount_pence, schools[e.school_id], detail))
        elif old is not None and old.removed_at is not None and e.removed_at is None:
            money.append(Money("to be paid again", e.amount_pence, schools[e.school_id], detail))
    years = before.get("years", {})
    for year, y in sorted(after["years"].items()):
        old = years.get(year)
        if old is not None and old.closed_on is not None and y.closed_on is None:
            money.append(
                Money("year reopened", old.cancelled_pence, "",
                      f"Year {year}: what lapsed can be claimed again")
            )  # fmt: skip
        elif (old is None or old.closed_on is None) and y.closed_on is not None:
            money.append(Money("lapses", y.cancelled_pence, "", f"Year {year} closes"))
    return money
