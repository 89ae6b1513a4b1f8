"""term digests: one row per (cohort, hub, term start), sent, late or skipped; whether a
hub's staff receive its digest too

Revision ID: notify_term_digests
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import workflow.db.types

revision = "notify_term_digests"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hubs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_to_staff", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "term_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("on_track", sa.Integer(), nullable=False),
        sa.Column("behind", sa.Integer(), nullable=False),
        sa.Column("at", workflow.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_term_digests_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], name=op.f("fk_term_digests_hub_id_hubs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_digests")),
        sa.UniqueConstraint(
            "cohort_id",
            "hub_id",
            "term_start",
            name=op.f("uq_term_digests_cohort_id_hub_id_term_start"),
        ),
    )


def downgrade() -> None:
    op.drop_table("term_digests")
    with op.batch_alter_table("hubs", schema=None) as batch_op:
        batch_op.drop_column("digest_to_staff")
