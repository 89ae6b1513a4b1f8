"""The triggers that keep ``schools_reached``: each cohort's schools reached, per hub.

A school is reached by a hub in a cohort when it is the school of one of the hub's
specialists of that cohort who ever held a place (``ever_selected``), or takes part in a
Work Group of one who ever led Work Groups (``ever_year3``). The national report counts
them per hub and nationally; worked out from the specialists, it read every selected
specialist of the cohort and every school of their Work Groups, so it grew with the
cohort. Kept, it reads the schools reached, which the number of schools bounds.

Each row is one (cohort, hub, URN) with ``refs``, how many reasons reach it (a
specialist's own school, each Work Group school); a row goes with its last reason. A
specialist's hub is their school's, read at the time of the write (as for the tallies).

Kept by the database (``db/kept_sums.py``), in the transaction of the write, so that every
way of writing keeps it: a selection, the advance into Year 3, a move to another school or
cohort, a Work Group recorded, bulk SQL; a school moved to another hub, or renumbered,
takes its reach with it.

Installed by the migration ``schools_reached`` (``install``), which works it out from
what there is.
"""

from __future__ import annotations

from workflow.db.kept_sums import Kept, Source

TABLE = "schools_reached"

# What a specialist reaches, their hub, their school's URN and the rows read given by
# ``{hub}``, ``{urn}`` and ``{source}``: (cohort, hub, URN, 1) for each reason.
_REASONS = """
    SELECT s.cohort_id AS cohort_id, {hub} AS hub_id, {urn} AS urn, 1 AS refs
    FROM {source}
    WHERE s.ever_selected
    UNION ALL
    SELECT s.cohort_id, {hub}, g.urn, 1
    FROM {source}
    JOIN work_groups w ON w.specialist_id = s.id
    JOIN work_group_schools g ON g.work_group_id = w.id
    WHERE s.ever_year3"""

SPECIALISTS = Source(
    "specialists",
    ("id", "cohort_id", "school_id", "ever_selected", "ever_year3"),
    _REASONS.format(
        hub="sc.hub_id", urn="sc.urn", source="{rows} s JOIN schools sc ON sc.id = s.school_id"
    ),
)
SCHOOLS = Source(
    "schools",
    ("id", "hub_id", "urn"),
    _REASONS.format(
        hub="r.hub_id", urn="r.urn", source="{rows} r JOIN specialists s ON s.school_id = r.id"
    ),
)
WORK_GROUPS = Source(
    "work_groups",
    ("id", "specialist_id"),
    """
    SELECT s.cohort_id AS cohort_id, sc.hub_id AS hub_id, g.urn AS urn, 1 AS refs
    FROM {rows} r
    JOIN specialists s ON s.id = r.specialist_id
    JOIN schools sc ON sc.id = s.school_id
    JOIN work_group_schools g ON g.work_group_id = r.id
    WHERE s.ever_year3""",
)
WORK_GROUP_SCHOOLS = Source(
    "work_group_schools",
    ("work_group_id", "urn"),
    """
    SELECT s.cohort_id AS cohort_id, sc.hub_id AS hub_id, r.urn AS urn, 1 AS refs
    FROM {rows} r
    JOIN work_groups w ON w.id = r.work_group_id
    JOIN specialists s ON s.id = w.specialist_id
    JOIN schools sc ON sc.id = s.school_id
    WHERE s.ever_year3""",
)

KEPT = Kept(
    TABLE,
    keys=("cohort_id", "hub_id", "urn"),
    sums=("refs",),
    sources=(SPECIALISTS, SCHOOLS, WORK_GROUPS, WORK_GROUP_SCHOOLS),
    # The rows left with no reason (found by a partial index of them: usually none).
    after="\n    DELETE FROM schools_reached WHERE refs <= 0;",
)

# As the other kept figures' modules (``tallies``, ``specialist_hub``), for the migrations.
install, uninstall = KEPT.install, KEPT.uninstall
