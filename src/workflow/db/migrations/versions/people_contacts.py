"""people: a school's finance contact's name; staff deactivated (the row stays)

Revision ID: people_contacts
Revises: web_scale_indexes
"""

import sqlalchemy as sa
from alembic import op

import workflow.db.types

revision = "people_contacts"
down_revision = "web_scale_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finance_name", sa.String(length=200), nullable=True))
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deactivated_at", workflow.db.types.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_column("finance_name")
