"""specialists.hub_id, their school's hub, kept by triggers (db/specialist_hub.py), with
the indexes a hub's pages read: its specialists by name, its stuck by cohort and name

No foreign key: nothing writes it but the triggers, from ``schools.hub_id`` (which has
one); SQLite could add one only by rebuilding the table, which drops its triggers.

A later migration that rebuilds ``specialists`` or ``schools`` on SQLite (Alembic's batch
mode copies the table) drops their triggers: it must call ``specialist_hub.install``
again.

Revision ID: specialist_hub
Revises: list_order_indexes
Create Date: 2026-12-01 21:00:00
"""

import sqlalchemy as sa
from alembic import op

from workflow.db import specialist_hub, tallies

revision = "specialist_hub"
down_revision = "list_order_indexes"
branch_labels = None
depends_on = None

STUCK = {
    "postgresql_where": sa.text("stuck_reasons IS NOT NULL"),
    "sqlite_where": sa.text("stuck_reasons IS NOT NULL"),
}


def upgrade() -> None:
    op.add_column("specialists", sa.Column("hub_id", sa.Integer(), nullable=True))
    specialist_hub.install(op.get_bind())
    op.create_index("ix_specialists_hub_id_name_id", "specialists", ["hub_id", "name", "id"])
    op.create_index(
        "ix_specialists_stuck_hub", "specialists", ["hub_id", "cohort_id", "name", "id"], **STUCK
    )


def downgrade() -> None:
    op.drop_index("ix_specialists_stuck_hub", table_name="specialists")
    op.drop_index("ix_specialists_hub_id_name_id", table_name="specialists")
    bind = op.get_bind()
    specialist_hub.uninstall(bind)
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:  # the batch copies the table: no trigger may name it meanwhile
        tallies.uninstall(bind)
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.drop_column("hub_id")
    if sqlite:
        tallies.install(bind)
