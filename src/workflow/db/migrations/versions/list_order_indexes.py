"""indexes that read a page of the list, and the report's sums, without sorting or
visiting every row: a cohort and state's specialists by name (replacing the index on
cohort and state, its first columns); the specialists who ever
held a place (or are accredited) by cohort and school, with what the report sums; those
who ever led Work Groups by cohort (only they can have one)

Revision ID: list_order_indexes
Revises: specialist_tallies
Create Date: 2026-12-01 21:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "list_order_indexes"
down_revision = "specialist_tallies"
branch_labels = None
depends_on = None

REACHED = sa.text("ever_selected OR accredited")
YEAR3 = sa.text("ever_year3")


def upgrade() -> None:
    op.create_index(
        "ix_specialists_cohort_id_state_name_id",
        "specialists",
        ["cohort_id", "state", "name", "id"],
    )
    op.drop_index("ix_specialists_cohort_id_state", table_name="specialists")
    op.create_index(
        "ix_specialists_reached",
        "specialists",
        ["cohort_id", "school_id"],
        postgresql_include=["state", "ever_selected", "ever_year2", "ever_year3", "accredited"],
        postgresql_where=REACHED,
        sqlite_where=REACHED,
    )
    op.create_index(
        "ix_specialists_year3",
        "specialists",
        ["cohort_id", "id"],
        postgresql_include=["school_id"],
        postgresql_where=YEAR3,
        sqlite_where=YEAR3,
    )


def downgrade() -> None:
    op.drop_index("ix_specialists_year3", table_name="specialists")
    op.drop_index("ix_specialists_reached", table_name="specialists")
    op.create_index("ix_specialists_cohort_id_state", "specialists", ["cohort_id", "state"])
    op.drop_index("ix_specialists_cohort_id_state_name_id", table_name="specialists")
