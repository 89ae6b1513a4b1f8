"""The triggers that keep ``specialist_tallies`` (cohort, hub, state -> how many).

The counts are kept by the database, in the transaction of the write, so that every way of
writing a specialist keeps them: a transition, a bulk advance's one UPDATE, a correction
moving someone to another cohort or school, an import, the bench's bulk SQL. A school
moved to another hub takes its specialists' counts with it. A specialist's hub is their
school's, read at the time of the write.

PostgreSQL: statement-level triggers with transition tables, so that advancing a batch of
thousands is one grouped upsert per statement, its rows taken in key order (two
statements never lock the same counts in opposite orders). An UPDATE that changes no key
(a name, a version) nets to nothing and touches no count. SQLite: row-level triggers.

Installed by the migration ``specialist_tallies``; ``COUNT_ALL`` fills the table from the
specialists there are.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from workflow.db import triggers

TABLE = "specialist_tallies"

COUNT_ALL = """
INSERT INTO specialist_tallies (cohort_id, hub_id, state, count)
SELECT s.cohort_id, sc.hub_id, s.state, count(*)
FROM specialists s JOIN schools sc ON sc.id = s.school_id
GROUP BY s.cohort_id, sc.hub_id, s.state
"""

# -- PostgreSQL -------------------------------------------------------------------------------

_PG_APPLY = """
    INSERT INTO specialist_tallies AS t (cohort_id, hub_id, state, count)
    SELECT d.cohort_id, d.hub_id, d.state, sum(d.n)
    FROM ({rows}) d
    GROUP BY d.cohort_id, d.hub_id, d.state
    HAVING sum(d.n) <> 0
    ORDER BY d.cohort_id, d.hub_id, d.state
    ON CONFLICT (cohort_id, hub_id, state) DO UPDATE SET count = t.count + excluded.count;
"""
_PG_ROWS = "SELECT x.cohort_id, sc.hub_id, x.state, {n} AS n FROM {table} x " \
    "JOIN schools sc ON sc.id = x.school_id"  # fmt: skip

POSTGRESQL = [
    f"""
CREATE FUNCTION specialist_tallies_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_PG_APPLY.format(rows=_PG_ROWS.format(n=1, table="new_rows"))}
    RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION specialist_tallies_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_PG_APPLY.format(rows=_PG_ROWS.format(n=-1, table="old_rows"))}
    RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION specialist_tallies_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{
        _PG_APPLY.format(
            rows=_PG_ROWS.format(n=1, table="new_rows")
            + " UNION ALL "
            + _PG_ROWS.format(n=-1, table="old_rows")
        )
    }
    RETURN NULL;
END $$""",
    # A school moving hub: its specialists' counts leave the old hub for the new.
    f"""
CREATE FUNCTION specialist_tallies_school_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{
        _PG_APPLY.format(
            rows='''
        SELECT s.cohort_id, n.hub_id, s.state, 1 AS n
        FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN specialists s ON s.school_id = n.id
        WHERE o.hub_id <> n.hub_id
        UNION ALL
        SELECT s.cohort_id, o.hub_id, s.state, -1 AS n
        FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN specialists s ON s.school_id = n.id
        WHERE o.hub_id <> n.hub_id'''
        )
    }
    RETURN NULL;
END $$""",
    """CREATE TRIGGER specialist_tallies_insert AFTER INSERT ON specialists
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION specialist_tallies_insert()""",
    """CREATE TRIGGER specialist_tallies_delete AFTER DELETE ON specialists
       REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION specialist_tallies_delete()""",
    """CREATE TRIGGER specialist_tallies_update AFTER UPDATE ON specialists
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION specialist_tallies_update()""",
    """CREATE TRIGGER specialist_tallies_school_moved AFTER UPDATE ON schools
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION specialist_tallies_school_moved()""",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS specialist_tallies_insert ON specialists",
    "DROP TRIGGER IF EXISTS specialist_tallies_delete ON specialists",
    "DROP TRIGGER IF EXISTS specialist_tallies_update ON specialists",
    "DROP TRIGGER IF EXISTS specialist_tallies_school_moved ON schools",
    "DROP FUNCTION IF EXISTS specialist_tallies_insert()",
    "DROP FUNCTION IF EXISTS specialist_tallies_delete()",
    "DROP FUNCTION IF EXISTS specialist_tallies_update()",
    "DROP FUNCTION IF EXISTS specialist_tallies_school_moved()",
]

# -- SQLite -----------------------------------------------------------------------------------

_SQLITE_ADD = """
    INSERT INTO specialist_tallies (cohort_id, hub_id, state, count)
    SELECT NEW.cohort_id, hub_id, NEW.state, 1 FROM schools WHERE id = NEW.school_id
    ON CONFLICT (cohort_id, hub_id, state) DO UPDATE SET count = count + 1;"""
_SQLITE_REMOVE = """
    UPDATE specialist_tallies SET count = count - 1
    WHERE cohort_id = OLD.cohort_id AND state = OLD.state
      AND hub_id = (SELECT hub_id FROM schools WHERE id = OLD.school_id);"""

SQLITE = [
    f"""CREATE TRIGGER specialist_tallies_insert AFTER INSERT ON specialists
BEGIN{_SQLITE_ADD}
END""",
    f"""CREATE TRIGGER specialist_tallies_delete AFTER DELETE ON specialists
BEGIN{_SQLITE_REMOVE}
END""",
    f"""CREATE TRIGGER specialist_tallies_update AFTER UPDATE OF cohort_id, school_id, state
ON specialists
WHEN OLD.cohort_id IS NOT NEW.cohort_id OR OLD.school_id IS NOT NEW.school_id
  OR OLD.state IS NOT NEW.state
BEGIN{_SQLITE_REMOVE}{_SQLITE_ADD}
END""",
    """CREATE TRIGGER specialist_tallies_school_moved AFTER UPDATE OF hub_id ON schools
WHEN OLD.hub_id IS NOT NEW.hub_id
BEGIN
    UPDATE specialist_tallies SET count = count - (
        SELECT count(*) FROM specialists s
        WHERE s.school_id = NEW.id AND s.cohort_id = specialist_tallies.cohort_id
          AND s.state = specialist_tallies.state)
    WHERE hub_id = OLD.hub_id;
    INSERT INTO specialist_tallies (cohort_id, hub_id, state, count)
    SELECT cohort_id, NEW.hub_id, state, count(*) FROM specialists
    WHERE school_id = NEW.id GROUP BY cohort_id, state
    ON CONFLICT (cohort_id, hub_id, state) DO UPDATE SET count = count + excluded.count;
END""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS specialist_tallies_insert",
    "DROP TRIGGER IF EXISTS specialist_tallies_delete",
    "DROP TRIGGER IF EXISTS specialist_tallies_update",
    "DROP TRIGGER IF EXISTS specialist_tallies_school_moved",
]


def install(connection: Connection) -> None:
    """Create the triggers for this database, then count the specialists there are."""
    triggers.run(connection, POSTGRESQL, SQLITE)
    connection.exec_driver_sql("DELETE FROM specialist_tallies")
    connection.exec_driver_sql(COUNT_ALL)


def uninstall(connection: Connection) -> None:
    triggers.run(connection, POSTGRESQL_DROP, SQLITE_DROP)
