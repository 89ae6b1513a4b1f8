"""a covering index of the live funding lines by school: a hub's funding page reads its
schools' lines from it alone (at 100,000 specialists it read every line of the country)

Revision ID: funding_lines_by_school
Revises: specialist_hub
Create Date: 2026-12-02 00:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "funding_lines_by_school"
down_revision = "specialist_hub"
branch_labels = None
depends_on = None

LIVE = sa.text("removed_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_funding_lines_live_school",
        "funding_lines",
        ["school_id"],
        postgresql_include=["specialist_id", "kind", "amount_pence", "statement_id"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_funding_lines_live_school", table_name="funding_lines")
