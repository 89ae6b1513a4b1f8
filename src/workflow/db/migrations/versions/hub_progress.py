"""the national report's counts, kept: specialists.leads_work_groups (kept by triggers on
work_groups, db/work_group_leads.py) and hub_progress (cohort, hub -> selected, withdrawn,
Year 2, Year 3, accredited, Work Group Leads) kept by triggers on specialists and schools
(db/progress.py), each filled from what there is; the partial indexes the report summed
the specialists from (ix_specialists_reached, ix_specialists_year3) go, read by nothing now

A later migration that rebuilds specialists, schools or work_groups on SQLite (Alembic's
batch mode copies the table) drops their triggers: it must install them again.

Revision ID: hub_progress
Revises: schools_reached
Create Date: 2026-12-02 03:30:00
"""

import sqlalchemy as sa
from alembic import op

from workflow.db import progress, reach, specialist_hub, tallies, work_group_leads

revision = "hub_progress"
down_revision = "schools_reached"
branch_labels = None
depends_on = None

REPORT_INDEXES = ("ix_specialists_reached", "ix_specialists_year3")
REACHED = sa.text("ever_selected OR accredited")
YEAR3 = sa.text("ever_year3")


def upgrade() -> None:
    op.add_column(
        "specialists",
        sa.Column("leads_work_groups", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    work_group_leads.install(op.get_bind())
    op.create_table(
        "hub_progress",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in progress.SUMS),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name="fk_hub_progress_cohort_id_cohorts"
        ),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], name="fk_hub_progress_hub_id_hubs"),
        sa.PrimaryKeyConstraint("cohort_id", "hub_id", name="pk_hub_progress"),
    )
    progress.install(op.get_bind())
    for name in REPORT_INDEXES:
        op.drop_index(name, table_name="specialists")


def downgrade() -> None:
    bind = op.get_bind()
    # As hub_report_indexes made them.
    op.create_index(
        "ix_specialists_reached",
        "specialists",
        ["cohort_id", "school_id"],
        postgresql_include=["hub_id", "state", "ever_selected", "ever_year2", "ever_year3",
                            "accredited"],
        postgresql_where=REACHED,
        sqlite_where=REACHED,
    )  # fmt: skip
    op.create_index(
        "ix_specialists_year3",
        "specialists",
        ["cohort_id", "id"],
        postgresql_include=["school_id", "hub_id"],
        postgresql_where=YEAR3,
        sqlite_where=YEAR3,
    )
    progress.uninstall(bind)
    op.drop_table("hub_progress")
    work_group_leads.uninstall(bind)
    # The batch copies the table on SQLite: no trigger may name it meanwhile.
    others = (tallies, specialist_hub, reach) if bind.dialect.name == "sqlite" else ()
    for kept in others:
        kept.uninstall(bind)
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.drop_column("leads_work_groups")
    for kept in others:
        kept.install(bind)
