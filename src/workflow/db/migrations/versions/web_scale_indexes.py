"""indexes for the web's pages at 100,000 specialists: the list by name, a hub's
specialists by school, cohort and state, the guards' facts from the audit log

Revision ID: web_scale_indexes
Revises: funding_statements
Create Date: 2026-12-01 14:45:00
"""

from alembic import op

revision = "web_scale_indexes"
down_revision = "funding_statements"
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


def downgrade() -> None:
    op.drop_index("ix_audit_log_facts", table_name="audit_log")
    op.create_index("ix_specialists_school_id", "specialists", ["school_id"])
    op.drop_index("ix_specialists_school_id_cohort_id_state", table_name="specialists")
    op.drop_index("ix_specialists_name_id", table_name="specialists")
