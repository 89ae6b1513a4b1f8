"""The triggers that keep ``specialists.leads_work_groups``: whether the specialist leads
at least one Work Group (``work_groups.role = 'leads'``).

The national report counts the Work Group Leads of each hub (``db/progress.py`` keeps
that count from the specialists' rows); kept on the row, being one is a column like the
others it sums, where asking ``work_groups`` for each of a cohort's specialists grew with
them. Kept by the database on every write to ``work_groups`` (a group recorded, given to
another specialist, its role changed, removed), so that no way of writing one leaves the
flag behind; nothing else writes it. PostgreSQL: statement-level triggers over the
statement's rows; SQLite: row-level.

Installed by the migration ``hub_progress``, which sets it for the groups there are.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from workflow.db import triggers

_LEADS = "EXISTS (SELECT 1 FROM work_groups w WHERE w.specialist_id = specialists.id" \
    " AND w.role = 'leads')"  # fmt: skip
_SET = f"""
    UPDATE specialists SET leads_work_groups = {_LEADS}
    WHERE id IN ({{ids}}) AND leads_work_groups <> {_LEADS};"""

FILL = f"UPDATE specialists SET leads_work_groups = {_LEADS}"

_EVENTS = {  # event: (PostgreSQL's transition tables, the specialists it may change)
    "INSERT": (["NEW TABLE AS new_rows"], "SELECT specialist_id FROM new_rows"),
    "DELETE": (["OLD TABLE AS old_rows"], "SELECT specialist_id FROM old_rows"),
    "UPDATE": (["NEW TABLE AS new_rows", "OLD TABLE AS old_rows"],
               "SELECT specialist_id FROM new_rows UNION SELECT specialist_id FROM old_rows"),
}  # fmt: skip
_SQLITE_IDS = {
    "INSERT": "NEW.specialist_id",
    "DELETE": "OLD.specialist_id",
    "UPDATE": "NEW.specialist_id, OLD.specialist_id",
}

POSTGRESQL = [
    statement
    for event, (tables, ids) in _EVENTS.items()
    for statement in (
        f"""CREATE FUNCTION work_group_leads_{event.lower()}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN{_SET.format(ids=ids)}
    RETURN NULL;
END $$""",
        f"""CREATE TRIGGER work_group_leads_{event.lower()} AFTER {event} ON work_groups
       REFERENCING {" ".join(tables)}
       FOR EACH STATEMENT EXECUTE FUNCTION work_group_leads_{event.lower()}()""",
    )
]
POSTGRESQL_DROP = [f"DROP TRIGGER IF EXISTS work_group_leads_{e.lower()} ON work_groups"
                   for e in _EVENTS] + [
    f"DROP FUNCTION IF EXISTS work_group_leads_{e.lower()}()" for e in _EVENTS
]  # fmt: skip
SQLITE = [
    f"""CREATE TRIGGER work_group_leads_{event.lower()} AFTER {event} ON work_groups
BEGIN{_SET.format(ids=ids)}
END"""
    for event, ids in _SQLITE_IDS.items()
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS work_group_leads_{e.lower()}" for e in _EVENTS]


def install(connection: Connection) -> None:
    """Create the triggers for this database, then set the flag for the groups there are."""
    triggers.run(connection, POSTGRESQL, SQLITE)
    connection.exec_driver_sql(FILL)


def uninstall(connection: Connection) -> None:
    triggers.run(connection, POSTGRESQL_DROP, SQLITE_DROP)
