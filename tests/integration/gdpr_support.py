"""Shared by the personal data tests: a runtime with an erasure key, a paid Year 1 specialist
whose name and address are spread through the database, and a search of every column."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from tempfile import mkdtemp
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData, func, select

from tests.integration.conftest import ADMIN, World, build_world, instalment_rules
from workflow.bootstrap import bootstrap
from workflow.config import Settings
from workflow.db.models import AuditEntry, FundingEntry, LedgerEntry, Specialist
from workflow.errors import NotFound
from workflow.scheduler.dispatch import dispatch_due
from workflow.services.auth import Actor, Role
from workflow.services.changes import edit_specialist
from workflow.services.funding import adjust, funding_report
from workflow.services.specialists import NominationRequest, nominate, record_milestone, transition
from workflow.states.lifecycle import replay
from workflow.workers.embedded import drain

KEY = "test-erasure-key-0123456789"
LONDON = ZoneInfo("Europe/London")
NAME = "Élodie Quartermaine"  # SQLite's lower() leaves É as it is
EMAIL = "Zeb.Quartermaine@school.example"
# What they were nominated as, before a correction (kept in the correction's details).
OLD_NAME, OLD_EMAIL = "Élodie Oldacre-Zed", "e.oldacre@school.example"
# As the test world does: several nominees at one school, on purpose (a national admin may).
ACCEPT = {"accept": frozenset({"extra_nominee", "not_duplicate", "late"}), "reason": "test"}


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)


def keyed_runtime(database_url, clock, tmp_path):
    settings = Settings(database_url=database_url, mail_dir=tmp_path / "mail", erasure_key=KEY)
    return bootstrap(settings, clock=clock)


@dataclass
class Paid:
    world: World
    subject: int
    bystander: int


def paid_year1_specialist(runtime, clock) -> Paid:
    """A specialist who was selected, started Year 1, was paid an instalment and an
    adjustment, received emails, was named in reasons and a refusal, and withdrew."""
    # Cohort 9 paid in fixed instalments: the erasure is checked against a paid ledger.
    world = build_world(runtime, clock, instalment_rules(Path(mkdtemp()), "cohort-9"))
    uow = runtime.uow
    (bystander,) = world.nominate(1)
    request = NominationRequest(
        9, world.school, OLD_NAME, OLD_EMAIL, True, date(2018, 9, 1), **ACCEPT
    )
    subject = nominate(uow(), ADMIN, request, clock.now())
    drain(runtime)  # the nomination emails go to the old address
    other_hub = Actor("staff@south.example", Role.HUB_STAFF, hub_id=2)
    with suppress(NotFound):  # refused, and recorded with the request (name, address)
        nominate(uow(), other_hub, request, clock.now())
    edit_specialist(uow(), ADMIN, subject, clock.now(), name=NAME, email=EMAIL, reason="married")
    for sid in (bystander, subject):
        transition(uow(), ADMIN, sid, "select", clock.now())
        record_milestone(uow(), ADMIN, sid, "launch_attended", clock.now())
    drain(runtime)
    clock.set(at(date(2025, 9, 1)))
    for sid in (bystander, subject):
        transition(uow(), ADMIN, sid, "start_year1", clock.now())
        record_milestone(uow(), ADMIN, sid, "central_day", clock.now(), half_days=4)
    clock.set(at(date(2026, 1, 15)))
    dispatch_due(runtime)  # what the scheduler runs: the funding due by now is released
    drain(runtime)
    with uow() as u:
        paid = u.session.scalar(
            select(func.sum(LedgerEntry.amount_pence)).where(LedgerEntry.specialist_id == subject)
        )
    assert paid and paid > 0  # a paid Year 1 specialist
    adjust(uow(), ADMIN, subject, 1, 5_000, f"extra day agreed with {NAME}", clock.now())
    # Someone else's row naming them (by name only): found by searching, not by link.
    adjust(uow(), ADMIN, bystander, 1, 1_000, f"covered a day for {NAME}", clock.now())
    clock.set(at(date(2026, 2, 2)))
    record_milestone(uow(), ADMIN, subject, "development_day", clock.now(), half_days=8)
    reason = f"{NAME.split()[0]} asked to leave ({EMAIL.lower()}), moving abroad"
    transition(uow(), ADMIN, subject, "withdraw", clock.now(), reason=reason)
    drain(runtime)
    return Paid(world, subject, bystander)


def money_trail(runtime, cohort: int = 9) -> dict:
    """Everything about money and history that erasure must leave as it was."""
    with runtime.uow() as uow:
        s = uow.session
        ledger = s.execute(
            select(
                LedgerEntry.id, LedgerEntry.specialist_id, LedgerEntry.school_id,
                LedgerEntry.programme_year, LedgerEntry.kind, LedgerEntry.amount_pence,
                LedgerEntry.funding_entry_id, LedgerEntry.at,
            ).order_by(LedgerEntry.id)
        ).all()  # fmt: skip
        entries = s.execute(
            select(
                FundingEntry.id, FundingEntry.specialist_id, FundingEntry.school_id,
                FundingEntry.programme_year, FundingEntry.instalment, FundingEntry.amount_pence,
                FundingEntry.due_date, FundingEntry.status,
            ).order_by(FundingEntry.id)
        ).all()  # fmt: skip
        audit = s.execute(
            select(
                AuditEntry.id, AuditEntry.specialist_id, AuditEntry.kind, AuditEntry.name,
                AuditEntry.from_state, AuditEntry.to_state, AuditEntry.half_days,
                AuditEntry.occurred_on, AuditEntry.programme_year, AuditEntry.at,
                AuditEntry.override,
            ).order_by(AuditEntry.id)
        ).all()  # fmt: skip
        report = funding_report(s, ADMIN, cohort).as_dict()
    return {"ledger": ledger, "entries": entries, "audit": audit, "report": report}


def replays_to_stored_state(runtime) -> dict[int, tuple[str, str]]:
    """Each specialist's replayed audit trail and stored state."""
    with runtime.uow() as uow:
        s = uow.session
        result = {}
        for sid, state in s.execute(select(Specialist.id, Specialist.state)):
            trail = s.execute(
                select(AuditEntry.name, AuditEntry.from_state, AuditEntry.to_state)
                .where(AuditEntry.specialist_id == sid, AuditEntry.kind == "transition")
                .order_by(AuditEntry.id)
            ).all()
            result[sid] = (replay([tuple(t) for t in trail]).value, state)
    return result


def find_everywhere(engine, needles: list[str]) -> list[tuple[str, str, str]]:
    """``(table, column, needle)`` wherever a needle occurs, ignoring case, in any column of
    any table of the database (reflected: tables no model declares are searched too)."""
    metadata = MetaData()
    metadata.reflect(engine)
    lowered = [n.lower() for n in needles]
    found = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    text = str(value).lower() if value is not None else ""
                    if isinstance(value, bytes):
                        text = value.decode("latin-1").lower()
                    found += [(table.name, column, n) for n in lowered if n in text]
    return sorted(set(found))
