"""The declaration of personal data (``db/personal.py``) covers every text column of the schema."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table

from workflow.db.models import Base
from workflow.db.personal import NOT_PERSONAL, PERSONAL, Kind, present, undeclared
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


def test_the_core_tables_are_declared_and_subjects_have_placeholders():
    # The declaration may run ahead of the models (columns other branches are adding), so
    # only the fields every erasure relies on are checked to be present here.
    held = {(f.table, f.column) for f in present()}
    assert {
        ("specialists", "name"),
        ("specialists", "email"),
        ("audit_log", "reason"),
        ("ledger", "reason"),
        ("outbox", "payload"),
        ("refusals", "target"),
    } <= held
    assert {(f.table, f.column) for f in PERSONAL} & NOT_PERSONAL == set()
    for field in PERSONAL:
        if field.kind in (Kind.NAME, Kind.EMAIL):
            assert "{id}" in field.placeholder, field


def test_system_text_the_funding_report_reads_is_kept():
    (reason,) = [f for f in PERSONAL if (f.table, f.column) == ("ledger", "reason")]
    assert PRO_RATA_REASON in reason.keep
