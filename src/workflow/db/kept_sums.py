"""Sums the database keeps by its own triggers: the statements that create them on both
databases, from what each row of a table counts toward (used by ``reach`` and
``progress``).

A kept table has key columns and summed columns. Each table it depends on (a source)
says, as a ``SELECT`` over ``{rows}`` (the written rows), what they count toward: keys and
amounts. On every write to a source the trigger adds what the new rows count and takes
away what the old rows counted, as one upsert grouped by key, in key order (two writers
never take the same kept rows in opposite orders); a write that changes nothing counted
nets out and writes nothing.

PostgreSQL: statement-level triggers, ``{rows}`` the statement's transition tables (for
an update, only its rows whose change changes what they count: advancing a cohort changes
the state of thousands, which counts for little), so that a batch of thousands is one
upsert. SQLite: row-level triggers (it has no transition tables), ``{rows}`` a one-row
``SELECT`` of ``NEW`` or ``OLD``, an update firing them only when what the row counts
may change. The same statements otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from workflow.db import triggers


@dataclass(frozen=True)
class Source:
    """A table whose rows count toward a kept table (each row with an ``id``)."""

    table: str
    columns: tuple[str, ...]  # the row's columns ``counts`` reads
    counts: str  # SELECT keys and amounts, in the kept table's order, FROM {rows} r ...
    # What of a row, changed, changes what it counts ({r}: the row); default its columns.
    watched: tuple[str, ...] = ()

    def changed(self, old: str, new: str, differs: str) -> str:
        """A condition: the ``old`` and ``new`` row differ in what they count."""
        watched = self.watched or tuple(f"{{r}}.{c}" for c in self.columns)
        return " OR ".join(f"({w.format(r=old)}) {differs} ({w.format(r=new)})" for w in watched)


@dataclass(frozen=True)
class Kept:
    """A kept table, the sources it is kept from, and what follows each write (``after``:
    rows to drop, say). The first source's rows, every one counted, give the whole table
    (``fill``)."""

    table: str
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    sources: tuple[Source, ...]
    after: str = ""

    def _apply(self, new: str | None, old: str | None, source: Source) -> str:
        keys, sums = ", ".join(self.keys), self.sums
        parts = []
        if new:
            parts.append(f"SELECT * FROM ({source.counts.format(rows=new)}) a")
        if old:
            negated = ", ".join(f"-{s} AS {s}" for s in sums)
            parts.append(f"SELECT {keys}, {negated} FROM ({source.counts.format(rows=old)}) b")
        total = ", ".join(f"sum({s})" for s in sums)
        changed = " OR ".join(f"sum({s}) <> 0" for s in sums)
        added = ", ".join(f"{s} = {self.table}.{s} + excluded.{s}" for s in sums)
        # ``WHERE true``: SQLite would read ``ON CONFLICT`` after a bare FROM as a join's ON.
        return f"""
    INSERT INTO {self.table} ({keys}, {", ".join(sums)})
    SELECT {keys}, {total} FROM ({" UNION ALL ".join(parts)}) d
    WHERE true
    GROUP BY {keys}
    HAVING {changed}
    ORDER BY {keys}
    ON CONFLICT ({keys}) DO UPDATE SET {added};{self.after}"""

    def fill(self) -> str:
        """The statement working the table out afresh from the first source's rows."""
        keys, sums = ", ".join(self.keys), self.sums
        first = self.sources[0]
        return f"""
INSERT INTO {self.table} ({keys}, {", ".join(sums)})
SELECT {keys}, {", ".join(f"sum({s})" for s in sums)}
FROM ({first.counts.format(rows=first.table)}) counted
GROUP BY {keys}"""

    def install(self, connection: Connection) -> None:
        """Create the triggers for this database, then work the table out afresh."""
        triggers.run(connection, self.postgresql(), self.sqlite())
        connection.exec_driver_sql(f"DELETE FROM {self.table}")
        connection.exec_driver_sql(self.fill())

    def uninstall(self, connection: Connection) -> None:
        triggers.run(connection, self.postgresql_drop(), self.sqlite_drop())

    def _events(self, source: Source):
        for event, new, old in (("insert", True, False), ("delete", False, True),
                                ("update", True, True)):  # fmt: skip
            yield f"{self.table}_{source.table}_{event}", event.upper(), new, old

    def postgresql(self) -> list[str]:
        statements = []
        for source in self.sources:
            for name, event, new, old in self._events(source):
                tables = (["NEW TABLE AS new_rows"] if new else []) + (
                    ["OLD TABLE AS old_rows"] if old else []
                )
                new_rows, old_rows = "new_rows" if new else None, "old_rows" if old else None
                if new and old:  # only the rows whose change changes what they count
                    changed = source.changed("o", "n", "IS DISTINCT FROM")
                    new_rows = f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id " \
                        f"WHERE {changed})"  # fmt: skip
                    old_rows = f"(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id " \
                        f"WHERE {changed})"  # fmt: skip
                body = self._apply(new_rows, old_rows, source)
                statements += [
                    f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{body}
    RETURN NULL;
END $$""",
                    f"""CREATE TRIGGER {name} AFTER {event} ON {source.table}
       REFERENCING {" ".join(tables)}
       FOR EACH STATEMENT EXECUTE FUNCTION {name}()""",
                ]
        return statements

    def postgresql_drop(self) -> list[str]:
        names = [(n, s.table) for s in self.sources for n, *_ in self._events(s)]
        return [f"DROP TRIGGER IF EXISTS {n} ON {t}" for n, t in names] + [
            f"DROP FUNCTION IF EXISTS {n}()" for n, _ in names
        ]

    def sqlite(self) -> list[str]:
        statements = []
        for source in self.sources:

            def row(which: str, source: Source = source) -> str:
                return "(SELECT " + ", ".join(f"{which}.{c} AS {c}" for c in source.columns) + ")"

            for name, event, new, old in self._events(source):
                on = event
                when = ""
                if event == "UPDATE":
                    on = f"UPDATE OF {', '.join(source.columns)}"
                    when = "WHEN " + source.changed("OLD", "NEW", "IS NOT")
                body = self._apply(row("NEW") if new else None, row("OLD") if old else None,
                                   source)  # fmt: skip
                statements.append(
                    f"CREATE TRIGGER {name} AFTER {on} ON {source.table} {when}\nBEGIN{body}\nEND"
                )
        return statements

    def sqlite_drop(self) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {n}" for s in self.sources for n, *_ in self._events(s)]
