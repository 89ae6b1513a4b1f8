"""the scheduler's last tick, for the web's system health page

Revision ID: scheduler_ticks
Revises: funding_statements
Create Date: 2026-12-01 14:40:00
"""

import sqlalchemy as sa
from alembic import op

import workflow.db.types

revision = "scheduler_ticks"
down_revision = "funding_statements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_ticks",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("at", workflow.db.types.UTCDateTime(), nullable=False),
        sa.Column("items_done", sa.Integer(), nullable=False),
        sa.Column("published", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_scheduler_ticks")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_ticks")
