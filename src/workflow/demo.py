"""The demonstration: a fresh database seeded with a plausible cohort 9, run to Year 3.

``run_demo`` builds a new SQLite database (the configured file, which must be empty or a
previous demo's), sets up every Maths Hub from ``data/maths_hubs.csv`` with 3 to 6
places, one or two state secondary schools each and a few ineligible schools, takes
about 150 nominations dated in June and July 2025 (the ineligible are refused with
their reasons), lets each hub's lead select within the allocation and decline the rest,
then walks the calendar: between simulated stretches (``scheduler.simulation``, which
advances the cohort, sends the reminders and releases funding when due) it records
what a hub would record on the day (launch attendance, central and development days,
accreditation in Year 2), with a few specialists missing a requirement, a few
withdrawals and deferrals (one resumed), and the hubs' finance teams paying each release
date's statements a week later. Schools nominate one lead teacher each (a few try a
second and are refused). A real year's corrections are woven in (``demo_real_year``): a
late nomination, a reserve reinstated, a voided milestone, a school move and a deferral
into cohort 10. It stops at the start of Year 3.

The random choices come from one seeded generator, so every run tells the same story.

Over 400 lines on purpose: it is one story told in order (set-up, nominations, selection,
the plan of each day's records, the run), and split across modules it would read as
fragments; the corrections of a real year are already apart (``demo_real_year``).
"""

from __future__ import annotations

import csv
import random
import shutil
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from workflow import demo_real_year
from workflow.bootstrap import bootstrap
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.db.engine import make_engine
from workflow.db.migrate import upgrade
from workflow.db.models import AuditEntry, School, Specialist, Staff
from workflow.db.models import Hub as HubRow
from workflow.errors import DomainError, GuardFailed, InvalidInput
from workflow.runtime import Runtime
from workflow.scheduler.simulation import Drain, Summary, simulate
from workflow.services import setup
from workflow.services.auth import Actor, Role
from workflow.services.funding.statements import list_statements, mark_paid
from workflow.services.queries import places_used
from workflow.services.recruitment import EXTRA_NOMINEE, LATE
from workflow.services.specialists import NominationRequest, nominate, record_milestone, transition
from workflow.services.staff import add_staff, init, set_password

SEED = 9
COHORT = 9
# The story's hours (a hub records at 4pm, nominations arrive in office hours) are hours in
# England, where the programme runs, whatever zone the operator's settings show times in.
STORY_ZONE = ZoneInfo("Europe/London")
ADMIN_EMAIL = "demo-admin@mathshubs.example"
ADMIN = Actor(ADMIN_EMAIL, Role.NATIONAL_ADMIN)
DEMO_LEAD_DOMAIN = ".mathshubs.example"  # each hub's lead: lead@CODE.mathshubs.example
START = date(2025, 6, 2)
END = date(2027, 10, 31)  # Year 3 (Work Group Lead) has begun
# The web application serves the demo at this moment (``make demo``), after the story.
SERVED_AT = "2027-11-01T09:00"
DEMO_PASSWORD = "mastery demo password"  # demo data only: printed by `make demo`
LATE_NOMINEES = ["Nadia Rahman", "Oliver Grant", "Sofia Mendes"]

FIRST = ["Amira", "Ben", "Chloe", "Dev", "Ella", "Farah", "George", "Hannah", "Imran", "Jess",
         "Kwame", "Laura", "Marcus", "Nadia", "Oliver", "Priya", "Qasim", "Rachel", "Sam",
         "Tom", "Uma", "Victor", "Wendy", "Yusuf", "Zoe"]  # fmt: skip
LAST = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal",
        "Jones", "Khan", "Lewis", "Morgan", "Nolan", "Owen", "Patel", "Roberts", "Shah",
        "Taylor", "Walker", "Wright", "Young"]  # fmt: skip
TOWNS = ["Riverside", "Oakfield", "Hillcrest", "Meadowbank", "Castlegate", "Northgate",
         "Kingsmead", "Ashford Park", "Brookside", "Fairview"]  # fmt: skip


@dataclass
class DemoResult:
    summary: Summary
    token: str
    database: str
    refused: list[tuple[str, str, list[str]]] = field(default_factory=list)
    selected: int = 0
    declined: int = 0
    actions: list[str] = field(default_factory=list)
    # (who, email, password) to sign in to the web application with (demo data only).
    sign_ins: list[tuple[str, str, str]] = field(default_factory=list)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=STORY_ZONE).astimezone(UTC)


def hubs_csv() -> list[dict[str, str]]:
    text = (files("workflow") / "data" / "maths_hubs.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def fresh_database(settings: Settings) -> Path:
    """Remove the demo's SQLite file and mail folder; refuse a database that is not a demo's."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput(
            "workflow demo builds a fresh SQLite database: WORKFLOW_DATABASE_URL points "
            "elsewhere; unset it (default sqlite:///var/workflow.db) or give a SQLite file"
        )
    path = Path(url.database)
    if path.exists() and not _is_demo_database(settings):
        raise DomainError(
            f"{path} holds data that is not the demo's; move it away or point "
            "WORKFLOW_DATABASE_URL at another SQLite file"
        )
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(settings.mail_dir, ignore_errors=True)
    return path


def _lead_email(hub_code: str) -> str:
    return f"lead@{hub_code}{DEMO_LEAD_DOMAIN}"


def _is_demo_lead(email: str) -> bool:
    return email.startswith("lead@") and email.endswith(DEMO_LEAD_DOMAIN)


def _is_demo_database(settings: Settings) -> bool:

    engine = make_engine(settings.database_url)
    try:
        if "staff" not in inspect(engine).get_table_names():
            return True  # empty or not ours at all: nothing of value to lose... unless tables
        with engine.connect() as connection:
            emails = set(connection.scalars(select(Staff.email)))
        return all(e == ADMIN_EMAIL or _is_demo_lead(e) for e in emails)
    finally:
        engine.dispose()


class Story:
    """The demo's world and its seeded choices."""

    def __init__(self, runtime: Runtime, say: Callable[[str], None]):
        self.rt = runtime
        self.clock: FixedClock = runtime.clock  # type: ignore[assignment]
        self.rng = random.Random(SEED)
        self.say = say
        self.schools: dict[str, list[str]] = {}  # hub code -> eligible URNs
        self.ineligible: list[str] = []
        self.places: dict[str, int] = {}
        self.result_refused: list[tuple[str, str, list[str]]] = []
        self.selected: list[int] = []
        self.declined = 0
        self.actions: list[str] = []
        self._urn = 137000
        self.admin = ADMIN
        self.at = at
        self.nominated_schools: set[str] = set()

    def now(self) -> datetime:
        return self.clock.now()

    def uow(self):
        return self.rt.uow()

    def next_urn(self) -> str:
        self._urn += self.rng.randint(1, 40)
        return str(self._urn)

    # --- setting up ------------------------------------------------------------------------

    def set_up(self) -> None:
        self.clock.set(at(START, 9))
        setup.add_cohort(self.uow(), ADMIN, COHORT, "cohort-9")
        for n, hub in enumerate(hubs_csv()):
            code = hub["code"]
            setup.add_hub(self.uow(), ADMIN, code, hub["name"], hub["region"])
            # A hub lead each (names from the lists, not the seeded choices): they receive
            # the stuck-specialists emails and the termly digests the demo writes.
            lead = f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}"
            add_staff(self.uow(), ADMIN, _lead_email(code), lead, "hub_lead", code, self.now())
            self.places[code] = self.rng.randint(3, 6)
            setup.allocate(self.uow(), ADMIN, code, COHORT, self.places[code])
            self.schools[code] = [
                self.add_school(code, self.rng.choice(["secondary", "all-through"]), "state")
                for _ in range(self.rng.randint(4, 7))  # one lead teacher per school
            ]
        codes = sorted(self.places)
        for phase, funding in [("primary", "state")] * 3 + [("secondary", "independent")] * 3:
            self.ineligible.append(self.add_school(self.rng.choice(codes), phase, funding))

    def add_school(self, hub: str, phase: str, funding: str) -> str:
        urn = self.next_urn()
        town = self.rng.choice(TOWNS)
        kind = {"primary": "Primary School", "secondary": "Academy"}.get(phase, "School")
        if funding == "independent":
            kind = "College"
        setup.add_school(
            self.uow(), ADMIN, urn=urn, name=f"{town} {kind}", hub_code=hub, phase=phase,
            funding=funding, head_name=f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}",
            head_email=f"head.{urn}@schools.example",
            finance_email=f"finance.{urn}@schools.example",
        )  # fmt: skip
        return urn

    # --- signing in to the web application ------------------------------------------------

    def web_accounts(self) -> list[tuple[str, str, str]]:
        """Web passwords for the demo's national admin and for the hub lead of the hub with
        the most places free, where three late nominations wait for a decision (made after the
        story's last action, so that the summary counts them)."""
        with self.uow() as uow:
            hubs = dict(uow.session.execute(select(HubRow.code, HubRow.id)).all())
            cohort_id = uow.session.scalar(select(Specialist.cohort_id).limit(1))
            free = {
                code: self.places[code] - places_used(uow.session, hubs[code], cohort_id)
                for code in sorted(self.places)
            }
        code = max(sorted(free), key=lambda c: free[c])
        lead = _lead_email(code)
        for email in (ADMIN_EMAIL, lead):
            set_password(self.uow(), ADMIN, email, DEMO_PASSWORD)
        for n, name in enumerate(LATE_NOMINEES):
            email = f"{name.replace(' ', '.').lower()}.late{n}@schools.example"
            request = NominationRequest(
                COHORT, self.schools[code][0], name, email, True, date(2018, 9, 1),
                accept=frozenset({LATE, EXTRA_NOMINEE}),
                reason="Late nominations kept for trying the web application",
            )  # fmt: skip
            nominate(self.uow(), ADMIN, request, self.now())
        return [("national admin", ADMIN_EMAIL, DEMO_PASSWORD), ("hub lead", lead, DEMO_PASSWORD)]

    # --- nominations and selection ---------------------------------------------------------

    def nominations(self, count: int = 150) -> None:
        codes = sorted(self.places)
        days = sorted(START + (date(2025, 7, 11) - START) * self.rng.random() for _ in range(count))
        for n, day in enumerate(days):
            self.clock.set(at(day, self.rng.randint(8, 17)))
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            qts, since = True, date(2025 - self.rng.randint(3, 15), 9, 1)
            hub_schools = self.schools[self.rng.choice(codes)]
            free = [u for u in hub_schools if u not in self.nominated_schools]
            urn = self.rng.choice(free if free and self.rng.random() > 0.04 else hub_schools)
            roll = self.rng.random()
            if roll < 0.03:
                qts = False
            elif roll < 0.06:
                since = date(2024, 9, 1)  # an early-career teacher
            elif roll < 0.10:
                urn = self.rng.choice(self.ineligible)
            request = NominationRequest(
                COHORT, urn, f"{first} {last}", f"{first}.{last}.{n}@schools.example".lower(),
                qts, since,
            )  # fmt: skip
            try:
                nominate(self.uow(), ADMIN, request, self.now())
                self.nominated_schools.add(urn)
            except GuardFailed as refused:
                self.result_refused.append((request.name, urn, refused.reasons))

    def selection(self) -> None:

        with self.uow() as uow:
            rows = uow.session.execute(
                select(Specialist.id, HubRow.code)
                .join(School, School.id == Specialist.school_id)
                .join(HubRow, HubRow.id == School.hub_id)
                .where(Specialist.state == "nominated")
                .order_by(Specialist.id)
            ).all()
        by_hub: dict[str, list[int]] = {}
        for sid, code in rows:
            by_hub.setdefault(code, []).append(sid)
        for code in sorted(by_hub):
            nominees = by_hub[code]
            self.rng.shuffle(nominees)
            self.clock.set(at(date(2025, 7, 14) + (date(2025, 7, 4) - date(2025, 7, 1)) *
                              self.rng.random(), 11))  # fmt: skip
            for sid in nominees:
                if len([s for s in nominees if s in self.selected]) < self.places[code]:
                    transition(self.uow(), ADMIN, sid, "select", self.now())
                    self.selected.append(sid)
                else:
                    transition(self.uow(), ADMIN, sid, "decline", self.now(),
                               reason="The hub's places for cohort 9 are taken.")  # fmt: skip
                    self.declined += 1

    # --- the programme's calendar ----------------------------------------------------------

    def plan(self) -> list[tuple[datetime, str, Callable[[], None]]]:
        """What happens on which day, between stretches of simulated time."""
        people = list(self.selected)
        self.rng.shuffle(people)
        withdraw_y1, withdraw_y2 = people[:2], people[2:3]
        defer_resume, defer_stay = people[3:4], people[4:5]
        miss_launch, miss_central = people[5:6], people[6:8]
        never_accredited = people[8:11]
        mover, doubled = people[11], people[12]
        gone = set(withdraw_y1 + defer_stay)
        steps: list[tuple[datetime, str, Callable[[], None]]] = list(
            demo_real_year.steps(self, people, mover, doubled, defer_stay[0])
        )

        def record(day, kind, ids, half_days=None, label=None):
            def act():
                for sid in ids:
                    self._record(sid, kind, day, half_days)

            steps.append((at(day, 16), label or f"{kind.replace('_', ' ')} for {len(ids)}", act))

        def decide(day, trigger, ids, reason=None):
            def act():
                for sid in ids:
                    transition(self.uow(), ADMIN, sid, trigger, self.now(), reason=reason)

            steps.append((at(day, 12), f"{trigger} {len(ids)}: {reason or ''}".rstrip(": "), act))

        def pay(day):
            def act():
                for statement in list_statements(self.uow(), ADMIN, COHORT):
                    if statement.status == "payable":
                        mark_paid(self.uow(), ADMIN, statement.id, self.now(), f"BACS {day:%y%m%d}")

            steps.append((at(day, 15), "hub finance teams pay the statements", act))

        # The statements of each release date are paid a week later; the last stays payable.
        for day in (date(2026, 1, 22), date(2026, 7, 22), date(2027, 1, 22)):
            pay(day)
        year1 = [p for p in people if p not in miss_launch]
        record(date(2025, 9, 30), "launch_attended", year1)
        record(date(2025, 10, 16), "central_day", people, 4)
        decide(date(2025, 11, 12), "withdraw", withdraw_y1, "Moving to a post abroad.")
        record(date(2025, 11, 20), "development_day", [p for p in people if p not in gone], 2)
        decide(date(2026, 1, 20), "defer", defer_resume + defer_stay, "Parental leave.")
        gone |= set(defer_resume)
        active = [p for p in people if p not in gone]
        record(date(2026, 1, 29), "central_day", active, 4)
        record(date(2026, 3, 12), "development_day", active, 2)
        decide(date(2026, 4, 20), "resume", defer_resume, None)
        gone -= set(defer_resume)
        active = [p for p in people if p not in gone]
        record(date(2026, 4, 28), "central_day", defer_resume, 8, "catch-up central days for 1")
        record(date(2026, 4, 28), "development_day", defer_resume, 4, "catch-up development days")
        record(date(2026, 5, 14), "central_day", [p for p in active if p not in miss_central], 3)
        # Year 2 (those who advanced on the first day of the autumn term)
        year2 = [p for p in active if p not in miss_launch + miss_central]
        record(date(2026, 10, 15), "central_day", year2, 6)
        decide(date(2026, 11, 5), "withdraw", withdraw_y2, "Left teaching.")
        year2 = [p for p in year2 if p not in withdraw_y2]
        record(date(2027, 2, 4), "central_day", year2, 5)
        accredited = [p for p in year2 if p not in never_accredited]
        half = len(accredited) // 2
        record(date(2027, 2, 25), "accreditation", accredited[:half])
        record(date(2027, 5, 13), "accreditation", accredited[half:])
        return sorted(steps, key=lambda step: step[0])

    def free_school(self) -> str | None:
        """An eligible school that has not nominated anyone."""
        free = [u for c in sorted(self.schools) for u in self.schools[c]
                if u not in self.nominated_schools]  # fmt: skip
        return free[0] if free else None

    def hub_of(self, sid: int) -> str:
        with self.uow() as uow:
            return uow.session.scalar(
                select(HubRow.code)
                .join(School, School.hub_id == HubRow.id)
                .join(Specialist, Specialist.school_id == School.id)
                .where(Specialist.id == sid)
            )

    def other_school_of(self, sid: int) -> str | None:
        """Another eligible school of the specialist's hub."""
        with self.uow() as uow:
            urn = uow.session.scalar(
                select(School.urn)
                .join(Specialist, Specialist.school_id == School.id)
                .where(Specialist.id == sid)
            )
        others = [u for u in self.schools[self.hub_of(sid)] if u != urn]
        return others[0] if others else None

    def milestones(self, sid: int) -> list[int]:
        with self.uow() as uow:
            return list(
                uow.session.scalars(
                    select(AuditEntry.id)
                    .where(AuditEntry.specialist_id == sid, AuditEntry.kind == "milestone")
                    .order_by(AuditEntry.id)
                )
            )

    def record(self, sid: int, kind: str, day: date, half_days: int | None) -> None:
        self._record(sid, kind, day, half_days)

    def _record(self, sid: int, kind: str, day: date, half_days: int | None) -> None:
        # Not in a state to record it (stuck a year behind, deferred): as a hub would find.
        with suppress(DomainError):
            record_milestone(self.uow(), ADMIN, sid, kind, self.now(), half_days=half_days, on=day)


def run_demo(
    settings: Settings,
    *,
    say: Callable[[str], None] = lambda _: None,
    drain: Drain | None = None,
) -> DemoResult:

    path = fresh_database(settings)
    runtime = bootstrap(settings, clock=FixedClock(at(START, 9)))
    try:
        upgrade(runtime.engine)
        token = init(runtime.uow(), ADMIN_EMAIL, "Demo Admin", runtime.clock.now())
        story = Story(runtime, say)
        say("setting up 30 hubs, their schools and places")
        story.set_up()
        say("taking nominations (June to July 2025)")
        story.nominations()
        runtime.clock.set(at(date(2025, 7, 14), 9))
        say("a late nomination, after the window closed on 11 July 2025")
        demo_real_year.late_nomination(story, COHORT)
        say("hub leads select within their places")
        story.selection()
        runtime.clock.set(at(date(2025, 8, 4), 11))
        say("a selected teacher withdraws; the hub reinstates its reserve")
        demo_real_year.reserve_reinstated(story)
        current = runtime.clock.now()
        for when, label, act in story.plan():
            simulate(runtime, current, when, drain=drain)
            say(f"{when.astimezone(settings.tz):%Y-%m-%d}: {label}")
            story.actions.append(f"{when.astimezone(settings.tz):%Y-%m-%d} {label}")
            act()
            current = when
        say("web sign-ins for a national admin and a hub lead, with three late nominations")
        sign_ins = story.web_accounts()
        say("simulating to the start of Year 3")
        summary = simulate(runtime, current, at(END, 23), drain=drain)
        return DemoResult(
            sign_ins=sign_ins,
            summary=summary,
            token=token,
            database=str(path),
            refused=story.result_refused,
            selected=len(story.selected),
            declined=story.declined,
            actions=story.actions,
        )
    finally:
        runtime.close()
