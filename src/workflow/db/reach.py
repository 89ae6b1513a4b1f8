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

Installed by the migration ``schools_reached``; ``FILL`` works it out from what there is.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from workflow.db import triggers
from workflow.db.kept_sums import Kept, Source

TABLE = "schools_reached"

# What each row reaches, by table: (cohort, hub, URN, 1) for each reason.
SPECIALISTS = Source(
    "specialists",
    ("id", "cohort_id", "school_id", "ever_selected", "ever_year3"),
    """
    SELECT r.cohort_id AS cohort_id, sc.hub_id AS hub_id, sc.urn AS urn, 1 AS refs
    FROM {rows} r JOIN schools sc ON sc.id = r.school_id
    WHERE r.ever_selected
    UNION ALL
    SELECT r.cohort_id, sc.hub_id, g.urn, 1
    FROM {rows} r
    JOIN schools sc ON sc.id = r.school_id
    JOIN work_groups w ON w.specialist_id = r.id
    JOIN work_group_schools g ON g.work_group_id = w.id
    WHERE r.ever_year3""",
)
SCHOOLS = Source(
    "schools",
    ("id", "hub_id", "urn"),
    """
    SELECT s.cohort_id AS cohort_id, r.hub_id AS hub_id, r.urn AS urn, 1 AS refs
    FROM {rows} r JOIN specialists s ON s.school_id = r.id
    WHERE s.ever_selected
    UNION ALL
    SELECT s.cohort_id, r.hub_id, g.urn, 1
    FROM {rows} r
    JOIN specialists s ON s.school_id = r.id
    JOIN work_groups w ON w.specialist_id = s.id
    JOIN work_group_schools g ON g.work_group_id = w.id
    WHERE s.ever_year3""",
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

FILL = f"""
INSERT INTO schools_reached (cohort_id, hub_id, urn, refs)
SELECT cohort_id, hub_id, urn, sum(refs)
FROM ({SPECIALISTS.counts.format(rows="specialists")}) reasons
GROUP BY cohort_id, hub_id, urn"""


def install(connection: Connection) -> None:
    """Create the triggers for this database, then work out the reach there is."""
    triggers.run(connection, KEPT.postgresql(), KEPT.sqlite())
    connection.exec_driver_sql(f"DELETE FROM {TABLE}")
    connection.exec_driver_sql(FILL)


def uninstall(connection: Connection) -> None:
    triggers.run(connection, KEPT.postgresql_drop(), KEPT.sqlite_drop())
