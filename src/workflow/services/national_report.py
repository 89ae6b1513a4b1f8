"""The national report: per cohort (or all cohorts), per hub and nationally, how the
programme is doing against its places and the strategic goal (65% of state-funded
secondary schools engaged).

What each measure counts, for the specialists of the cohort. A specialist belongs to the
hub of their school (as in every other report); "the trail" is the audit log, so a
measure that says "ever" still counts someone who has since withdrawn or deferred:

- **Places allocated**: the hub's allocation for the cohort (``hub_allocations``).
- **Places filled**: specialists holding a place now: selected, Year 1, Year 2, Work
  Group Lead or deferred (the dashboard's "places used").
- **Selected**: specialists who ever held a place: the trail has a transition of theirs
  into one of those states. A place freed by a withdrawal and filled again counts twice.
- **Withdrawn**: selected specialists who are withdrawn now (a nominee who withdrew
  before selection is not counted; one reinstated since is not withdrawn).
- **Retained into Year 2**: selected specialists who started Year 2 (a transition into
  ``year2`` in the trail), whatever they are now.
- **Retained into Year 3**: selected specialists who started Year 3 (a transition into
  ``work_group_lead``), whatever they are now.
- **Accredited**: selected specialists with an accreditation milestone that counts (not
  voided), including those already accredited when nominated.
- **Work Group Leads**: specialists who started Year 3 and lead at least one recorded
  Work Group (``work_groups.role = 'leads'``).
- **Schools reached**: distinct schools (by URN) that are the school of a selected
  specialist, or take part in a Work Group of one of the cohort's specialists (led or
  joined). Per hub: through that hub's specialists; nationally: distinct over every hub
  (a school reached by two hubs counts once), so the national figure can be less than the
  hubs' sum.
- **Share of secondary schools**: schools reached divided by the state-funded secondary
  schools in the hub's area (``hubs.secondary_schools``, set with the hub; none when not
  known). Nationally: divided by the sum over every hub whose number is known.

Read from what the database keeps as specialists change, never from the specialists
themselves: places filled from the tallies (``db/tallies.py``), how far they got per hub
and cohort (``hub_progress``, ``db/progress.py``, summing the columns where each
specialist's trail is kept, ``services/standing.py``, and ``leads_work_groups``), the
schools reached per hub and cohort (``schools_reached``, ``db/reach.py``). So the report
reads some rows per hub, and the schools reached, whatever the number of specialists: at
100,000, summing an older cohort's specialists and their Work Groups' schools took most
of its time, and grew with the cohort (bench/README.md has the figures).

Who sees what: national staff every hub and the national total; hub staff (lead, staff,
viewer) their own hub's row only, and no national total.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import distinct, func, null, select, union_all
from sqlalchemy.orm import Session

from workflow.db.models import (
    Cohort,
    Hub,
    HubAllocation,
    HubProgress,
    SchoolReached,
)
from workflow.db.progress import SUMS
from workflow.db.uow import UnitOfWork
from workflow.services.auth import Action, Actor, authorize, logs_refusals
from workflow.services.setup import cohort_by_number
from workflow.services.views import places_used

ALL = "all"  # every cohort together
#: The strategic goal: the share of state-funded secondary schools engaged.
GOAL = 0.65

#: The measures in order: key, label, what it counts (shown on the page and in the CLI).
MEASURES: list[tuple[str, str, str]] = [
    ("allocated", "Places allocated", "The hub's places for the cohort."),
    ("filled", "Places filled",
     "Specialists holding a place now: selected, Year 1, Year 2, Work Group Lead or deferred."),
    ("selected", "Selected",
     "Specialists who ever held a place, including those who have since withdrawn."),
    ("withdrawn", "Withdrawn", "Selected specialists who are withdrawn now."),
    ("year2", "Retained into Year 2", "Selected specialists who started Year 2."),
    ("year3", "Retained into Year 3",
     "Selected specialists who started Year 3 (became Work Group Leads)."),
    ("accredited", "Accredited",
     "Selected specialists with an accreditation recorded (not voided), including those "
     "already accredited when nominated."),
    ("work_group_leads", "Work Group Leads",
     "Specialists who lead at least one recorded Work Group."),
    ("schools_reached", "Schools reached",
     "Distinct schools that are a selected specialist's school or take part in one of the "
     "cohort's Work Groups. Nationally a school reached by two hubs counts once. A Work "
     "Group's schools need not be in the hub's area, so a hub's share can pass 100%."),
    ("secondary_schools", "State-funded secondary schools in the area",
     "As recorded for the hub; blank when not known."),
]  # fmt: skip
#: The measures whose national figure is the hubs' sum (schools reached is distinct).
SUMMED = [k for k, _, _ in MEASURES if k not in ("schools_reached", "secondary_schools")]


@dataclass(frozen=True, slots=True)
class Measures:
    allocated: int = 0
    filled: int = 0
    selected: int = 0
    withdrawn: int = 0
    year2: int = 0
    year3: int = 0
    accredited: int = 0
    work_group_leads: int = 0
    schools_reached: int = 0
    secondary_schools: int | None = None

    @property
    def share(self) -> float | None:
        """Schools reached as a share of the area's state-funded secondary schools."""
        if not self.secondary_schools:
            return None
        return self.schools_reached / self.secondary_schools

    def as_dict(self) -> dict:
        return {**asdict(self), "share": self.share}


@dataclass(frozen=True, slots=True)
class HubRow:
    code: str
    name: str
    measures: Measures

    def as_dict(self) -> dict:
        return {"hub": self.code, "name": self.name, **self.measures.as_dict()}


@dataclass(frozen=True, slots=True)
class NationalReport:
    cohort: int | None  # None: every cohort together
    cohorts: list[int]  # every cohort, newest first (for a chooser)
    hubs: list[HubRow]
    national: Measures | None  # national staff only
    hubs_known: int = 0  # hubs whose secondary schools are known (national denominator)
    hubs_total: int = 0
    goal: float = GOAL
    definitions: list[tuple[str, str, str]] = field(default_factory=lambda: list(MEASURES))

    def as_dict(self) -> dict:
        return {
            "cohort": self.cohort,
            "goal": self.goal,
            "hubs": [h.as_dict() for h in self.hubs],
            "national": None
            if self.national is None
            else {
                **self.national.as_dict(),
                "hubs_known": self.hubs_known,
                "hubs_total": self.hubs_total,
            },
        }


@logs_refusals("report national")
def national_report(
    uow: UnitOfWork, actor: Actor, cohort: int | str | None = None
) -> NationalReport:
    """The report for cohort number ``cohort``; ``ALL``: every cohort together; ``None``:
    the newest cohort (every cohort together when there is none)."""
    with uow:
        return build(uow.session, actor, cohort)


def build(session: Session, actor: Actor, cohort: int | str | None) -> NationalReport:
    authorize(actor, Action.VIEW)
    if cohort is None:
        cohort = session.scalar(select(func.max(Cohort.number)))
    number = None if cohort is None or cohort == ALL else int(cohort)
    cohort_id = cohort_by_number(session, number).id if number is not None else None
    hub_id = None if actor.national else actor.hub_id
    if hub_id is None and not actor.national:
        hub_id = -1  # a hub role without a hub sees nothing

    allocated = _allocations(session, cohort_id, hub_id)
    filled: dict[int, int] = {}  # every hub with a specialist (the tallies the database keeps)
    for (hub, _), n in places_used(session, hub_id, cohort_id).items():
        filled[hub] = filled.get(hub, 0) + n
    progress = _progress(session, cohort_id, hub_id)
    reached_by_hub, reached_nationally = _reached(session, cohort_id, hub_id, actor.national)

    hubs = session.execute(
        select(Hub.id, Hub.code, Hub.name, Hub.secondary_schools).order_by(Hub.name)
    ).all()
    rows = []
    for h in hubs:
        if hub_id is not None and h.id != hub_id:
            continue
        if h.id not in allocated and h.id not in filled:
            continue
        got = progress.get(h.id, {})
        rows.append(
            HubRow(
                code=h.code,
                name=h.name,
                measures=Measures(
                    allocated=allocated.get(h.id, 0),
                    filled=filled.get(h.id, 0),
                    **got,
                    schools_reached=reached_by_hub.get(h.id, 0),
                    secondary_schools=h.secondary_schools,
                ),
            )
        )
    cohorts = list(session.scalars(select(Cohort.number).order_by(Cohort.number.desc())))
    if not actor.national:
        return NationalReport(cohort=number, cohorts=cohorts, hubs=rows, national=None)
    known = [h.secondary_schools for h in hubs if h.secondary_schools is not None]
    national = Measures(
        **{key: sum(getattr(r.measures, key) for r in rows) for key in SUMMED},
        schools_reached=reached_nationally,
        secondary_schools=sum(known) if known else None,
    )
    return NationalReport(
        cohort=number,
        cohorts=cohorts,
        hubs=rows,
        national=national,
        hubs_known=len(known),
        hubs_total=len(hubs),
    )


def _allocations(session: Session, cohort_id: int | None, hub_id: int | None) -> dict[int, int]:
    query = select(HubAllocation.hub_id, func.sum(HubAllocation.places)).group_by(
        HubAllocation.hub_id
    )
    if cohort_id is not None:
        query = query.where(HubAllocation.cohort_id == cohort_id)
    if hub_id is not None:
        query = query.where(HubAllocation.hub_id == hub_id)
    return {h: int(n) for h, n in session.execute(query)}


def _progress(
    session: Session, cohort_id: int | None, hub_id: int | None
) -> dict[int, dict[str, int]]:
    """How far each hub's specialists got: ``{hub id: {measure: how many}}`` for the
    measures ``hub_progress`` keeps (``db/progress.py``), summed over the cohorts when
    ``cohort_id`` is None."""
    query = select(HubProgress.hub_id, *(func.sum(getattr(HubProgress, k)) for k in SUMS))
    if cohort_id is not None:
        query = query.where(HubProgress.cohort_id == cohort_id)
    if hub_id is not None:
        query = query.where(HubProgress.hub_id == hub_id)
    rows = session.execute(query.group_by(HubProgress.hub_id))
    return {hub: dict(zip(SUMS, map(int, sums), strict=True)) for hub, *sums in rows}


def _reached(
    session: Session, cohort_id: int | None, hub_id: int | None, nationally: bool
) -> tuple[dict[int, int], int]:
    """Schools reached: per hub, the distinct URNs of the schools of its selected
    specialists and of their Work Groups' schools (led or joined); and, when
    ``nationally``, the distinct URNs over every hub. Read from what the database keeps
    (``schools_reached``, ``db/reach.py``): worked out from the specialists, an older
    cohort's report read every selected specialist and Work Group school of the cohort."""
    kept = select(SchoolReached.hub_id, SchoolReached.urn)
    if cohort_id is not None:
        kept = kept.where(SchoolReached.cohort_id == cohort_id)
    if hub_id is not None:
        kept = kept.where(SchoolReached.hub_id == hub_id)
    reached = kept.cte("reached")
    # Distinct: every cohort together reaches a school once however many cohorts do.
    counts = select(reached.c.hub_id, func.count(distinct(reached.c.urn))).group_by(
        reached.c.hub_id
    )
    if nationally:
        everywhere = select(null().label("hub_id"), func.count(distinct(reached.c.urn)))
        counts = union_all(counts, everywhere)
    by_hub, national = {}, 0
    for hub, n in session.execute(counts):
        if hub is None:
            national = int(n)
        else:
            by_hub[hub] = int(n)
    return by_hub, national
