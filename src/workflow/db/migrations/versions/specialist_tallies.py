"""the dashboards' counts and the stuck without counting: specialist_tallies (cohort, hub,
state -> how many) kept by triggers; specialists.stuck_reasons (two partial indexes) and
how far each ever got (ever_selected, ever_year2, ever_year3, accredited);
the due items still to do by kind and time (the next dates)

The stuck are judged by the machine (Python), not here: ``workflow db upgrade`` reads
everyone's trail after migrating (``services/standing.rebuild``).

A later migration that rebuilds ``specialists`` or ``schools`` on SQLite (Alembic's batch
mode copies the table) drops their triggers: it must call ``tallies.install`` again.

Revision ID: specialist_tallies
Revises: people_contacts
"""

import sqlalchemy as sa
from alembic import op

from workflow.db import tallies

revision = "specialist_tallies"
down_revision = "people_contacts"
branch_labels = None
depends_on = None

REACHED = ("ever_selected", "ever_year2", "ever_year3", "accredited")
STUCK = {
    "postgresql_where": sa.text("stuck_reasons IS NOT NULL"),
    "sqlite_where": sa.text("stuck_reasons IS NOT NULL"),
}


def upgrade() -> None:
    op.add_column("specialists", sa.Column("stuck_reasons", sa.JSON(none_as_null=True)))
    for flag in REACHED:
        op.add_column(
            "specialists",
            sa.Column(flag, sa.Boolean(), server_default=sa.false(), nullable=False),
        )
    op.create_index("ix_specialists_stuck_name", "specialists", ["name", "id"], **STUCK)
    op.create_index(
        "ix_specialists_stuck_cohort", "specialists", ["cohort_id", "name", "id"], **STUCK
    )
    op.create_table(
        "specialist_tallies",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name="fk_specialist_tallies_cohort_id_cohorts"
        ),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], name="fk_specialist_tallies_hub_id_hubs"),
        sa.PrimaryKeyConstraint("cohort_id", "hub_id", "state", name="pk_specialist_tallies"),
    )
    op.create_index(
        "ix_due_items_pending_kind",
        "due_items",
        ["kind", "due_at"],
        postgresql_where=sa.text("done_at IS NULL AND cancelled_at IS NULL"),
        sqlite_where=sa.text("done_at IS NULL AND cancelled_at IS NULL"),
    )
    tallies.install(op.get_bind())


def downgrade() -> None:
    tallies.uninstall(op.get_bind())
    op.drop_index("ix_due_items_pending_kind", table_name="due_items")
    op.drop_table("specialist_tallies")
    op.drop_index("ix_specialists_stuck_cohort", table_name="specialists")
    op.drop_index("ix_specialists_stuck_name", table_name="specialists")
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.drop_column("stuck_reasons")
        for flag in REACHED:
            batch_op.drop_column(flag)
