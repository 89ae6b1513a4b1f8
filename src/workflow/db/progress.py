"""The triggers that keep ``hub_progress``: how far each hub's specialists of each cohort
got, the national report's counts.

Per (cohort, hub): those who ever held a place (``selected``), of them those withdrawn
now, those who reached Year 2 and Year 3, those accredited (of those who held a place),
and those in Year 3 who lead a Work Group: sums over the specialists' kept columns
(``services/standing.py`` keeps how far each got, ``db/work_group_leads.py`` who leads).
Summed from the specialists, an older cohort's report read every one of them; kept, it
reads a row per hub. A specialist's hub is their school's, read at the time of the write.

Kept by the database (``db/kept_sums.py``), in the transaction of the write, so that
every way of writing a specialist keeps it; a school moved to another hub takes its
specialists' counts with it. A row that counts no one goes.

Installed by the migration ``hub_progress`` (``install``), which counts the
specialists there are.
"""

from __future__ import annotations

from workflow.db.kept_sums import Kept, Source

TABLE = "hub_progress"
SUMS = ("selected", "withdrawn", "year2", "year3", "accredited", "work_group_leads")

# What each specialist counts for, their hub given by ``{hub}``.
_COUNTS = """
    SELECT {cohort} AS cohort_id, {hub} AS hub_id,
        CASE WHEN s.ever_selected THEN 1 ELSE 0 END AS selected,
        CASE WHEN s.ever_selected AND s.state = 'withdrawn' THEN 1 ELSE 0 END AS withdrawn,
        CASE WHEN s.ever_year2 THEN 1 ELSE 0 END AS year2,
        CASE WHEN s.ever_year3 THEN 1 ELSE 0 END AS year3,
        CASE WHEN s.ever_selected AND s.accredited THEN 1 ELSE 0 END AS accredited,
        CASE WHEN s.ever_year3 AND s.leads_work_groups THEN 1 ELSE 0 END AS work_group_leads
    FROM {source}
    WHERE s.ever_selected OR s.ever_year2 OR s.ever_year3"""

# The specialist's columns counted from.
_COLUMNS = ("cohort_id", "school_id", "state", "ever_selected", "ever_year2", "ever_year3",
            "accredited", "leads_work_groups")  # fmt: skip
SPECIALISTS = Source(
    "specialists",
    _COLUMNS,
    _COUNTS.format(
        cohort="s.cohort_id",
        hub="sc.hub_id",
        source="{rows} s JOIN schools sc ON sc.id = s.school_id",
    ),
    # Of a change of state, only into or out of withdrawn counts (not each year's advance).
    watched=tuple("{r}.state = 'withdrawn'" if c == "state" else f"{{r}}.{c}" for c in _COLUMNS),
)
SCHOOLS = Source(
    "schools",
    ("id", "hub_id"),
    _COUNTS.format(
        cohort="s.cohort_id",
        hub="r.hub_id",
        source="{rows} r JOIN specialists s ON s.school_id = r.id",
    ),
)

KEPT = Kept(
    TABLE,
    keys=("cohort_id", "hub_id"),
    sums=SUMS,
    sources=(SPECIALISTS, SCHOOLS),
    # A row that counts no one any more goes (a hub and cohort's are some hundreds at most).
    after=f"\n    DELETE FROM hub_progress WHERE {' AND '.join(f'{s} = 0' for s in SUMS)};",
)

# As the other kept figures' modules (``tallies``, ``specialist_hub``), for the migrations.
install, uninstall = KEPT.install, KEPT.uninstall
