"""A redacted copy of the database, for support and for reproducing problems.

``dump_redacted`` copies every table of the schema, from SQLite or PostgreSQL, into a new
SQLite file migrated to the same revision, replacing each personal field as
``db/personal.py`` declares it:

- a person's own name and address: the placeholder tied to the row's id
  (``Specialist 12``, ``specialist-12@erased.invalid``), the same everywhere it appears
  (an audit entry's actor is the placeholder of that member of staff);
- staff-written free text: ``[redacted]`` (system texts the code reads are kept);
- system text and message payloads: known names and addresses substituted, any other
  address replaced by ``[address]``;
- secrets (token hashes): replaced, so that no credential leaves with the copy.

Ids, states, dates and amounts are copied as they are, so that the copy behaves as the
original does (``WORKFLOW_DATABASE_URL=sqlite:///FILE workflow show 12``). The tables the
database's triggers keep (the tallies, the report's counts) are kept by the copy's own
triggers as the rows come, not copied. Tables no model
declares (APScheduler's job store, rebuilt when a scheduler starts) are not copied.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, select, text

from workflow.db import progress, reach, tallies
from workflow.db.engine import make_engine
from workflow.db.migrate import upgrade
from workflow.db.models import Base
from workflow.db.personal import Field, Kind, fields_of, subject_tables
from workflow.errors import InvalidInput, NotPermitted
from workflow.services.auth import Actor, Role
from workflow.services.gdpr.scrub import Substitution, scrub_json

REDACTED = "[redacted]"
ADDRESS = re.compile(r"[^\s<>(),;:\"']+@[^\s<>(),;:\"']+")
BATCH = 1_000


def dump_redacted(source: Engine, actor: Actor, path: Path) -> dict[str, int]:
    """Write the redacted copy to ``path`` (a new file); returns the rows copied per table."""
    if actor.role is not Role.NATIONAL_ADMIN:
        raise NotPermitted("only a national admin may dump the database")
    if path.exists():
        raise InvalidInput(f"{path} exists already: name a new file")
    target = make_engine(f"sqlite:///{path}")
    counts = {}
    try:
        upgrade(target)
        with source.connect() as reading, target.begin() as writing:
            redact = Redactor.build(reading)
            for table in Base.metadata.sorted_tables:
                if table.name not in (tallies.TABLE, reach.TABLE, progress.TABLE):
                    counts[table.name] = _copy(reading, writing, table, redact)
            # Not copied: the copy's own triggers kept them as the rows came (the source
            # may keep counts fallen to 0, which say nothing: not counted).
            counts[tallies.TABLE] = writing.scalar(
                text(f"SELECT count(*) FROM {tallies.TABLE} WHERE count > 0")
            )
            for kept in (reach.TABLE, progress.TABLE):  # a row that counts nothing goes
                counts[kept] = writing.scalar(text(f"SELECT count(*) FROM {kept}"))
    except BaseException:
        target.dispose()
        path.unlink(missing_ok=True)
        raise
    target.dispose()
    return counts


def _copy(reading, writing, table: Table, redact: Redactor) -> int:
    fields = fields_of(table.name)
    (key,) = table.primary_key.columns
    copied = 0
    result = reading.execution_options(yield_per=BATCH).execute(select(table).order_by(key))
    for rows in result.mappings().partitions():
        batch = [redact.row(table.name, key.name, dict(row), fields) for row in rows]
        writing.execute(table.insert(), batch)
        copied += len(batch)
    return copied


class Redactor:
    """Replaces the personal fields of one row, consistently across tables."""

    def __init__(self, addresses: dict[str, str], names: dict[str, str]):
        self.addresses = addresses
        self.substitution = Substitution({**names, **addresses})

    @classmethod
    def build(cls, connection) -> Redactor:
        addresses: dict[str, str] = {}
        names: dict[str, str] = {}
        for table_name in subject_tables():
            table = Base.metadata.tables[table_name]
            subject_fields = [f for f in fields_of(table_name) if f.kind in (Kind.NAME, Kind.EMAIL)]
            (key,) = table.primary_key.columns
            columns = [table.c[f.column] for f in subject_fields]
            for row in connection.execute(select(key, *columns)):
                for field, value in zip(subject_fields, row[1:], strict=True):
                    if not value:
                        continue
                    placeholder = field.placeholder.format(id=row[0])
                    book = addresses if field.kind is Kind.EMAIL else names
                    book.setdefault(
                        value.lower() if field.kind is Kind.EMAIL else value, placeholder
                    )
        return cls(addresses, names)

    def row(self, table: str, key: str, row: dict[str, Any], fields: list[Field]) -> dict:
        for field in fields:
            value = row[field.column]
            if value is None:
                continue
            row[field.column] = self._value(field, value, row[key])
        return row

    def _value(self, field: Field, value: Any, row_id: Any) -> Any:
        kind = field.kind
        if kind in (Kind.NAME, Kind.EMAIL):
            return field.placeholder.format(id=row_id)
        if kind is Kind.SECRET:
            return REDACTED
        if kind is Kind.FREE_TEXT:
            return value if value in field.keep else REDACTED
        if kind is Kind.ADDRESS:
            return self.addresses.get(value.lower()) or self._text(value)
        if kind is Kind.JSON:
            return scrub_json(value, self._text, REDACTED)
        return self._text(value)

    def _text(self, value: str) -> str:
        return _unknown_addresses(self.substitution.text(value))


def _unknown_addresses(text: str, replace: Callable[[re.Match], str] = lambda m: "[address]"):
    """Addresses the database does not know as a person's (typed into text) are replaced."""
    return ADDRESS.sub(
        lambda m: m.group(0) if m.group(0).endswith("erased.invalid") else replace(m), text
    )
