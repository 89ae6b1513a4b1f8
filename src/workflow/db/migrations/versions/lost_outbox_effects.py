"""outbox rows stay open until their effect is recorded; due items keep why they did nothing

Revision ID: lost_outbox_effects
Revises: recruit_corrections
"""

import sqlalchemy as sa
from alembic import op

import workflow.db.types

revision = "lost_outbox_effects"
down_revision = "recruit_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_at", workflow.db.types.UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_done_at_sent_at"), ["done_at", "sent_at"], unique=False
        )
    # Rows relayed before this revision: their effects were recorded by the old code, or
    # never will be; taking them as done keeps an upgrade from re-sending history.
    op.execute("UPDATE outbox SET done_at = sent_at WHERE sent_at IS NOT NULL")
    with op.batch_alter_table("due_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("due_items", schema=None) as batch_op:
        batch_op.drop_column("outcome")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_done_at_sent_at"))
        batch_op.drop_column("done_at")
