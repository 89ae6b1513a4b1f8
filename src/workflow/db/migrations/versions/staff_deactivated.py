"""staff deactivated: a member of staff who may no longer sign in (the row stays)

Revision ID: staff_deactivated
Revises: funding_statements
"""

import sqlalchemy as sa
from alembic import op

import workflow.db.types

revision = "staff_deactivated"
down_revision = "funding_statements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deactivated_at", workflow.db.types.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
