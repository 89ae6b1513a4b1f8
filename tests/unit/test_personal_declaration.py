"""The declaration of personal data (``db/personal.py``) covers every text column of the schema."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table

from workflow.db.models import Base
from workflow.db.personal import NOT_PERSONAL, PERSONAL, Kind, undeclared
from workflow.services.funding import PRO_RATA_REASON


def test_every_text_column_of_every_table_is_declared_personal_or_not():
    missing = undeclared(Base.metadata)
    assert missing == [], (
        f"declare these columns in src/workflow/db/personal.py (PERSONAL or NOT_PERSONAL): "
        f"{missing}"
    )


def test_a_new_table_with_a_text_column_is_caught():
    metadata = MetaData()
    Table("new_things", metadata, Column("id", primary_key=True), Column("note", String(50)))
    assert undeclared(metadata) == [("new_things", "note")]


def test_every_declared_column_exists_and_subjects_have_placeholders():
    tables = Base.metadata.tables
    gone = [(f.table, f.column) for f in PERSONAL if f.column not in tables[f.table].c]
    gone += [c for c in NOT_PERSONAL if c[0] in tables and c[1] not in tables[c[0]].c]
    assert gone == []
    for field in PERSONAL:
        if field.kind in (Kind.NAME, Kind.EMAIL):
            assert "{id}" in field.placeholder, field


def test_system_text_the_funding_report_reads_is_kept():
    (reason,) = [f for f in PERSONAL if (f.table, f.column) == ("ledger", "reason")]
    assert PRO_RATA_REASON in reason.keep
