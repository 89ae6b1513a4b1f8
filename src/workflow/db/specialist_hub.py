"""The triggers that keep ``specialists.hub_id``: the hub of the specialist's school.

A specialist belongs to their school's hub. Reading it through ``schools`` costs a join, or
a condition over the hub's schools that no index can both filter and order by, so one
hub's list by name, its stuck and its counts grew with the hub. Kept on the specialist's
row, it is indexed with what the hub's pages read (``(hub_id, name, id)``, the stuck).

Kept by the database, so that every way of writing a specialist keeps it: a nomination,
an import, a move to another school, bulk SQL; and a school moved to another hub takes its
specialists with it. Nothing writes ``hub_id`` but these triggers.

PostgreSQL: a row-level ``BEFORE`` trigger sets it as the row is written (an ``UPDATE``
that does not name ``school_id``, as advancing does, does not fire it). SQLite: row-level
``AFTER`` triggers set it just after (SQLite cannot assign to ``NEW``).

Installed by the migration ``specialist_hub``, which fills it for the specialists there
are.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from workflow.db import triggers

FILL = "UPDATE specialists SET hub_id = (SELECT hub_id FROM schools WHERE schools.id = specialists.school_id)"  # noqa: E501

POSTGRESQL = [
    """
CREATE FUNCTION specialist_hub() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hub_id := (SELECT hub_id FROM schools WHERE id = NEW.school_id);
    RETURN NEW;
END $$""",
    """
CREATE FUNCTION specialist_hub_school_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE specialists SET hub_id = NEW.hub_id WHERE school_id = NEW.id;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER specialist_hub BEFORE INSERT OR UPDATE OF school_id, hub_id ON specialists
       FOR EACH ROW EXECUTE FUNCTION specialist_hub()""",
    """CREATE TRIGGER specialist_hub_school_moved AFTER UPDATE OF hub_id ON schools
       FOR EACH ROW WHEN (OLD.hub_id IS DISTINCT FROM NEW.hub_id)
       EXECUTE FUNCTION specialist_hub_school_moved()""",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS specialist_hub ON specialists",
    "DROP TRIGGER IF EXISTS specialist_hub_school_moved ON schools",
    "DROP FUNCTION IF EXISTS specialist_hub()",
    "DROP FUNCTION IF EXISTS specialist_hub_school_moved()",
]

_SQLITE_SET = """
    UPDATE specialists SET hub_id = (SELECT hub_id FROM schools WHERE id = NEW.school_id)
    WHERE id = NEW.id;"""

SQLITE = [
    f"""CREATE TRIGGER specialist_hub_insert AFTER INSERT ON specialists
BEGIN{_SQLITE_SET}
END""",
    # Also when hub_id itself is written: it can only be set to the school's hub again.
    f"""CREATE TRIGGER specialist_hub_update AFTER UPDATE OF school_id, hub_id ON specialists
WHEN NEW.hub_id IS NOT (SELECT hub_id FROM schools WHERE id = NEW.school_id)
BEGIN{_SQLITE_SET}
END""",
    """CREATE TRIGGER specialist_hub_school_moved AFTER UPDATE OF hub_id ON schools
WHEN OLD.hub_id IS NOT NEW.hub_id
BEGIN
    UPDATE specialists SET hub_id = NEW.hub_id WHERE school_id = NEW.id;
END""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS specialist_hub_insert",
    "DROP TRIGGER IF EXISTS specialist_hub_update",
    "DROP TRIGGER IF EXISTS specialist_hub_school_moved",
]


def install(connection: Connection) -> None:
    """Create the triggers for this database, then set every specialist's hub."""
    triggers.run(connection, POSTGRESQL, SQLITE)
    connection.exec_driver_sql(FILL)


def uninstall(connection: Connection) -> None:
    triggers.run(connection, POSTGRESQL_DROP, SQLITE_DROP)
