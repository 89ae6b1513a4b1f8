"""indexes for the web's pages at 100,000 specialists: the list by name, a hub's
specialists by school, cohort and state, the guards' facts from the audit log (replacing
the single-column indexes they begin with); on
PostgreSQL, trigram indexes for the search on names and addresses (when pg_trgm can be had)

Revision ID: web_scale_indexes
Revises: scheduler_ticks
Create Date: 2026-12-01 14:45:00
"""

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger("alembic.runtime.migration")
# PostgreSQL only, and only where pg_trgm can be had; not in the models (see db.migrate's
# DATABASE_ONLY_INDEXES): the search's "contains" on names and addresses, from an index.
TRIGRAM = {"ix_specialists_name_trgm": "name", "ix_specialists_email_trgm": "email"}

revision = "web_scale_indexes"
down_revision = "scheduler_ticks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_specialists_name_id", "specialists", ["name", "id"])
    # Replaces the index on school_id alone (its first column).
    op.create_index(
        "ix_specialists_school_id_cohort_id_state",
        "specialists",
        ["school_id", "cohort_id", "state"],
    )
    op.drop_index("ix_specialists_school_id", table_name="specialists")
    op.create_index(
        "ix_audit_log_facts",
        "audit_log",
        ["specialist_id", "kind", "name", "programme_year", "half_days", "id"],
    )
    # Its first column: the index on specialist_id alone is one more to write, no faster.
    op.drop_index("ix_audit_log_specialist_id", table_name="audit_log")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _trigram_extension(bind):
        for name, column in TRIGRAM.items():
            op.execute(
                f"CREATE INDEX {name} ON specialists USING gin (lower({column}) gin_trgm_ops)"
            )


def _trigram_extension(bind) -> bool:
    """pg_trgm in this database, created if need be (a trusted extension: the database's
    owner may); without it the search reads the whole table, as before."""
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).scalar()
    if not available:
        logger.warning("pg_trgm is not available: the search will not use an index")
        return False
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as error:  # a missing privilege: the search is slower, no more
        logger.warning(
            "pg_trgm could not be created (%s): the search will not use an index",
            type(error).__name__,
        )
        return False
    return True


def downgrade() -> None:
    for name in TRIGRAM:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.create_index("ix_audit_log_specialist_id", "audit_log", ["specialist_id"])
    op.drop_index("ix_audit_log_facts", table_name="audit_log")
    op.create_index("ix_specialists_school_id", "specialists", ["school_id"])
    op.drop_index("ix_specialists_school_id_cohort_id_state", table_name="specialists")
    op.drop_index("ix_specialists_name_id", table_name="specialists")
