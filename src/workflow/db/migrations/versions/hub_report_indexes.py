"""indexes that answer per hub from the index alone: the national report's specialists
who ever held a place and those who ever led Work Groups now include their hub (kept on
their row since ``specialist_hub``); and a covering index of the live funding lines by
school, from which a hub's funding page reads its schools' lines (at 100,000 specialists
it read every line of the country)

Revision ID: hub_report_indexes
Revises: specialist_hub
Create Date: 2026-12-02 00:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "hub_report_indexes"
down_revision = "specialist_hub"
branch_labels = None
depends_on = None

LIVE = sa.text("removed_at IS NULL")
REACHED = sa.text("ever_selected OR accredited")
YEAR3 = sa.text("ever_year3")
FLAGS = ["state", "ever_selected", "ever_year2", "ever_year3", "accredited"]


def _reach_indexes(hub: list[str]) -> None:
    for name in ("ix_specialists_reached", "ix_specialists_year3"):
        op.drop_index(name, table_name="specialists")
    op.create_index(
        "ix_specialists_reached",
        "specialists",
        ["cohort_id", "school_id"],
        postgresql_include=[*hub, *FLAGS],
        postgresql_where=REACHED,
        sqlite_where=REACHED,
    )
    op.create_index(
        "ix_specialists_year3",
        "specialists",
        ["cohort_id", "id"],
        postgresql_include=["school_id", *hub],
        postgresql_where=YEAR3,
        sqlite_where=YEAR3,
    )


def upgrade() -> None:
    _reach_indexes(["hub_id"])
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
    _reach_indexes([])
