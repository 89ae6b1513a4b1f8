"""the national report's schools reached, kept: schools_reached (cohort, hub, URN -> how
many reasons reach it) kept by triggers on specialists, schools, work_groups and
work_group_schools (db/reach.py), and filled from what there is

A later migration that rebuilds one of those tables on SQLite (Alembic's batch mode copies
the table) drops its triggers: it must call ``reach.install`` again.

Revision ID: schools_reached
Revises: hub_report_indexes
Create Date: 2026-12-02 03:20:00
"""

import sqlalchemy as sa
from alembic import op

from workflow.db import reach

revision = "schools_reached"
down_revision = "hub_report_indexes"
branch_labels = None
depends_on = None

NONE_LEFT = sa.text("refs <= 0")


def upgrade() -> None:
    op.create_table(
        "schools_reached",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(length=6), nullable=False),
        sa.Column("refs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name="fk_schools_reached_cohort_id_cohorts"
        ),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], name="fk_schools_reached_hub_id_hubs"),
        sa.PrimaryKeyConstraint("cohort_id", "hub_id", "urn", name="pk_schools_reached"),
    )
    op.create_index(
        "ix_schools_reached_none",
        "schools_reached",
        ["cohort_id"],
        postgresql_where=NONE_LEFT,
        sqlite_where=NONE_LEFT,
    )
    reach.install(op.get_bind())


def downgrade() -> None:
    reach.uninstall(op.get_bind())
    op.drop_index("ix_schools_reached_none", table_name="schools_reached")
    op.drop_table("schools_reached")
