"""funding: an instalment's and a ledger row's origin stored as columns

Revision ID: funding_ledger_kind
Revises: web_sign_in
Create Date: 2026-12-01 11:50:00

Existing rows are classified once, here, from what the code used to infer: an instalment
numbered after its year's instalments in the cohort's stored rules was scheduled again on
resume; an adjustment whose reason is the pro-rata text was paid on withdrawal. From now
on the columns are written when a row is, and nothing is inferred.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "funding_ledger_kind"
down_revision = "web_sign_in"
branch_labels = None
depends_on = None

PRO_RATA_REASON = "pro rata on withdrawal"


def upgrade() -> None:
    with op.batch_alter_table("funding_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=20), nullable=True))
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=20), nullable=True))

    bind = op.get_bind()
    bind.execute(sa.text("UPDATE funding_entries SET origin = 'rules'"))
    cohorts = bind.execute(
        sa.text(
            "SELECT c.rules FROM cohorts c WHERE EXISTS (SELECT 1 FROM specialists s"
            " JOIN funding_entries f ON f.specialist_id = s.id WHERE s.cohort_id = c.id)"
        )
    ).all()
    for (rules,) in cohorts:
        rules = json.loads(rules) if isinstance(rules, str) else rules
        for year in (1, 2):
            bind.execute(
                sa.text(
                    "UPDATE funding_entries SET origin = 'resume' WHERE programme_year = :year"
                    " AND instalment > :count AND specialist_id IN (SELECT s.id FROM specialists"
                    " s JOIN cohorts c ON c.id = s.cohort_id WHERE c.number = :cohort)"
                ),
                {
                    "year": year,
                    "count": len(rules[f"year{year}"]["instalments"]),
                    "cohort": rules["cohort"],
                },
            )
    bind.execute(
        sa.text(
            "UPDATE ledger SET origin = (SELECT f.origin FROM funding_entries f"
            " WHERE f.id = ledger.funding_entry_id) WHERE kind = 'release'"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE ledger SET origin = CASE WHEN reason = :pro_rata THEN 'withdrawal'"
            " ELSE 'manual' END WHERE kind = 'adjustment'"
        ),
        {"pro_rata": PRO_RATA_REASON},
    )

    with op.batch_alter_table("funding_entries", schema=None) as batch_op:
        batch_op.alter_column("origin", existing_type=sa.String(length=20), nullable=False)
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.alter_column("origin", existing_type=sa.String(length=20), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_column("origin")
    with op.batch_alter_table("funding_entries", schema=None) as batch_op:
        batch_op.drop_column("origin")
