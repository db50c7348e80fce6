"""FinOps: imported budget and settlement lines (and their imports), savings made outside
rengo with their evidence; a training's material, the guideline version it taught and each
ward's completions.

Revision ID: finops_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import UTCDateTime

revision = "finops_0002"
down_revision = "finops_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finops_budget_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("filename", sa.String(length=256), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("replaced", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_budget_imports")),
    )
    op.create_table(
        "finops_budget_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["finops_budget_imports.id"],
            name=op.f("fk_finops_budget_lines_import_id_finops_budget_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_budget_lines")),
    )
    with op.batch_alter_table("finops_budget_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finops_budget_lines_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            "ix_finops_budget_lines_scope", ["ward", "fiscal_year", "stage"], unique=False
        )
    op.create_table(
        "finops_external_savings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("realised_on", sa.Date(), nullable=False),
        sa.Column("annual_saving", sa.Float(), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_external_savings")),
    )
    with op.batch_alter_table("finops_external_savings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_external_savings_ward"), ["ward"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_finops_external_savings_realised_on"), ["realised_on"], unique=False
        )

    with op.batch_alter_table("finops_trainings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("material", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("guideline_version", sa.String(length=16), server_default="", nullable=False)
        )
    with op.batch_alter_table("finops_training_attendance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("completed", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("finops_training_attendance", schema=None) as batch_op:
        batch_op.drop_column("completed")
    with op.batch_alter_table("finops_trainings", schema=None) as batch_op:
        batch_op.drop_column("guideline_version")
        batch_op.drop_column("material")
    op.drop_table("finops_external_savings")
    op.drop_table("finops_budget_lines")
    op.drop_table("finops_budget_imports")
