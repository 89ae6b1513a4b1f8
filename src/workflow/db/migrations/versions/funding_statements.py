"""funding on the days basis: funding years, statements per school, funding lines;
registers per event and online events' joining links

Revision ID: funding_statements
Revises: funding_ledger_kind
Create Date: 2026-12-01 11:30:31.505166
"""

import sqlalchemy as sa
from alembic import op

import workflow.db.types

revision = "funding_statements"
down_revision = "funding_ledger_kind"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total_pence", sa.BigInteger(), nullable=False),
        sa.Column("created_at", workflow.db.types.UTCDateTime(), nullable=False),
        sa.Column("paid_at", workflow.db.types.UTCDateTime(), nullable=True),
        sa.Column("paid_by", sa.String(length=320), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_statements_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_statements_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint(
            "school_id",
            "cohort_id",
            "release_date",
            name=op.f("uq_statements_school_id_cohort_id_release_date"),
        ),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statements_school_id"), ["school_id"], unique=False)

    op.create_table(
        "funding_years",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("programme_year", sa.Integer(), nullable=False),
        sa.Column("entitled_pence", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_pence", sa.BigInteger(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_reason", sa.String(length=40), nullable=True),
        sa.Column("closed_at", workflow.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", workflow.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_funding_years_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(
            ["specialist_id"],
            ["specialists.id"],
            name=op.f("fk_funding_years_specialist_id_specialists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_years")),
        sa.UniqueConstraint(
            "specialist_id",
            "programme_year",
            name=op.f("uq_funding_years_specialist_id_programme_year"),
        ),
    )
    with op.batch_alter_table("funding_years", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funding_years_cohort_id"), ["cohort_id"], unique=False)

    op.create_table(
        "funding_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("programme_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("half_days", sa.Integer(), nullable=True),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("claimable_on", sa.Date(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", workflow.db.types.UTCDateTime(), nullable=True),
        sa.Column("reverses_line_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", workflow.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_funding_lines_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"], ["audit_log.id"], name=op.f("fk_funding_lines_milestone_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_line_id"],
            ["funding_lines.id"],
            name=op.f("fk_funding_lines_reverses_line_id_funding_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_funding_lines_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["specialist_id"],
            ["specialists.id"],
            name=op.f("fk_funding_lines_specialist_id_specialists"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_funding_lines_statement_id_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_lines")),
        sa.UniqueConstraint(
            "kind", "milestone_id", name=op.f("uq_funding_lines_kind_milestone_id")
        ),
        sa.UniqueConstraint("reverses_line_id", name=op.f("uq_funding_lines_reverses_line_id")),
    )
    with op.batch_alter_table("funding_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funding_lines_school_id"), ["school_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_funding_lines_specialist_id_programme_year"),
            ["specialist_id", "programme_year"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_funding_lines_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "event_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=60), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.String(length=320), nullable=False),
        sa.Column("set_at", workflow.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_event_links_cohort_id_cohorts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_links")),
        sa.UniqueConstraint(
            "cohort_id", "event_id", name=op.f("uq_event_links_cohort_id_event_id")
        ),
    )
    op.create_table(
        "register_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=60), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("at", workflow.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_register_marks_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["audit_log.id"],
            name=op.f("fk_register_marks_milestone_id_audit_log"),
        ),
        sa.ForeignKeyConstraint(
            ["specialist_id"],
            ["specialists.id"],
            name=op.f("fk_register_marks_specialist_id_specialists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_marks")),
        sa.UniqueConstraint(
            "cohort_id",
            "event_id",
            "specialist_id",
            name=op.f("uq_register_marks_cohort_id_event_id_specialist_id"),
        ),
    )
    op.create_index(
        op.f("ix_register_marks_specialist_id"), "register_marks", ["specialist_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_register_marks_specialist_id"), table_name="register_marks")
    op.drop_table("register_marks")
    op.drop_table("event_links")
    with op.batch_alter_table("funding_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_lines_statement_id"))
        batch_op.drop_index(batch_op.f("ix_funding_lines_specialist_id_programme_year"))
        batch_op.drop_index(batch_op.f("ix_funding_lines_school_id"))

    op.drop_table("funding_lines")
    with op.batch_alter_table("funding_years", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_years_cohort_id"))

    op.drop_table("funding_years")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statements_school_id"))

    op.drop_table("statements")
