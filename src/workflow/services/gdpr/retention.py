"""Retention that runs by itself: three rules, applied daily by the scheduler, idempotently.

The periods are settings (``WORKFLOW_RETENTION_*``); the defaults and why:

- ``not_selected``: a nomination that was not selected is erased **12 months** after its
  cohort's Year 1 starts. Until Year 1 starts it is the reserve list (``reinstate``); a
  year on covers questions and complaints about the selection; after that nothing needs
  the person's name. It holds no money.
- ``email_content``: what was written into emails beyond the template (the reasons staff
  typed, carried in the outbox payload) is cleared **90 days** after sending: long enough to
  answer "what did that email say?", and the email log keeps which template went to whom
  and when. (Rendered bodies are not stored at all: they are rebuilt on demand.)
- ``left``: the personal details of a specialist who left (withdrawn) are erased **6 years**
  after the end of the last financial year (April to March) in which their school was
  paid for them, or in which they left if it was never paid: financial records are kept
  six years (Companies Act 2006 s.388; HMRC), and the amounts stay after the name goes.

Each rule picks what is due and not yet done (an erased specialist has an ``erasures`` row;
a cleared payload says ``[erased]``), so running twice changes nothing the second time.
``dry_run`` reports what would be done, changing nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.orm import Session

from workflow.db.models import AuditEntry, Cohort, Erasure, LedgerEntry, OutboxMessage, Specialist
from workflow.db.uow import UnitOfWork, session_erasure_key
from workflow.errors import NotPermitted
from workflow.services.auth import SYSTEM, Role
from workflow.services.gdpr.erase import erase_in, require_key
from workflow.services.gdpr.scrub import ERASED, scrub_json
from workflow.states.lifecycle import State


@dataclass(frozen=True)
class Rules:
    not_selected_months: int = 12
    email_content_days: int = 90
    left_years: int = 6

    @classmethod
    def from_settings(cls, settings) -> Rules:
        return cls(
            settings.retention_not_selected_months,
            settings.retention_email_content_days,
            settings.retention_left_years,
        )

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class RetentionReport:
    dry_run: bool
    not_selected_erased: list[int] = field(default_factory=list)
    left_erased: list[int] = field(default_factory=list)
    email_content_cleared: int = 0

    @property
    def changes(self) -> int:
        return len(self.not_selected_erased) + len(self.left_erased) + self.email_content_cleared

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "not_selected_erased": self.not_selected_erased,
            "left_erased": self.left_erased,
            "email_content_cleared": self.email_content_cleared,
        }


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def financial_year_end(day: date) -> date:
    """The 31 March that ends the (April to March) financial year holding ``day``."""
    return date(day.year if day.month <= 3 else day.year + 1, 3, 31)


def apply_retention(
    uow: UnitOfWork, rules: Rules, now: datetime, *, dry_run: bool = False
) -> RetentionReport:
    """Apply every rule as of ``now`` in one transaction (or only report, with ``dry_run``).

    Refused (``SettingsError``) when this process has no erasure key, unless a dry run."""
    report = RetentionReport(dry_run=dry_run)
    today = now.date()
    with uow:
        session = uow.session
        if not dry_run:
            require_key(session_erasure_key(session))
        report.not_selected_erased = _not_selected_due(session, rules, today)
        report.left_erased = _left_due(session, rules, today)
        for sid, why in [
            *((s, f"retention: not selected, {rules.not_selected_months} months after "
                  "the cohort's Year 1 start") for s in report.not_selected_erased),
            *((s, f"retention: left, {rules.left_years} years after the end of the last "
                  "financial year with a payment") for s in report.left_erased),
        ]:  # fmt: skip
            if not dry_run:
                erase_in(session, SYSTEM, sid, why, now)
        report.email_content_cleared = _clear_email_content(session, rules, now, dry_run)
        if not dry_run:
            uow.commit()
    return report


def _not_erased(query):
    return query.where(~select(Erasure.id).where(Erasure.specialist_id == Specialist.id).exists())


def _not_selected_due(session: Session, rules: Rules, today: date) -> list[int]:
    rows = session.execute(
        _not_erased(
            select(Specialist.id, Cohort.start_date)
            .join(Cohort, Cohort.id == Specialist.cohort_id)
            .where(Specialist.state == State.NOT_SELECTED.value)
        ).order_by(Specialist.id)
    ).all()
    return [sid for sid, start in rows if add_months(start, rules.not_selected_months) <= today]


def _left_due(session: Session, rules: Rules, today: date) -> list[int]:
    paid = (
        select(func.max(LedgerEntry.at))
        .where(LedgerEntry.specialist_id == Specialist.id)
        .scalar_subquery()
    )
    left = (
        select(func.max(AuditEntry.at))
        .where(AuditEntry.specialist_id == Specialist.id, AuditEntry.to_state == "withdrawn")
        .scalar_subquery()
    )
    rows = session.execute(
        _not_erased(
            select(Specialist.id, paid, left).where(Specialist.state == State.WITHDRAWN.value)
        ).order_by(Specialist.id)
    ).all()
    due = []
    for sid, last_paid, left_at in rows:
        moment = last_paid or left_at
        if moment is None:
            continue
        end = financial_year_end(_as_date(moment))
        if date(end.year + rules.left_years, end.month, end.day) < today:
            due.append(sid)
    return due


def _as_date(moment) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _clear_email_content(session: Session, rules: Rules, now: datetime, dry_run: bool) -> int:
    cutoff = now - timedelta(days=rules.email_content_days)
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.payload).where(
            OutboxMessage.sent_at.is_not(None),
            OutboxMessage.sent_at < cutoff,
            cast(OutboxMessage.payload, String).contains('"reason"'),
        )
    ).all()
    cleared = 0
    for row_id, payload in rows:
        scrubbed = scrub_json(payload, lambda text: text, ERASED)
        if scrubbed == payload:
            continue
        cleared += 1
        if not dry_run:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id).values(payload=scrubbed)
            )
    return cleared


def authorize_retention(actor) -> None:
    """Only a national admin runs retention by hand (the scheduler runs it as the system)."""
    if actor.role not in (Role.NATIONAL_ADMIN, Role.SYSTEM):
        raise NotPermitted("only a national admin may apply the retention rules")
