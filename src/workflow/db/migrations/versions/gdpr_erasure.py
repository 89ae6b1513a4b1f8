"""erasures: who erased whose data, when and why (no erased values)

Revision ID: gdpr_erasure
Revises: lost_outbox_effects
Create Date: 2026-12-01 11:50:00
"""

import sqlalchemy as sa
from alembic import op

import workflow.db.types

revision = "gdpr_erasure"
down_revision = "lost_outbox_effects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=True),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("at", workflow.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["specialist_id"],
            ["specialists.id"],
            name=op.f("fk_erasures_specialist_id_specialists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("specialist_id", name=op.f("uq_erasures_specialist_id")),
    )
    op.create_index(op.f("ix_erasures_email_hash"), "erasures", ["email_hash"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_erasures_email_hash"), table_name="erasures")
    op.drop_table("erasures")
