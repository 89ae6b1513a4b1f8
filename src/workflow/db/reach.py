"""The triggers that keep ``schools_reached``: each cohort's schools reached, per hub.

A school is reached by a hub in a cohort when it is the school of one of the hub's
specialists of that cohort who ever held a place (``ever_selected``), or takes part in a
Work Group of one who ever led Work Groups (``ever_year3``). The national report counts
them per hub and nationally; worked out from the specialists it read every selected
specialist of the cohort and every school of their Work Groups, so it grew with the
cohort. Kept, it reads the schools reached, which the number of schools bounds.

Each row is one (cohort, hub, URN) with ``refs``, how many of those reasons reach it (a
specialist's own school, each Work Group school): a row goes when its last reason goes.
A specialist's hub is their school's, read at the time of the write (as for the tallies).

Kept by the database, in the transaction of the write, so that every way of writing keeps
it: a selection, the advance into Year 3, a move to another school or cohort, a Work
Group recorded, bulk SQL; a school moved to another hub takes its reach with it. Row-level
triggers on both databases, each writing the difference between the row's reasons before
and after as one grouped upsert, then dropping the rows left with none; a write that
changes none of what reach depends on (advancing into Year 1 or 2, a name) does not fire
them. The same statements serve both databases: SQLite's trigger bodies and PostgreSQL's
trigger functions (PL/pgSQL), which differ only around them.

Installed by the migration ``schools_reached``; ``FILL`` works it out from what there is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from workflow.db import triggers

TABLE = "schools_reached"

# -- What reaches a school, for one row of each table the reach depends on -----------------

# A specialist ({r}: NEW or OLD): their school, and their Work Groups' schools.
_SPECIALIST = """
    SELECT {r}.cohort_id AS cohort_id, sc.hub_id AS hub_id, sc.urn AS urn
    FROM schools sc WHERE sc.id = {r}.school_id AND {r}.ever_selected
    UNION ALL
    SELECT {r}.cohort_id, sc.hub_id, g.urn
    FROM schools sc
    JOIN work_groups w ON w.specialist_id = {r}.id
    JOIN work_group_schools g ON g.work_group_id = w.id
    WHERE sc.id = {r}.school_id AND {r}.ever_year3"""

# A school: the reasons its specialists give, with its hub and URN as they were ({r}).
_SCHOOL = """
    SELECT s.cohort_id AS cohort_id, {r}.hub_id AS hub_id, {r}.urn AS urn
    FROM specialists s WHERE s.school_id = {r}.id AND s.ever_selected
    UNION ALL
    SELECT s.cohort_id, {r}.hub_id, g.urn
    FROM specialists s
    JOIN work_groups w ON w.specialist_id = s.id
    JOIN work_group_schools g ON g.work_group_id = w.id
    WHERE s.school_id = {r}.id AND s.ever_year3"""

# A school of a Work Group.
_GROUP_SCHOOL = """
    SELECT s.cohort_id AS cohort_id, sc.hub_id AS hub_id, {r}.urn AS urn
    FROM work_groups w
    JOIN specialists s ON s.id = w.specialist_id
    JOIN schools sc ON sc.id = s.school_id
    WHERE w.id = {r}.work_group_id AND s.ever_year3"""

# A Work Group (moved to another specialist).
_GROUP = """
    SELECT s.cohort_id AS cohort_id, sc.hub_id AS hub_id, g.urn AS urn
    FROM specialists s
    JOIN schools sc ON sc.id = s.school_id
    JOIN work_group_schools g ON g.work_group_id = {r}.id
    WHERE s.id = {r}.specialist_id AND s.ever_year3"""


def _apply(reasons: str, added: bool, removed: bool) -> str:
    """The statements adding the NEW row's reasons and taking away the OLD row's, as one
    grouped upsert (a row's reasons before and after net out), then dropping the rows no
    reason is left for (found by a partial index of them: usually none)."""
    parts = []
    if added:
        parts.append(f"SELECT cohort_id, hub_id, urn, 1 AS n FROM ({reasons.format(r='NEW')}) a")
    if removed:
        parts.append(f"SELECT cohort_id, hub_id, urn, -1 AS n FROM ({reasons.format(r='OLD')}) b")
    # ``WHERE true``: SQLite would read ``ON CONFLICT`` after a bare FROM as a join's ON.
    return f"""
    INSERT INTO schools_reached (cohort_id, hub_id, urn, refs)
    SELECT cohort_id, hub_id, urn, sum(n) FROM ({" UNION ALL ".join(parts)}) d
    WHERE true
    GROUP BY cohort_id, hub_id, urn
    HAVING sum(n) <> 0
    ON CONFLICT (cohort_id, hub_id, urn)
    DO UPDATE SET refs = schools_reached.refs + excluded.refs;
    DELETE FROM schools_reached WHERE refs <= 0;"""


@dataclass(frozen=True)
class _Trigger:
    name: str
    table: str
    event: str  # INSERT, DELETE or UPDATE OF ...
    reasons: str
    when: str = ""  # for an UPDATE: the columns whose change fires it ({ne}: "differs")

    @property
    def added(self) -> bool:
        return self.event != "DELETE"

    @property
    def removed(self) -> bool:
        return self.event != "INSERT"


_UPDATED = "UPDATE OF {}"


def _changed(*columns: str) -> str:
    return " OR ".join(f"OLD.{c} {{ne}} NEW.{c}" for c in columns)


_SPECIALIST_KEYS = ("cohort_id", "school_id", "ever_selected", "ever_year3")
_TRIGGERS = [
    _Trigger("specialist_insert", "specialists", "INSERT", _SPECIALIST),
    _Trigger("specialist_delete", "specialists", "DELETE", _SPECIALIST),
    _Trigger("specialist_update", "specialists", _UPDATED.format(", ".join(_SPECIALIST_KEYS)),
             _SPECIALIST, _changed(*_SPECIALIST_KEYS)),
    _Trigger("school_update", "schools", "UPDATE OF hub_id, urn", _SCHOOL,
             _changed("hub_id", "urn")),
    _Trigger("group_school_insert", "work_group_schools", "INSERT", _GROUP_SCHOOL),
    _Trigger("group_school_delete", "work_group_schools", "DELETE", _GROUP_SCHOOL),
    _Trigger("group_school_update", "work_group_schools", "UPDATE OF work_group_id, urn",
             _GROUP_SCHOOL, _changed("work_group_id", "urn")),
    _Trigger("group_update", "work_groups", "UPDATE OF specialist_id", _GROUP,
             _changed("specialist_id")),
]  # fmt: skip


def _postgresql(t: _Trigger) -> list[str]:
    when = f"WHEN ({t.when.format(ne='IS DISTINCT FROM')})" if t.when else ""
    return [
        f"""CREATE FUNCTION {TABLE}_{t.name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_apply(t.reasons, t.added, t.removed)}
    RETURN NULL;
END $$""",
        f"""CREATE TRIGGER {TABLE}_{t.name} AFTER {t.event} ON {t.table} FOR EACH ROW {when}
        EXECUTE FUNCTION {TABLE}_{t.name}()""",
    ]


def _sqlite(t: _Trigger) -> str:
    when = f"WHEN {t.when.format(ne='IS NOT')}" if t.when else ""
    return f"""CREATE TRIGGER {TABLE}_{t.name} AFTER {t.event} ON {t.table} {when}
BEGIN{_apply(t.reasons, t.added, t.removed)}
END"""


POSTGRESQL = [statement for t in _TRIGGERS for statement in _postgresql(t)]
POSTGRESQL_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_{t.name} ON {t.table}" for t in _TRIGGERS] + [
    f"DROP FUNCTION IF EXISTS {TABLE}_{t.name}()" for t in _TRIGGERS
]
SQLITE = [_sqlite(t) for t in _TRIGGERS]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_{t.name}" for t in _TRIGGERS]

FILL = """
INSERT INTO schools_reached (cohort_id, hub_id, urn, refs)
SELECT cohort_id, hub_id, urn, count(*) FROM (
    SELECT s.cohort_id AS cohort_id, sc.hub_id AS hub_id, sc.urn AS urn
    FROM specialists s JOIN schools sc ON sc.id = s.school_id WHERE s.ever_selected
    UNION ALL
    SELECT s.cohort_id, sc.hub_id, g.urn
    FROM specialists s
    JOIN schools sc ON sc.id = s.school_id
    JOIN work_groups w ON w.specialist_id = s.id
    JOIN work_group_schools g ON g.work_group_id = w.id
    WHERE s.ever_year3
) r
GROUP BY cohort_id, hub_id, urn"""


def install(connection: Connection) -> None:
    """Create the triggers for this database, then work out the reach there is."""
    triggers.run(connection, POSTGRESQL, SQLITE)
    connection.exec_driver_sql(f"DELETE FROM {TABLE}")
    connection.exec_driver_sql(FILL)


def uninstall(connection: Connection) -> None:
    triggers.run(connection, POSTGRESQL_DROP, SQLITE_DROP)
